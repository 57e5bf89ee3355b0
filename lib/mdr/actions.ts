// The one pipeline every action goes through:
//   write the row as "pending" (before any outside call) -> provider call -> record the outcome.
// Whatever happens at the provider, the row ends truthful: succeeded, in_progress (still running
// there), failed (attempted, did not work) or rejected (refused, nothing changed).
import "server-only";
import { monotonicFactory } from "ulid";
import { type ErrorCode, MdrError } from "@/lib/errors";
import type { ActionRow, ActionStatus, ActionType, ProviderName } from "@/lib/db/schema";
import { type Db, inTransaction } from "@/lib/db/client";
import {
  actionTimeline,
  findAction,
  findActionStatus,
  insertActionEvent,
  insertPendingAction,
  markReverted,
  updateActionState,
} from "@/lib/db/queries/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { runInScope } from "@/lib/mdr/providers/call-scope";
import { serviceOf } from "@/lib/mdr/providers/facts";
import { ProviderError, SERVICE_LABELS, type ProviderErrorKind, type Service } from "@/lib/mdr/providers/types";
import type { Action, ActionDetail } from "@/lib/mdr/schemas";
import { inScope } from "@/lib/mdr/tenant";
import { escapeUnsafe } from "@/lib/text";

// Shared through globalThis: the route handlers and the background loops are bundled apart,
// and ids made by both in one millisecond must still sort in the order they were made.
const ids = globalThis as unknown as { __mdrUlid?: { next: ReturnType<typeof monotonicFactory>; last: number } };

const randomPool = new Uint8Array(4096);
let randomPoolAt = randomPool.length;

/**
 * Uniform in [0, 1) in steps of 1/256, from the system's secure generator drawn 4 KiB at a time:
 * ulid asks for one number per character, which made sixteen calls into the generator per id.
 * A byte / 256 scaled to ulid's 32 symbols is exactly uniform.
 */
function pooledRandom(): number {
  if (randomPoolAt >= randomPool.length) {
    crypto.getRandomValues(randomPool);
    randomPoolAt = 0;
  }
  return randomPool[randomPoolAt++]! / 256;
}

/**
 * `act_` + a ULID of the creation time: ids sort by time, so time windows are key ranges.
 * Monotonic within a millisecond; if the clock steps back, ids follow it rather than carry
 * a time that is not their creation time.
 */
export function newActionId(at: number): string {
  let gen = ids.__mdrUlid;
  if (!gen || at < gen.last) gen = ids.__mdrUlid = { next: monotonicFactory(pooledRandom), last: at };
  gen.last = at;
  return `act_${gen.next(at)}`;
}

/** The action that already holds what a new one asks for, and how to say so. */
export interface Holder {
  id: string;
  detail: string;
}

/** What a new action is compared with the audit log on (its duplicate rule). */
export type Claim = Pick<ActionSpec, "type" | "target" | "tenantId" | "provider" | "parameters">;

export interface ActionSpec {
  type: ActionType;
  target: string;
  tenantId: string;
  provider: ProviderName;
  parameters: Record<string, unknown>;
  reason: string | null;
  expiresAt?: number | null;
  /** Expires this long after the row's created_at (exactly: both come from the same clock reading). */
  expiresAfterMs?: number;
  /** The action this one undoes; on success that action stops being active. */
  reverts?: string | null;
  /**
   * Guardrails (protected assets) checked once the row is written and before anything else,
   * duplicates included: a protected target is always answered the same way, recorded rejected.
   */
  guard?: () => void;
  /**
   * The kind's duplicate rule: the action already holding what this one asks for. Asked inside the
   * transaction that writes the row, so of two identical requests at the same moment one goes ahead.
   */
  duplicate?: (db: Db, claim: Claim) => Holder | undefined;
  /**
   * What was learned before the row was written (a bulk's hosts resolved in one read), recorded on
   * it as a first step once its guardrails and duplicate rule let it through.
   */
  learned?: { message: string; result: Record<string, unknown> };
}

export interface Facts {
  providerRef?: string;
  result?: Record<string, unknown>;
  active?: boolean;
}

export interface Progress {
  /**
   * Records a step in the timeline, with what was learned, durably and at once. Once the action
   * has been closed (it timed out), the step is still recorded, then ClosedAction is thrown.
   */
  note(message: string, facts?: Facts): void;
  /** Records facts at once without a timeline step (what is about to be written, for recovery). */
  remember(facts: Facts): void;
}

export type Outcome =
  | ({ status: "succeeded"; message: string } & Facts)
  | ({ status: "in_progress"; message: string; providerRef: string } & Omit<Facts, "providerRef">);

export type Perform = (action: ActionRow, progress: Progress) => Promise<Outcome>;

/**
 * Thrown when part of an action took effect and a later step failed (a user disabled whose
 * sessions could not be revoked). Always recorded as failed, never as success or rejection;
 * what did take effect is in the timeline and in `active`.
 */
export class PartialFailure extends Error {
  constructor(
    message: string,
    readonly cause: unknown,
  ) {
    super(message);
    this.name = "PartialFailure";
  }
}

/** Thrown by Progress.note once the action has been closed (timed out): the verb must stop. */
export class ClosedAction extends Error {
  constructor(actionId: string) {
    super(`action ${actionId} was closed before this step; nothing more is done for it`);
    this.name = "ClosedAction";
  }
}

/** How a provider error is recorded and answered. */
const PROVIDER_FAILURES: Record<ProviderErrorKind, { status: "failed" | "rejected"; code: ErrorCode }> = {
  not_found: { status: "rejected", code: "not_found" },
  conflict: { status: "rejected", code: "conflict" },
  bad_request: { status: "failed", code: "provider_error" },
  permission: { status: "failed", code: "provider_error" },
  throttled: { status: "failed", code: "provider_unavailable" },
  unavailable: { status: "failed", code: "provider_unavailable" },
  timeout: { status: "failed", code: "provider_timeout" },
};

/** Many actions carried out by one provider call: one outcome (or the error of that one) per action, in order. */
export type PerformMany = (actions: ActionRow[], progress: Progress[]) => Promise<(Outcome | Error)[]>;

export async function runAction(ctx: MdrContext, spec: ActionSpec, perform: Perform): Promise<ActionRow> {
  return execute(ctx, writeAction(ctx, spec), perform);
}

/**
 * Writes the action's row, pending (to run now) or queued (a bulk's target, to run when its turn
 * comes), then checks the guardrails and the duplicate rule: a refused action is recorded rejected
 * and the refusal thrown.
 */
export function writeAction(ctx: MdrContext, spec: ActionSpec, queued?: { note: string }): ActionRow {
  const { action, holder } = insertPending(ctx, spec, queued?.note);
  try {
    spec.guard?.();
  } catch (err) {
    throw recordFailure(ctx, action, err);
  }
  if (holder) throw refuseDuplicate(ctx, action, holder);
  if (spec.learned) {
    const { message, result } = spec.learned;
    return inTransaction(ctx.db, () => {
      const row = writeRow(ctx.db, action.id, undefined, ctx.now(), { result });
      addEvent(ctx, action.id, row.status, message);
      return row;
    });
  }
  return action;
}

/**
 * Whether an error is a refusal for rate: our own gate's before the call was sent (the next turn
 * is further away than the bound), or the provider's 429 still there after its retries. Either
 * way the call changed nothing, so a queued action can wait for a turn rather than fail.
 */
function refusedForRate(err: unknown): err is ProviderError {
  return err instanceof ProviderError && err.kind === "throttled";
}

/**
 * Puts a taken action back in the queue: its call was refused for rate, and nothing changed.
 * The actions a bulk runs have one call that changes anything, their last; what they read before
 * it is read again when their turn comes.
 */
function requeue(ctx: MdrContext, action: ActionRow, err: ProviderError): ActionRow {
  return transition(ctx, action, "queued", `Waiting in the queue: ${escapeUnsafe(err.message.replace(/; nothing was sent$/, ""))}; nothing was sent`);
}

/** Actions taken from the bulk queue: how long a call may wait for its turn before the action goes back to wait there. */
export interface FromQueue {
  /** The latest time a call may wait for its turn until (the bulk request's answer); otherwise the gate's bound. */
  waitUntil?: number;
}

/**
 * Carries out an action whose row is written (pending): the provider call, then its outcome on the
 * row. `fromQueue`: a bulk's target taken from the queue, which goes back to wait there when our
 * rate gate has no turn for it in time, rather than failing.
 */
export async function execute(ctx: MdrContext, action: ActionRow, perform: Perform, fromQueue?: FromQueue): Promise<ActionRow> {
  const [row] = await executeMany(ctx, [action], async ([a], [p]) => [await perform(a!, p!)], fromQueue);
  if (row instanceof MdrError) throw row;
  return row!;
}

/**
 * Carries out actions whose rows are written (pending) by one provider call: each gets its own
 * timeline and outcome. A failure of the whole call is each one's failure; one item's error is its own.
 * Returns each row as it ends, or the error its single request would have answered.
 */
export async function executeMany(
  ctx: MdrContext,
  actions: ActionRow[],
  perform: PerformMany,
  fromQueue?: FromQueue,
): Promise<(ActionRow | MdrError)[]> {
  if (actions.length === 0) return [];
  let settled = false;
  const progresses = actions.map((action) => progressOf(ctx, action, () => settled));
  const first = actions[0]!;
  const deadline = new Deadline(ctx.config.providerTimeoutMs, serviceOf(first.provider));
  let queuedNoted = false;
  const scope = {
    waitUntil: fromQueue?.waitUntil,
    // Waiting for a turn under a provider's rate limit is not the provider being slow: the wait
    // moves the deadline, and the timeline says the action is queued (once, not per call).
    queued(service: Service, waitMs: number, why: string) {
      deadline.extend(waitMs);
      if (settled || queuedNoted) return;
      queuedNoted = true;
      for (const action of actions) {
        addEvent(
          ctx,
          action.id,
          currentStatus(ctx, action.id),
          `Queued: ${why}; the ${SERVICE_LABELS[service]} call waits ${(waitMs / 1000).toFixed(1)} s for its turn`,
        );
      }
    },
  };

  let outcomes: (Outcome | Error)[];
  try {
    outcomes = await deadline.race(runInScope(scope, () => perform(actions, progresses)));
  } catch (err) {
    settled = true;
    if (fromQueue && refusedForRate(err)) return actions.map((a) => requeue(ctx, a, err));
    const failure = deadline.explain(err);
    return actions.map((a) => recordFailure(ctx, a, failure));
  }
  settled = true;
  return actions.map((action, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) return recordFailure(ctx, action, new Error(`no outcome for action ${action.id} in the batch`));
    if (outcome instanceof Error) {
      if (fromQueue && refusedForRate(outcome)) return requeue(ctx, action, outcome);
      return recordFailure(ctx, action, outcome);
    }
    return recordOutcome(ctx, action, outcome);
  });
}

function progressOf(ctx: MdrContext, action: ActionRow, isSettled: () => boolean): Progress {
  return {
    note(message, facts = {}) {
      // A provider answering after the pipeline gave up still lands in the timeline.
      const settled = isSettled();
      const suffix = settled ? " (after the action had been closed)" : "";
      inTransaction(ctx.db, () => {
        const row = writeRow(ctx.db, action.id, undefined, ctx.now(), settled ? { ...facts, active: undefined } : facts);
        addEvent(ctx, action.id, row.status, message + suffix);
      });
      // The caller has been told the action failed: no further step may be taken in its name
      // (an isolation sent after the 504, say). The verb stops at this note.
      if (settled) throw new ClosedAction(action.id);
    },
    remember(facts) {
      if (!isSettled()) applyFacts(ctx, action.id, facts);
    },
  };
}

/**
 * Writes the row as pending, or finds the action already holding what this one asks for (then the
 * row is written and refused at once: nothing is sent to the provider). One transaction, so of two
 * identical requests at the same moment exactly one goes ahead.
 */
function insertPending(ctx: MdrContext, spec: ActionSpec, queuedNote?: string): { action: ActionRow; holder: Holder | undefined } {
  const now = ctx.now();
  const status = queuedNote === undefined ? "pending" : "queued";
  const row: ActionRow = {
    id: newActionId(now),
    type: spec.type,
    status,
    target: spec.target,
    tenantId: spec.tenantId,
    provider: spec.provider,
    mode: ctx.providers.mode,
    parameters: spec.parameters,
    reason: spec.reason,
    requestedBy: ctx.actor,
    providerRef: null,
    result: null,
    error: null,
    active: false,
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    expiresAt: spec.expiresAt ?? (spec.expiresAfterMs === undefined ? null : now + spec.expiresAfterMs),
    reverts: spec.reverts ?? null,
    revertedBy: null,
  };
  let holder: Holder | undefined;
  inTransaction(ctx.db, () => {
    holder = spec.duplicate?.(ctx.db, spec);
    insertPendingAction(ctx.db, row);
    const message = `Requested by ${ctx.actor}` + (queuedNote === undefined ? "" : `; ${queuedNote}`);
    insertActionEvent(ctx.db, { actionId: row.id, at: now, status, message });
  });
  return { action: row, holder };
}

/** A duplicate: recorded as rejected, answered 409 naming the action that holds the effect. */
export function refuseDuplicate(ctx: MdrContext, action: ActionRow, holder: Holder): MdrError {
  const row = transition(ctx, action, "rejected", holder.detail, { error: holder.detail });
  return new MdrError("conflict", holder.detail, {
    extra: { holder_action_id: holder.id, action_id: row.id, action_status: row.status },
  });
}

function currentStatus(ctx: MdrContext, id: string): ActionStatus {
  return findActionStatus(ctx.db, id) ?? "pending";
}

/** Records facts on the row at once, its status unchanged. */
function applyFacts(ctx: MdrContext, id: string, facts: Facts): void {
  inTransaction(ctx.db, () => writeRow(ctx.db, id, undefined, ctx.now(), facts));
}

/**
 * Writes `facts` over the row as it is now (results merge key by key), and moves it to `status`
 * when one is given: a final status sets completed_at. Called inside a transaction.
 */
function writeRow(
  db: Db,
  id: string,
  status: ActionStatus | undefined,
  now: number,
  facts: Facts & { error?: string | null },
): ActionRow {
  const current = findAction(db, id);
  if (!current) throw new Error(`action ${id} is not in the audit log`);
  const final = status === "succeeded" || status === "failed" || status === "rejected";
  return updateActionState(db, {
    id,
    status: status ?? current.status,
    updatedAt: now,
    completedAt: final ? now : current.completedAt,
    providerRef: facts.providerRef === undefined ? current.providerRef : facts.providerRef,
    active: facts.active === undefined ? current.active : facts.active,
    error: facts.error === undefined ? current.error : facts.error,
    result: facts.result === undefined ? current.result : { ...(current.result ?? {}), ...facts.result },
  });
}

export function addEvent(ctx: MdrContext, actionId: string, status: ActionStatus, message: string): void {
  insertActionEvent(ctx.db, { actionId, at: ctx.now(), status, message });
}

/** Moves an action to a new status with a timeline entry; final statuses set completed_at. */
export function transition(
  ctx: MdrContext,
  action: Pick<ActionRow, "id" | "reverts">,
  status: ActionStatus,
  message: string,
  facts: Facts & { error?: string | null } = {},
): ActionRow {
  const now = ctx.now();
  return inTransaction(ctx.db, () => {
    const row = writeRow(ctx.db, action.id, status, now, facts);
    insertActionEvent(ctx.db, { actionId: action.id, at: now, status, message });
    if (status === "succeeded" && action.reverts) {
      // The original keeps its own status (a disable that failed part way stays failed), and so
      // does the timeline entry saying it was reverted.
      const original = findActionStatus(ctx.db, action.reverts);
      markReverted(ctx.db, action.reverts, action.id, now);
      insertActionEvent(ctx.db, {
        actionId: action.reverts,
        at: now,
        status: original ?? "succeeded",
        message: `Reverted by ${action.id}`,
      });
    }
    return row;
  });
}

function recordOutcome(ctx: MdrContext, action: ActionRow, outcome: Outcome): ActionRow {
  const { status, message, ...facts } = outcome;
  return transition(ctx, action, status, message, facts);
}

/** A provider's refusal or failure as the error the API answers with (status, Retry-After). */
export function providerFailure(err: ProviderError): { status: "failed" | "rejected"; error: MdrError } {
  const how = PROVIDER_FAILURES[err.kind];
  const headers: Record<string, string> =
    err.retryAfterSeconds !== undefined ? { "retry-after": String(err.retryAfterSeconds) } : {};
  // The provider's words go into the row, the timeline and the answer: no line breaks or bidi overrides.
  return { status: how.status, error: new MdrError(how.code, escapeUnsafe(err.message), { headers }) };
}

function recordFailure(ctx: MdrContext, action: ActionRow, err: unknown): MdrError {
  let status: "failed" | "rejected";
  let error: MdrError;
  if (err instanceof PartialFailure) {
    status = "failed";
    const inner = err.cause instanceof ProviderError ? PROVIDER_FAILURES[err.cause.kind].code : "provider_error";
    const code = inner === "not_found" || inner === "conflict" ? "provider_error" : inner;
    error = new MdrError(code, escapeUnsafe(err.message));
  } else if (err instanceof ProviderError) {
    ({ status, error } = providerFailure(err));
  } else if (err instanceof MdrError) {
    status = "rejected";
    error = err;
  } else {
    status = "failed";
    console.error(`[mdr] action ${action.id} failed unexpectedly:`, err);
    error = new MdrError("internal", `Action ${action.id} failed with an unexpected error; it was recorded as failed.`);
  }
  const row = transition(ctx, action, status, error.message, { error: error.message });
  return new MdrError(error.code, error.message, {
    errors: error.errors,
    headers: error.headers,
    extra: { ...error.extra, action_id: row.id, action_status: row.status },
  });
}

/**
 * The longest an action's provider work may take, as a timer that a rate-limit wait pushes back:
 * the provider cannot be late for a call it has not been sent yet.
 */
/** Date.now() and the timers' clock may disagree by a millisecond or two. */
const CLOCK_SLACK_MS = 10;

class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private reject: ((err: unknown) => void) | undefined;
  private at: number;

  constructor(
    private readonly ms: number,
    private readonly service: Service,
  ) {
    this.at = Date.now() + ms;
  }

  extend(ms: number): void {
    this.at += ms;
    if (this.reject) this.arm();
  }

  race<T>(work: Promise<T>): Promise<T> {
    const timeout = new Promise<never>((_, reject) => {
      this.reject = reject;
      this.arm();
    });
    return Promise.race([work, timeout]).finally(() => {
      clearTimeout(this.timer);
      this.reject = undefined;
    });
  }

  /**
   * A call that ran out of time when the action's own time was up is the action timing out: its
   * timer and the call's abort end together, and whichever fires first, the answer is the same.
   */
  explain(err: unknown): unknown {
    return err instanceof ProviderError && err.kind === "timeout" && Date.now() >= this.at - CLOCK_SLACK_MS ? this.error() : err;
  }

  private error(): ProviderError {
    return new ProviderError(this.service, "timeout", `no answer within ${this.ms} ms; the outcome is unknown`);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reject?.(this.error()), Math.max(0, this.at - Date.now()));
  }
}

export function getActionRow(ctx: Pick<MdrContext, "db">, id: string): ActionRow | undefined {
  return findAction(ctx.db, id);
}

/** The action the caller asked for by id: 404 when there is none it may see (another tenant's is not there for it). */
export function requireVisibleAction(ctx: Pick<MdrContext, "db" | "scope">, id: string): ActionRow {
  const row = getActionRow(ctx, id);
  if (!row || !inScope(ctx, row.tenantId)) throw new MdrError("not_found", `No action ${id}.`);
  return row;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toApiAction(row: ActionRow): Action {
  return {
    id: row.id,
    type: row.type,
    status: row.status,
    target: row.target,
    tenant_id: row.tenantId,
    provider: row.provider,
    mode: row.mode,
    parameters: row.parameters,
    reason: row.reason,
    requested_by: row.requestedBy,
    provider_ref: row.providerRef,
    result: row.result,
    error: row.error,
    active: row.active,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    completed_at: iso(row.completedAt),
    expires_at: iso(row.expiresAt),
    reverts: row.reverts,
    reverted_by: row.revertedBy,
  };
}

/** One action with its timeline; undefined when there is none the caller may see (another tenant's is not there for it). */
export function getActionDetail(ctx: Pick<MdrContext, "db" | "scope">, id: string): ActionDetail | undefined {
  const row = getActionRow(ctx, id);
  if (!row || !inScope(ctx, row.tenantId)) return undefined;
  const events = actionTimeline(ctx.db, id);
  return {
    ...toApiAction(row),
    timeline: events.map((e) => ({ at: iso(e.at)!, status: e.status, message: e.message })),
  };
}
