// The closed sets of signing in and its security audit log. Free of server imports, so the admin
// page's client components can use them without bundling the database layer.

/** Who may do what, each role including the rights of those before it. */
export const ROLES = ["viewer", "responder", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What the security audit log records besides actions. */
export const AUDIT_EVENTS = [
  "sign_in",
  "sign_in_failed",
  "sign_in_throttled",
  "password_changed",
  "sign_out",
  "tenant_refused",
  "user_created",
  "user_updated",
  "token_created",
  "token_revoked",
  "protected_asset_added",
  "protected_asset_removed",
  "audit_pruned",
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];
