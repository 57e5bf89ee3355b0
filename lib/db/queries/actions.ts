// The audit log of actions: the row each action is written to before anything is sent, its
// timeline, its changes of state, and the questions the pipeline, the background loops and the
// API ask of it. The statements every action runs are prepared once per database.
import { type SQL, and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, sql } from "drizzle-orm";
import { type Db, perDb } from "@/lib/db/client";
import { chainAction, chainEvent, inWrite } from "@/lib/db/queries/chain";
import { enqueueSiemRecord } from "@/lib/db/queries/siem";
import { OPEN_STATUSES } from "@/lib/mdr/enums";
import {
  type ActionEventRow,
  type ActionRow,
  type ActionStatus,
  type ActionType,
  actionEvents,
  actions,
} from "@/lib/db/schema";

const param = (name: string) => sql.placeholder(name);

/** The statements every action runs, built once per database. */
const statements = perDb((db: Db) => ({
  insertAction: db
    .insert(actions)
    .values({
      id: param("id"),
      type: param("type"),
      status: param("status"),
      target: param("target"),
      tenantId: param("tenantId"),
      provider: param("provider"),
      mode: param("mode"),
      parameters: param("parameters"),
      reason: param("reason"),
      requestedBy: param("requestedBy"),
      providerRef: null,
      result: null,
      error: null,
      active: false,
      createdAt: param("createdAt"),
      updatedAt: param("updatedAt"),
      completedAt: null,
      expiresAt: param("expiresAt"),
      reverts: param("reverts"),
      revertedBy: null,
    })
    .prepare(),
  insertEvent: db
    .insert(actionEvents)
    .values({ actionId: param("actionId"), at: param("at"), status: param("status"), message: param("message") })
    .prepare(),
  row: db.select().from(actions).where(eq(actions.id, param("id"))).prepare(),
  status: db.select({ status: actions.status }).from(actions).where(eq(actions.id, param("id"))).prepare(),
  /**
   * Writes every column a transition may change; the caller passes the unchanged ones as they were,
   * already in their stored form (drizzle's JSON encoder would store no result as the text 'null').
   */
  transition: db
    .update(actions)
    .set({
      status: sql`${param("status")}`,
      updatedAt: sql`${param("updatedAt")}`,
      completedAt: sql`${param("completedAt")}`,
      providerRef: sql`${param("providerRef")}`,
      active: sql`${param("active")}`,
      error: sql`${param("error")}`,
      result: sql`${param("result")}`,
    })
    .where(eq(actions.id, param("id")))
    .returning()
    .prepare(),
}));

/**
 * Writes a new action as pending (or queued). The prepared insert writes the constant columns
 * (nothing learned from the provider yet, not active, not reverted) as a new row has them.
 */
export function insertPendingAction(db: Db, row: ActionRow): void {
  inWrite(db, () => {
    insertAction(db, row);
    chainAction(db, row.id, row.createdAt);
  });
}

function insertAction(db: Db, row: ActionRow): void {
  statements(db).insertAction.run({
    id: row.id,
    type: row.type,
    status: row.status,
    target: row.target,
    tenantId: row.tenantId,
    provider: row.provider,
    mode: row.mode,
    parameters: row.parameters,
    reason: row.reason,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    expiresAt: row.expiresAt,
    reverts: row.reverts,
  });
}

/** A step in an action's timeline. */
export function insertActionEvent(db: Db, event: Omit<ActionEventRow, "id">): void {
  // Chained, and queued for the SIEM destinations, in the same transaction as the step itself.
  inWrite(db, () => {
    const id = statements(db).insertEvent.run(event).lastInsertRowid;
    chainEvent(db, id);
    enqueueSiemRecord(db, "action_event", id);
  });
}

export function findAction(db: Db, id: string): ActionRow | undefined {
  return statements(db).row.get({ id });
}

export function findActionStatus(db: Db, id: string): ActionStatus | undefined {
  return statements(db).status.get({ id })?.status;
}

/** The columns a change of state writes, all of them: the caller passes the unchanged ones as they are. */
export type ActionState = Pick<
  ActionRow,
  "id" | "status" | "updatedAt" | "completedAt" | "providerRef" | "active" | "error" | "result"
>;

/** Writes an action's state; returns the row as it is now. */
export function updateActionState(db: Db, state: ActionState): ActionRow {
  return inWrite(db, () => {
    const [row] = statements(db).transition.all({
      ...state,
      active: state.active ? 1 : 0,
      result: state.result === null ? null : JSON.stringify(state.result),
    });
    chainAction(db, state.id, state.updatedAt);
    return row!;
  });
}

/** The original action stops being active: `by` undid it. */
export function markReverted(db: Db, id: string, by: string, at: number): void {
  inWrite(db, () => {
    db.update(actions).set({ active: false, revertedBy: by, updatedAt: at }).where(eq(actions.id, id)).run();
    chainAction(db, id, at);
  });
}

/** Changes what may change of an action outside a change of state: its expiry, its result. */
export function patchAction(db: Db, id: string, patch: Partial<Pick<ActionRow, "expiresAt" | "result" | "updatedAt">>): void {
  inWrite(db, () => {
    db.update(actions).set(patch).where(eq(actions.id, id)).run();
    chainAction(db, id, patch.updatedAt ?? Date.now());
  });
}

/** An action's timeline, oldest first. */
export function actionTimeline(db: Db, id: string): ActionEventRow[] {
  return db.select().from(actionEvents).where(eq(actionEvents.actionId, id)).orderBy(asc(actionEvents.id)).all();
}

/** What a page of the audit log is filtered on; ids sort by time, so time windows are id ranges. */
export interface ActionFilter {
  type?: ActionType;
  status?: ActionStatus;
  target?: string;
  tenantId?: string;
  /** Ids from this one on (inclusive). */
  idFrom?: string;
  /** Ids up to this one (inclusive). */
  idTo?: string;
  /** Ids below this one: the keyset cursor. */
  idBelow?: string;
  /** Only these tenants (a caller's scope); undefined: every tenant. */
  tenantIn?: readonly string[];
}

/** The conditions of a filter (the list's and the export's). */
function filterWhere(filter: Omit<ActionFilter, "idBelow">): SQL[] {
  const where: SQL[] = [];
  if (filter.type) where.push(eq(actions.type, filter.type));
  if (filter.status) where.push(eq(actions.status, filter.status));
  if (filter.target) where.push(eq(actions.target, filter.target));
  if (filter.tenantId) where.push(eq(actions.tenantId, filter.tenantId));
  if (filter.tenantIn) where.push(inArray(actions.tenantId, [...filter.tenantIn]));
  if (filter.idFrom) where.push(gte(actions.id, filter.idFrom));
  if (filter.idTo) where.push(lte(actions.id, filter.idTo));
  return where;
}

/** Newest first, at most `limit` (no OFFSET: each filter has an index ending in id). */
export function listActionRows(db: Db, filter: ActionFilter, limit: number): ActionRow[] {
  const where = filterWhere(filter);
  if (filter.idBelow) where.push(lt(actions.id, filter.idBelow));
  return db
    .select()
    .from(actions)
    .where(and(...where))
    .orderBy(desc(actions.id))
    .limit(limit)
    .all();
}

/** The id of an action undoing `id` that is still running (pending, in progress), if any. */
export function findRunningUndo(db: Db, id: string): string | undefined {
  return db
    .select({ id: actions.id })
    .from(actions)
    .where(and(eq(actions.reverts, id), inArray(actions.status, [...OPEN_STATUSES])))
    .get()?.id;
}

/** Every attempt of one type to undo `id` (a restore of a quarantine, an unblock of a block), newest first. */
export function undoAttempts(db: Db, id: string, type: ActionType): ActionRow[] {
  return db
    .select()
    .from(actions)
    .where(and(eq(actions.reverts, id), eq(actions.type, type)))
    .orderBy(desc(actions.createdAt))
    .all();
}

/** Actions of a type in effect, not undone, whose expiry is at or before `now` (blocks due to end). */
export function expiredOfType(db: Db, type: ActionType, now: number): ActionRow[] {
  return db
    .select()
    .from(actions)
    .where(and(eq(actions.type, type), eq(actions.active, true), isNull(actions.revertedBy), lte(actions.expiresAt, now)))
    .all();
}

/** Actions of a type with this status (the machine actions the poller follows are in progress). */
export function actionsWithStatus(db: Db, type: ActionType, status: ActionStatus): ActionRow[] {
  return db
    .select()
    .from(actions)
    .where(and(eq(actions.status, status), eq(actions.type, type)))
    .all();
}

/**
 * Actions still pending that were last written before `before`: left by an earlier process. (Not
 * by creation: a queued row made before a restart and taken from the queue since is running now.)
 */
export function pendingActionsBefore(db: Db, before: number): ActionRow[] {
  return db
    .select()
    .from(actions)
    .where(and(eq(actions.status, "pending"), lt(actions.updatedAt, before)))
    .all();
}

/**
 * Takes a queued action for running: pending from now, its expiry moved by the time it waited
 * (a block lasts its duration from when it is sent). Undefined when it is no longer queued (taken
 * by another worker, or ended): of two claims of one row exactly one gets it.
 */
export function claimQueued(db: Db, id: string, now: number): ActionRow | undefined {
  return inWrite(db, () => {
    const row = db
      .update(actions)
      .set({
        status: "pending",
        updatedAt: now,
        expiresAt: sql`${actions.expiresAt} + (${now} - ${actions.updatedAt})`,
      })
      .where(and(eq(actions.id, id), eq(actions.status, "queued")))
      .returning()
      .get();
    if (row) chainAction(db, id, now);
    return row;
  });
}

/** The oldest queued actions, at most `limit`: the queue's head. */
export function queuedActions(db: Db, limit: number): ActionRow[] {
  return db.select().from(actions).where(eq(actions.status, "queued")).orderBy(asc(actions.id)).limit(limit).all();
}

/**
 * One page of an export, oldest first: the actions after `idAbove` (exclusive) that match the
 * filter, at most `limit`. Keyset on the primary key, so every page costs the same however deep.
 */
export function exportActionRows(db: Db, filter: Omit<ActionFilter, "idBelow">, idAbove: string | undefined, limit: number): ActionRow[] {
  const where = filterWhere(filter);
  if (idAbove) where.push(gt(actions.id, idAbove));
  return db
    .select()
    .from(actions)
    .where(and(...where))
    .orderBy(asc(actions.id))
    .limit(limit)
    .all();
}

/** The timelines of a page of actions, each oldest first, in one query (by the action_id index). */
export function timelinesOf(db: Db, ids: readonly string[]): Map<string, ActionEventRow[]> {
  const byAction = new Map<string, ActionEventRow[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byAction;
  const rows = db
    .select()
    .from(actionEvents)
    .where(inArray(actionEvents.actionId, [...ids]))
    .orderBy(asc(actionEvents.actionId), asc(actionEvents.id))
    .all();
  for (const e of rows) byAction.get(e.actionId)!.push(e);
  return byAction;
}
