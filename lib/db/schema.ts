// The audit log: one row per action, one row per change in an action's life.
// Portable to PostgreSQL: plain columns, times as integer milliseconds since the epoch.
import { type SQL, sql } from "drizzle-orm";
import { type SQLiteColumn, blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { AUDIT_EVENTS, ROLES } from "@/lib/auth/enums";
import { ACTION_STATUSES, ACTION_TYPES, MODES, PROTECTED_ASSET_KINDS, type ProviderName } from "@/lib/mdr/enums";

export { ACTION_STATUSES, ACTION_TYPES, MODES, ROLES };
export type { Role } from "@/lib/auth/enums";
export type { ActionStatus, ActionType, ProviderName } from "@/lib/mdr/enums";

type ActionColumns = Record<"type" | "status" | "active" | "target" | "parameters" | "result", SQLiteColumn>;

/**
 * The names an isolation row knows its device by, lower-cased: what was asked (hostname or
 * machine id), the machine id given, and what Defender resolved the device to (its machine id,
 * its DNS name and that name's first label). Each is an index over the isolations that hold their
 * device (HOLDING_ISOLATION), so the duplicate check (lib/db/queries/holders.ts) looks a device up
 * instead of reading every isolation. The queries must use these same expressions, and the same
 * HOLDING_ISOLATION terms, for SQLite to use the indexes.
 */
export function isolationNameExpressions(t: ActionColumns): SQL[] {
  const dns = sql`json_extract(${t.result}, '$.computer_dns_name')`;
  return [
    sql`lower(${t.target})`,
    sql`lower(json_extract(${t.parameters}, '$.machine_id'))`,
    sql`lower(json_extract(${t.result}, '$.machine_id'))`,
    sql`lower(${dns})`,
    sql`lower(substr(${dns}, 1, instr(${dns} || '.', '.') - 1))`,
  ];
}

/** A row still running (queued, pending, in progress) or whose effect is in place now. */
export const HOLDING = (t: Pick<ActionColumns, "status" | "active">) =>
  sql`(${t.status} in ('queued', 'pending', 'in_progress') or ${t.active} = 1)`;

/** An isolation that holds its device: literals, so that SQLite can match the partial indexes above. */
export const HOLDING_ISOLATION = (t: ActionColumns) => sql`${t.type} = 'isolate_endpoint' and ${HOLDING(t)}`;

export const actions = sqliteTable(
  "actions",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ACTION_TYPES }).notNull(),
    status: text("status", { enum: ACTION_STATUSES }).notNull(),
    target: text("target").notNull(),
    tenantId: text("tenant_id").notNull(),
    provider: text("provider").$type<ProviderName>().notNull(),
    mode: text("mode", { enum: MODES }).notNull(),
    parameters: text("parameters", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    reason: text("reason"),
    requestedBy: text("requested_by").notNull(),
    providerRef: text("provider_ref"),
    /** What the provider gave back (rule priority, new message id, ...): needed to undo exactly. */
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    error: text("error"),
    /** 1 while the action's effect is in place in the outside world (isolated, blocked, disabled, moved). */
    active: integer("active", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
    expiresAt: integer("expires_at"),
    reverts: text("reverts"),
    revertedBy: text("reverted_by"),
  },
  (t) => [
    // Keyset pages are ordered by id (ULIDs sort by time); each filter has an index ending in id.
    index("actions_type_id").on(t.type, t.id),
    index("actions_type_status_id").on(t.type, t.status, t.id),
    index("actions_status_id").on(t.status, t.id),
    index("actions_target_id").on(t.target, t.id),
    index("actions_tenant_id").on(t.tenantId, t.id),
    // Metrics over a time window read only this index: counts, durations, per-hour buckets.
    index("actions_created").on(t.createdAt, t.type, t.status, t.completedAt),
    // What is contained right now, and blocks due to expire: only rows whose effect is in place.
    index("actions_active").on(t.type, t.expiresAt, t.target).where(sql`${t.active} = 1`),
    // In-flight work the background loop polls, and the crash-recovery scan.
    index("actions_open").on(t.status, t.type).where(sql`${t.status} in ('pending', 'in_progress')`),
    index("actions_reverts").on(t.reverts),
    // A bulk's targets, in the order they were asked (lib/db/queries/bulks.ts).
    index("actions_bulk").on(sql`json_extract(${t.parameters}, '$.bulk_id')`, t.id).where(sql`json_extract(${t.parameters}, '$.bulk_id') is not null`),
    // The duplicate check for blocks, disables and quarantines: three equalities, so SQLite picks it
    // over the tenant index even before it has statistics (a new database).
    index("actions_holder").on(t.target, t.type, t.tenantId),
    ...isolationNameExpressions(t).map((name, i) =>
      index(`actions_isolation_name_${i}`).on(t.type, name).where(HOLDING_ISOLATION(t)),
    ),
  ],
);

export const actionEvents = sqliteTable(
  "action_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    actionId: text("action_id")
      .notNull()
      .references(() => actions.id),
    at: integer("at").notNull(),
    status: text("status", { enum: ACTION_STATUSES }).notNull(),
    message: text("message").notNull(),
  },
  (t) => [index("action_events_action").on(t.actionId, t.id)],
);

/**
 * A bulk request: many targets of one action type, each an action of its own (its
 * `parameters.bulk_id` names the bulk). Written with its actions, in one transaction.
 */
export const bulks = sqliteTable("bulks", {
  id: text("id").primaryKey(),
  type: text("type", { enum: ACTION_TYPES }).notNull(),
  tenantId: text("tenant_id").notNull(),
  provider: text("provider").$type<ProviderName>().notNull(),
  requestedBy: text("requested_by").notNull(),
  total: integer("total").notNull(),
  createdAt: integer("created_at").notNull(),
  /** The bulk this one undoes (POST /bulk/{id}/revert). */
  reverts: text("reverts"),
});

/**
 * Responses to POSTs sent with an Idempotency-Key, kept 24 h: a retry with the same key and body
 * gets the first answer again and performs nothing. `status` is null while the first is running.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    key: text("key").notNull(),
    /** Who sent it, and to which route: the same key from another caller or route is another key. */
    scope: text("scope").notNull(),
    bodyHash: text("body_hash").notNull(),
    status: integer("status"),
    contentType: text("content_type"),
    location: text("location"),
    body: text("body"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.key, t.scope] }), index("idempotency_keys_created").on(t.createdAt)],
);

/** People who sign in to the page: local accounts (scrypt hash) or single sign-on (no password). */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    /** `scrypt$...`; null for accounts that sign in only through single sign-on. */
    passwordHash: text("password_hash"),
    source: text("source", { enum: ["local", "oidc"] }).notNull(),
    /** The identity provider's issuer + subject, for single sign-on accounts. */
    oidcSubject: text("oidc_subject"),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    /** The tenants the user may see and act in; null: every configured tenant. */
    tenants: text("tenants", { mode: "json" }).$type<string[]>(),
    /** A password someone else chose (the generated first-run one): it must be changed before anything else. */
    mustChangePassword: integer("must_change_password", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    lastSignInAt: integer("last_sign_in_at"),
  },
  (t) => [uniqueIndex("users_username").on(t.username), uniqueIndex("users_oidc_subject").on(t.oidcSubject)],
);

/** Signed-in browsers. The cookie holds a random secret; only its SHA-256 is stored. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    secretHash: text("secret_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("sessions_secret").on(t.secretHash), index("sessions_user").on(t.userId)],
);

/** Tokens for scripts (`Authorization: Bearer mdr_...`): shown once, stored as SHA-256 only. */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    secretHash: text("secret_hash").notNull(),
    /** The first characters of the token, to recognise it in a list without revealing it. */
    prefix: text("prefix").notNull(),
    /** The tenants the token may see and act in; null: every configured tenant. */
    tenants: text("tenants", { mode: "json" }).$type<string[]>(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [uniqueIndex("api_tokens_secret").on(t.secretHash), uniqueIndex("api_tokens_name").on(t.name)],
);

/** Rules no action may touch: device name patterns, UPNs, address ranges. */
export const protectedAssets = sqliteTable(
  "protected_assets",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: PROTECTED_ASSET_KINDS }).notNull(),
    pattern: text("pattern").notNull(),
    note: text("note"),
    /** `api` when an admin added it, `file` when seeded from MDR_PROTECTED_ASSETS_FILE. */
    source: text("source", { enum: ["api", "file"] }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("protected_assets_rule").on(t.kind, t.pattern)],
);

/** The security audit log: sign-ins, tokens, users and protected assets (actions have their own). */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    event: text("event", { enum: AUDIT_EVENTS }).notNull(),
    /** Who did it (`user:alice`, `token:soar`, `system`), or who tried (`anonymous`). */
    actor: text("actor").notNull(),
    /** What it was done to: a username, a token id, a protected asset id. */
    subject: text("subject"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The client address, where known. */
    ip: text("ip"),
  },
  (t) => [
    index("audit_events_at").on(t.at),
    // Sign-in throttling counts recent failures per account and per client address.
    index("audit_events_subject").on(t.event, t.subject, t.at),
    index("audit_events_ip").on(t.event, t.ip, t.at),
  ],
);

/** The audit records the SIEM forwarding carries: an action's timeline step, a security audit event. */
export const SIEM_SOURCES = ["action_event", "audit_event"] as const;
export type SiemSource = (typeof SIEM_SOURCES)[number];

/**
 * The SIEM outbox: one row per audit record (action_events, audit_events), written in the same
 * transaction as the record, so a record committed is a record that will be forwarded, whatever
 * happens to the process after. `seq` is the forwarding order (commit order: SQLite has one writer
 * at a time). A row is deleted once every configured destination has it.
 */
export const siemOutbox = sqliteTable("siem_outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  source: text("source", { enum: SIEM_SOURCES }).notNull(),
  recordId: integer("record_id").notNull(),
});

/** Each SIEM destination's place in the outbox and its last outcome: what /admin and /status show. */
export const siemDestinations = sqliteTable("siem_destinations", {
  /** `syslog` or `hec`. */
  name: text("name").primaryKey(),
  /** The outbox position delivered up to (inclusive): the sender resumes after it. */
  deliveredSeq: integer("delivered_seq").notNull().default(0),
  /** The last record delivered (`action_event:12`) and when. */
  deliveredRecord: text("delivered_record"),
  deliveredAt: integer("delivered_at"),
  lastError: text("last_error"),
  lastErrorAt: integer("last_error_at"),
  /** Failed attempts since the last delivery (the retry backoff grows with it). */
  failures: integer("failures").notNull().default(0),
  /**
   * 1 while the server is configured to forward there. Records are queued only while some
   * destination is enabled: a log that forwards nowhere keeps no outbox.
   */
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
});

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type ProtectedAssetRow = typeof protectedAssets.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

export type ActionRow = typeof actions.$inferSelect;
export type NewActionRow = typeof actions.$inferInsert;
export type ActionEventRow = typeof actionEvents.$inferSelect;
export type BulkRow = typeof bulks.$inferSelect;

/**
 * The hash chain over the audit log (lib/db/queries/chain.ts): one link per record written, in
 * write order, across the three logged tables. `kind` says which: `action` (an `actions` row as it
 * is after a change: `digest` is the SHA-256 of its canonical content), `event` (an `action_events`
 * row) or `audit` (an `audit_events` row); `ref` is the row's id. `hash` = SHA-256(prev_hash ||
 * canonical JSON of [seq, kind, ref, at, content]); seq is the head's + 1, so two writers appending
 * after the same head collide on the primary key instead of forking the chain.
 */
export const auditChain = sqliteTable("audit_chain", {
  seq: integer("seq").primaryKey(),
  kind: text("kind", { enum: ["action", "event", "audit"] }).notNull(),
  ref: text("ref").notNull(),
  at: integer("at").notNull(),
  /** For `action` links only: the digest of the row's state (events are hashed from their own row). */
  digest: blob("digest", { mode: "buffer" }),
  prevHash: blob("prev_hash", { mode: "buffer" }).notNull(),
  hash: blob("hash", { mode: "buffer" }).notNull(),
}, (t) => [index("audit_chain_record").on(t.kind, t.ref)]);

/** Signed heads of the chain (Ed25519): a later rewrite of the whole log is caught against them. */
export const auditCheckpoints = sqliteTable("audit_checkpoints", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** The chain's head when signed: its seq and hash (seq 0: an empty chain). */
  seq: integer("seq").notNull(),
  hash: blob("hash", { mode: "buffer" }).notNull(),
  at: integer("at").notNull(),
  /** `start`, `hourly`, `shutdown`, `prune` (a retention cut: the chain starts after it). */
  reason: text("reason").notNull(),
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: text("key_id").notNull(),
  signature: blob("signature", { mode: "buffer" }).notNull(),
});

/** The last verification of the chain (one row, id 1): what /admin shows. */
export const auditVerifications = sqliteTable("audit_verifications", {
  id: integer("id").primaryKey(),
  at: integer("at").notNull(),
  ok: integer("ok", { mode: "boolean" }).notNull(),
  records: integer("records").notNull(),
  checkpoints: integer("checkpoints").notNull(),
  seconds: real("seconds").notNull(),
  problem: text("problem"),
});

export type AuditChainRow = typeof auditChain.$inferSelect;
export type AuditCheckpointRow = typeof auditCheckpoints.$inferSelect;
export type AuditVerificationRow = typeof auditVerifications.$inferSelect;
export type SiemDestinationRow = typeof siemDestinations.$inferSelect;
