// The admin page's side of the JSON API: the SWR keys the server renders first, the response
// types (taken from the very functions the routes answer with), and sending a change with the
// server's problem+json turned back into a typed error.
import type { toApiAuditEvent } from "@/lib/auth/audit";
import type { toApiToken } from "@/lib/auth/tokens";
import type { toApiUser } from "@/lib/auth/users";
import type { toApiProtectedAsset } from "@/lib/mdr/protected-assets";

export type ApiUser = ReturnType<typeof toApiUser>;
export type ApiToken = ReturnType<typeof toApiToken>;
export type NewApiToken = ApiToken & { token: string };
export type ApiProtectedAsset = ReturnType<typeof toApiProtectedAsset>;
export type ApiAuditEvent = ReturnType<typeof toApiAuditEvent>;

export interface UserList {
  users: ApiUser[];
}
export interface TokenList {
  tokens: ApiToken[];
}
export interface ProtectedAssetList {
  protected_assets: ApiProtectedAsset[];
}
export interface AuditList {
  events: ApiAuditEvent[];
  next_cursor: string | null;
}

export const AUDIT_LIMIT = 50;
export const PROTECTED_ASSETS_KEY = "/api/v1/mdr/protected-assets";
export const TOKENS_KEY = "/api/v1/admin/tokens";
export const USERS_KEY = "/api/v1/admin/users";
export const AUDIT_KEY = `/api/v1/admin/audit?limit=${AUDIT_LIMIT}`;

/** Sends a change; the same one the action cards use. */
export { sendJson } from "@/components/mdr/api";
