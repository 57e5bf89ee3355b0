// Which action an outgoing provider call is made for. The rate gate sits deep inside the adapters
// (each HTTP attempt passes it) and knows nothing of the audit log; when it has to hold a call back
// it tells the action's scope, which writes the `queued` step and pauses the action's deadline.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Service } from "@/lib/mdr/providers/types";

export interface CallScope {
  /** A call of this action waits `waitMs` for its turn at `service`; `why` names the limit. */
  queued(service: Service, waitMs: number, why: string): void;
  /**
   * Background work (status polling) that yields to actions: rather than queue, its call is
   * skipped when the service has no free turn right now, and asked again next round.
   */
  background?: boolean;
  /**
   * The latest time (ms since the epoch) this call may wait for a turn until, when sooner than the
   * gate's bound: a bulk's target with no turn before its request answers waits in the durable
   * queue instead (nothing sent), not in memory.
   */
  waitUntil?: number;
}

// One store per process: the route handlers and the background loops are bundled apart, and the
// providers (with their gate) are one object shared through globalThis.
const shared = globalThis as unknown as { __mdrCallScope?: AsyncLocalStorage<CallScope> };
const storage = (shared.__mdrCallScope ??= new AsyncLocalStorage<CallScope>());

export function runInScope<T>(scope: CallScope, work: () => Promise<T>): Promise<T> {
  return storage.run(scope, work);
}

export function currentScope(): CallScope | undefined {
  return storage.getStore();
}
