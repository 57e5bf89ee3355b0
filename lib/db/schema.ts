// The audit log: one row per action, one row per change in an action's life.
// Portable to PostgreSQL: plain columns, times as integer milliseconds since the epoch.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

import { ACTION_STATUSES, ACTION_TYPES, MODES, PROVIDER_NAMES } from "@/lib/mdr/enums";

export { ACTION_STATUSES, ACTION_TYPES, MODES, PROVIDER_NAMES };
export type { ActionStatus, ActionType, ProviderName } from "@/lib/mdr/enums";

export const actions = sqliteTable(
  "actions",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: ACTION_TYPES }).notNull(),
    status: text("status", { enum: ACTION_STATUSES }).notNull(),
    target: text("target").notNull(),
    tenantId: text("tenant_id").notNull(),
    provider: text("provider", { enum: PROVIDER_NAMES }).notNull(),
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

export type ActionRow = typeof actions.$inferSelect;
export type NewActionRow = typeof actions.$inferInsert;
export type ActionEventRow = typeof actionEvents.$inferSelect;
