// One kind of action, everything about it in one place: what it is asked with, what it does, how it
// is undone, what already holds its effect, what it may never touch, how a row a crash left
// pending is settled, what runs on its own in the background, and what the page and the metrics
// know of it. The registry (index.ts) has one for every action type, or the build fails.
import type { z } from "zod";
import type { Db } from "@/lib/db/client";
import type { ActionRow } from "@/lib/db/schema";
import type { ActionSpec, Claim, Holder, Perform, PerformMany } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import type { KindMeta } from "@/lib/mdr/kinds/meta";
import { RevertRequest } from "@/lib/mdr/schemas";

/** Undoes `original`: the reverse kind's verb, a linked action of its own. */
export type UndoVerb = (ctx: MdrContext, original: ActionRow, reason: string | null) => Promise<ActionRow>;

/**
 * How a kind's action waits in the bulk queue and runs from it: the verb's provider work from what
 * its row recorded (the same work whether it runs at once or later), and where the provider takes
 * many in one call, the batch form for the actions of one tenant and provider.
 */
export interface Queueable {
  perform: (ctx: MdrContext) => Perform;
  /** Calls to the provider one action (or one batch) makes, for a queue's estimated end (a look-up and the change: 2). */
  calls: number;
  /** The batch form for this provider, or null where it has none (one call per action). */
  batch?: (ctx: MdrContext, provider: ActionRow["provider"]) => { size: number; perform: PerformMany } | null;
  /** A forward kind: the spec of the action undoing `original` (a bulk's revert queues them). */
  undoSpec?: (original: ActionRow, reason: string | null) => ActionSpec;
}

/** Work a background loop does for the kind; returns how many rows it changed. */
export type BackgroundWork = (ctx: MdrContext) => Promise<number>;

export interface ActionKind<Input = never> {
  /** What the page, the API's lists, the OpenAPI document and the metrics know of it. */
  meta: KindMeta;
  /** The request it is asked with (a reverse kind: the revert's body). */
  request: z.ZodType;
  /** The verb: the row written ahead, the provider called, the outcome recorded. */
  perform: (args: { ctx: MdrContext; input: Input }) => Promise<ActionRow>;
  /** The reverse kind's verb, or null when the kind is itself an undo (undone by acting again). */
  undo: UndoVerb | null;
  /** The action already holding what a new one asks for, or null when nothing can (reverse kinds: the revert guards them). */
  duplicate: ((db: Db, claim: Claim) => Holder | undefined) | null;
  /** The guardrails checked once the row is written (protected assets), or null when none apply (undo is never blocked). */
  guard: ((ctx: MdrContext, input: Input) => void) | null;
  /** Completes a row an earlier process left pending, from what the provider has now; throws while it cannot be asked. */
  settle: (ctx: MdrContext, row: ActionRow) => Promise<void>;
  /** What runs on its own: `poll` every poll interval, `sweep` every sweep interval (after recovery at start). */
  background: { poll?: BackgroundWork; sweep?: BackgroundWork };
  /** Kinds a bulk request can ask for: how their actions run from the queue. */
  queue?: Queueable;
}

/** What a reverse kind is asked with: the action it undoes, and why. */
export interface UndoInput {
  original: ActionRow;
  reason: string | null;
}

/**
 * A folder's forward kind and the kind that undoes it, from its meta (a forward kind and its reverse
 * kind, in that order). The reverse kind's verb is the forward kind's undo. It is asked through the
 * revert route, is never a duplicate of anything (the revert refuses a second undo), is never blocked
 * by a guardrail, and is undone itself by acting again.
 */
export function kindPair<Input>(
  folder: { kinds: readonly [KindMeta, KindMeta, ...KindMeta[]] },
  forward: Omit<ActionKind<Input>, "meta" | "undo"> & { undo: UndoVerb },
  reverse: Pick<ActionKind<UndoInput>, "settle"> & Partial<Pick<ActionKind<UndoInput>, "background" | "queue">>,
): [ActionKind<Input>, ActionKind<UndoInput>] {
  const [forwardMeta, reverseMeta] = folder.kinds;
  const undo = forward.undo;
  return [
    { ...forward, meta: forwardMeta },
    {
      meta: reverseMeta,
      request: RevertRequest,
      perform: ({ ctx, input }) => undo(ctx, input.original, input.reason),
      undo: null,
      duplicate: null,
      guard: null,
      settle: reverse.settle,
      background: reverse.background ?? {},
      queue: reverse.queue,
    },
  ];
}
