// Every outgoing provider call (each HTTP attempt in live mode, each simulated call) passes this
// gate, per service and tenant:
// - a rate limiter below the service's published limits (Defender: 100 calls a minute and 1,500
//   an hour). A burst is queued, not failed: each call reserves the earliest time at which every
//   window still has room, and waits for it. A wait beyond the bound is refused at once, with
//   Retry-After, rather than holding a request for minutes.
// - a circuit breaker: after N consecutive failures (unreachable, timeout, 5xx) calls fail fast
//   for a cool-down; then one call goes through as a probe, and its success closes the circuit.
import { currentScope } from "@/lib/mdr/providers/call-scope";
import { perService } from "@/lib/mdr/providers/facts";
import { ProviderError, SERVICE_LABELS, type Service } from "@/lib/mdr/providers/types";

export interface RateWindow {
  limit: number;
  windowMs: number;
}

export interface GateOptions {
  /** Per service; every window applies (e.g. 90 a minute and 1,350 an hour). None: unlimited. */
  limits: Partial<Record<Service, RateWindow[]>>;
  /**
   * Calls a service counts apart from its other calls, in a lane of their own, by lane name
   * (Defender's indicator import and batch delete: 30 a minute, beside the 100 a minute of each
   * other API). A call naming a lane takes its turn there only; a lane without windows: unlimited.
   * The circuit breaker stays one per service and tenant, whatever the lane.
   */
  lanes?: Partial<Record<Service, Record<string, RateWindow[]>>>;
  /** Longest a call may wait for its turn; a longer wait is refused (503 with Retry-After). */
  maxQueueWaitMs: number;
  /**
   * Calls in flight at once per service and tenant (Outlook allows 4 concurrent requests per
   * mailbox). Besides being polite, it keeps a burst on a few warm connections, so calls reach
   * the service when they are let go rather than bunched behind new TLS handshakes.
   */
  concurrency?: Partial<Record<Service, number>>;
  /**
   * Each window is held this much longer (a share of its length): a call reaches the service a
   * little after it is let go, by a varying transit time, and the service counts arrivals.
   */
  windowMargin?: number;
  /** Consecutive failures that open the circuit; 0 turns the breaker off. */
  breakerThreshold: number;
  breakerCooldownMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a call that passed the gate reports back: whether the service answered. */
export interface Ticket {
  /** `error` says what failed, for the circuit's message. */
  done(outcome: "ok" | "failure", error?: string): void;
}

/** Whether an error means the service failed (counts towards opening the circuit). */
export function outcomeOf(err: unknown): "ok" | "failure" {
  if (err instanceof ProviderError) {
    if (err.local) return "ok"; // refused here, the service was not asked
    return err.kind === "unavailable" || err.kind === "timeout" ? "failure" : "ok";
  }
  return "failure"; // a network error or an abort: no answer
}

/** A readable window: "60 s", "1 h", "500 ms". */
export function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

interface Circuit {
  failures: number;
  lastError: string;
  openUntil: number | null;
  probing: boolean;
}

export interface CircuitState {
  open: boolean;
  /** Why calls are refused: "circuit open: ..." */
  reason: string | null;
  /** When a probe may go through. */
  retryAt: number | null;
}

export class CallGate {
  private readonly lanes = new Map<string, Lane>();
  private readonly circuits = new Map<string, Circuit>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly options: GateOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Waits for the call's turn; throws at once while the circuit is open or the wait is too long.
   * `laneName`: the service's lane of calls counted apart (GateOptions.lanes), if not its main one.
   */
  async enter(service: Service, tenantId: string, laneName?: string): Promise<Ticket> {
    const key = `${service} ${tenantId.toLowerCase()}`;
    const probe = this.admit(service, key);
    let lane: Lane | undefined;
    try {
      lane = await this.takeTurn(service, key, laneName);
    } catch (err) {
      if (probe) this.circuit(key).probing = false;
      throw err;
    }
    let reported = false;
    return {
      done: (outcome, error) => {
        if (reported) return;
        reported = true;
        this.report(key, outcome, probe, error);
        if (lane) {
          lane.inFlight--;
          this.pump(lane);
        }
      },
    };
  }

  /** Runs one call through the gate, reporting its outcome. */
  async run<T>(service: Service, tenantId: string, work: () => Promise<T>, laneName?: string): Promise<T> {
    const ticket = await this.enter(service, tenantId, laneName);
    try {
      const result = await work();
      ticket.done("ok");
      return result;
    } catch (err) {
      ticket.done(outcomeOf(err), (err as Error).message);
      throw err;
    }
  }

  /**
   * When `calls` more calls to the service in this tenant could all have gone, were each to go at
   * its first chance after the calls already waiting: a queue's estimated end.
   */
  estimate(service: Service, tenantId: string, calls: number): number {
    const now = this.now();
    const windows = this.options.limits[service] ?? [];
    if (windows.length === 0 || calls <= 0) return now;
    const lane = this.lane(`${service} ${tenantId.toLowerCase()}`, windows, this.options.concurrency?.[service] ?? Number.POSITIVE_INFINITY);
    return this.expectedTurn(lane, now, calls).at;
  }

  /** Whether calls to the service in this tenant are refused right now, and why. */
  state(service: Service, tenantId: string): CircuitState {
    const c = this.circuits.get(`${service} ${tenantId.toLowerCase()}`);
    if (!c || c.openUntil === null) return { open: false, reason: null, retryAt: null };
    const waiting = this.now() < c.openUntil || c.probing;
    return { open: waiting, reason: waiting ? this.openReason(service, c) : null, retryAt: c.openUntil };
  }

  /** Whether this call is the half-open probe; throws while the circuit refuses calls. */
  private admit(service: Service, key: string): boolean {
    const c = this.circuits.get(key);
    if (!c || c.openUntil === null) return false;
    const now = this.now();
    if (now < c.openUntil || c.probing) {
      const retryAfterSeconds = Math.max(1, Math.ceil((c.openUntil - now) / 1000));
      throw new ProviderError(service, "unavailable", this.openReason(service, c), { retryAfterSeconds, local: true });
    }
    c.probing = true;
    return true;
  }

  private openReason(service: Service, c: Circuit): string {
    const at = new Date(c.openUntil!).toISOString();
    return `circuit open: ${c.failures} consecutive failures of ${SERVICE_LABELS[service]} (last: ${c.lastError}); calls fail fast until a probe after ${at} succeeds`;
  }

  private circuit(key: string): Circuit {
    let c = this.circuits.get(key);
    if (!c) this.circuits.set(key, (c = { failures: 0, lastError: "", openUntil: null, probing: false }));
    return c;
  }

  private report(key: string, outcome: "ok" | "failure", probe: boolean, error = "no answer"): void {
    const { breakerThreshold, breakerCooldownMs } = this.options;
    if (breakerThreshold <= 0) return;
    const c = this.circuit(key);
    if (probe) c.probing = false;
    if (outcome === "ok") {
      c.failures = 0;
      c.openUntil = null;
      return;
    }
    c.failures++;
    c.lastError = error;
    // A failed probe opens the circuit again for another cool-down.
    if (probe || c.failures >= breakerThreshold) c.openUntil = this.now() + breakerCooldownMs;
  }

  /**
   * Waits for a turn: a call goes when, at that moment, every window holds fewer calls than its
   * limit (sliding windows over the times calls really went, so a server too busy to send on time
   * cannot bunch them), in arrival order. A call that cannot go at once is queued; its expected
   * wait is worked out from the queue ahead of it, and refused at once when beyond the bound.
   */
  private async takeTurn(service: Service, key: string, laneName: string | undefined): Promise<Lane | undefined> {
    const windows = (laneName === undefined ? this.options.limits[service] : this.options.lanes?.[service]?.[laneName]) ?? [];
    if (windows.length === 0) return undefined;
    const scope = currentScope();
    const laneKey = laneName === undefined ? key : `${key} ${laneName}`;
    const lane = this.lane(laneKey, windows, this.options.concurrency?.[service] ?? Number.POSITIVE_INFINITY);
    const now = this.now();
    // Background calls (status polls) may fill only half of each window, and only with a turn that
    // is free now: the rest is kept for actions, which would otherwise queue behind the polls.
    if (lane.queue.length === 0 && this.admits(lane, now, scope?.background ? 0.5 : 1)) {
      lane.sent.push(now);
      lane.inFlight++;
      return lane;
    }
    const { at, binding } = this.expectedTurn(lane, now);
    const wait = at - now;
    const calls = laneName === undefined ? "calls" : `${laneName} calls`;
    const why = binding
      ? `${SERVICE_LABELS[service]} allows ${binding.limit} ${calls} per ${formatWindow(binding.windowMs)} per tenant here`
      : `earlier calls to ${SERVICE_LABELS[service]} go first`;
    if (scope?.background) {
      throw new ProviderError(service, "throttled", `rate limit: ${why}; background call skipped until a turn is free`, {
        local: true,
      });
    }
    const bound = Math.min(this.options.maxQueueWaitMs, scope?.waitUntil === undefined ? Number.POSITIVE_INFINITY : Math.max(0, scope.waitUntil - now));
    if (wait > bound) {
      throw new ProviderError(
        service,
        "throttled",
        `rate limit: ${why}; the next free turn is in ${(wait / 1000).toFixed(1)} s, beyond the queue bound of ${(bound / 1000).toFixed(1)} s; nothing was sent`,
        { retryAfterSeconds: Math.ceil(wait / 1000), local: true },
      );
    }
    scope?.queued(service, wait, why);
    await new Promise<void>((resolve) => {
      lane.queue.push(resolve);
      this.pump(lane);
    });
    return lane;
  }

  /** How long a window is held: its length, and the margin for transit. */
  private span(w: RateWindow): number {
    return Math.ceil(w.windowMs * (1 + (this.options.windowMargin ?? 0)));
  }

  private lane(key: string, windows: RateWindow[], maxInFlight: number): Lane {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { windows, maxInFlight, inFlight: 0, sent: [], queue: [], pumping: false }));
    const longest = Math.max(...windows.map((w) => this.span(w)));
    const now = this.now();
    while (lane.sent.length > 0 && lane.sent[0]! <= now - longest) lane.sent.shift();
    return lane;
  }

  /**
   * Whether a call may go at `now`: fewer than the most calls are in flight, and each window
   * holds fewer than its limit (the shortest window: fewer than its share of it, for background
   * calls; in longer windows they compete as equals, or polling would stop for an hour).
   */
  private admits(lane: Lane, now: number, share: number): boolean {
    if (lane.inFlight >= lane.maxInFlight) return false;
    const shortest = Math.min(...lane.windows.map((w) => w.windowMs));
    return lane.windows.every((w) => {
      const limit = Math.max(1, Math.floor(w.limit * (w.windowMs === shortest ? share : 1)));
      let n = 0;
      const span = this.span(w);
      for (let i = lane.sent.length - 1; i >= 0 && lane.sent[i]! > now - span; i--) n++;
      return n < limit;
    });
  }

  /** When a call joining the queue now should go, were every call ahead to go at its first chance. */
  private expectedTurn(lane: Lane, now: number, more = 1): { at: number; binding: RateWindow | undefined } {
    const times = [...lane.sent];
    let at = now;
    let binding: RateWindow | undefined;
    for (let k = 0; k < lane.queue.length + more; k++) {
      at = Math.max(now, times.at(-1) ?? now);
      binding = undefined;
      for (const w of lane.windows) {
        if (times.length < w.limit) continue;
        const free = times[times.length - w.limit]! + this.span(w);
        if (free > at) {
          at = free;
          binding = w;
        }
      }
      times.push(at);
    }
    return { at, binding };
  }

  /** Lets queued calls go, in order, as the windows free up. */
  private pump(lane: Lane): void {
    if (lane.pumping) return;
    const now = this.now();
    while (lane.queue.length > 0 && this.admits(lane, now, 1)) {
      lane.sent.push(now);
      lane.inFlight++;
      lane.queue.shift()!();
    }
    // Nothing to wait for, or a call in flight will pump when it is done.
    if (lane.queue.length === 0 || lane.inFlight >= lane.maxInFlight) return;
    // The next turn: when the oldest call that fills a window leaves it.
    let next = now + 1;
    for (const w of lane.windows) {
      const inWindow = lane.sent.filter((t) => t > now - this.span(w));
      if (inWindow.length >= w.limit) next = Math.max(next, inWindow[inWindow.length - w.limit]! + this.span(w));
    }
    lane.pumping = true;
    void this.sleep(next - now).then(() => {
      lane.pumping = false;
      this.pump(lane);
    });
  }
}

interface Lane {
  windows: RateWindow[];
  maxInFlight: number;
  inFlight: number;
  /** When calls went, oldest first, as far back as the longest window. */
  sent: number[];
  /** Calls waiting for their turn, in arrival order. */
  queue: (() => void)[];
  pumping: boolean;
}

/** A gate that lets everything through: no limits, no breaker (unit tests, tools). */
export function openGate(): CallGate {
  return new CallGate({
    limits: perService(() => []),
    maxQueueWaitMs: Number.POSITIVE_INFINITY,
    breakerThreshold: 0,
    breakerCooldownMs: 0,
  });
}
