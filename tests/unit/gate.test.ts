// The rate gate and the circuit breaker, on a hand-moved clock: a burst is queued in arrival
// order and never more than the limit falls in any window; a wait beyond the bound is refused at
// once with Retry-After; N consecutive failures open the circuit, a probe after the cool-down
// closes it; background calls never queue ahead of actions.
import { describe, expect, it } from "vitest";
import { runInScope } from "@/lib/mdr/providers/call-scope";
import { CallGate, type GateOptions, outcomeOf } from "@/lib/mdr/providers/gate";
import { ProviderError } from "@/lib/mdr/providers/types";

const T = "tenant-a";

function gate(over: Partial<GateOptions> = {}) {
  const clock = { now: 0 };
  const slept: number[] = [];
  const g = new CallGate({
    limits: { defender: [{ limit: 3, windowMs: 1000 }] },
    maxQueueWaitMs: 5000,
    breakerThreshold: 3,
    breakerCooldownMs: 2000,
    now: () => clock.now,
    // Time passes exactly as asked: each wait moves the clock.
    sleep: async (ms) => {
      slept.push(ms);
      clock.now += ms;
    },
    ...over,
  });
  return { g, clock, slept };
}

/** Whether `times` ever has more than `limit` in a window of `windowMs` (closed on the left, open on the right). */
function maxInWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0; i < times.length; i++) {
    const n = times.filter((t) => t >= times[i]! && t < times[i]! + windowMs).length;
    max = Math.max(max, n);
  }
  return max;
}

describe("the rate gate", () => {
  it("lets the first `limit` calls go at once, then queues each until the window has room", async () => {
    const { g, clock, slept } = gate();
    const sent: number[] = [];
    for (let i = 0; i < 7; i++) {
      (await g.enter("defender", T)).done("ok");
      sent.push(clock.now);
    }
    expect(sent).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    expect(slept).toEqual([1000, 1000]);
    expect(maxInWindow(sent, 1000)).toBe(3);
  });

  it("holds every window: 3 a second and 5 in ten seconds", async () => {
    const { g, clock } = gate({
      limits: { defender: [{ limit: 3, windowMs: 1000 }, { limit: 5, windowMs: 10_000 }] },
      maxQueueWaitMs: 60_000,
    });
    const sent: number[] = [];
    for (let i = 0; i < 11; i++) {
      (await g.enter("defender", T)).done("ok");
      sent.push(clock.now);
    }
    expect(sent).toEqual([0, 0, 0, 1000, 1000, 10_000, 10_000, 10_000, 11_000, 11_000, 20_000]);
    expect(maxInWindow(sent, 1000)).toBeLessThanOrEqual(3);
    expect(maxInWindow(sent, 10_000)).toBeLessThanOrEqual(5);
  });

  it("queues concurrent callers in arrival order, and tells the action's scope it is queued", async () => {
    const clock = { now: 0 };
    const g = new CallGate({
      limits: { defender: [{ limit: 2, windowMs: 1000 }] },
      maxQueueWaitMs: 5000,
      breakerThreshold: 0,
      breakerCooldownMs: 0,
      now: () => clock.now,
      sleep: () => new Promise(() => {}),
    });
    const queued: [string, number, string][] = [];
    const scope = (name: string) => ({ queued: (s: string, ms: number, why: string) => queued.push([`${name} ${s}`, ms, why]) });
    // Time stands still: a and b go, the rest wait in the queue.
    for (const n of ["a", "b", "c", "d", "e"]) void runInScope(scope(n), () => g.enter("defender", T));
    await new Promise((r) => setTimeout(r, 10));
    expect(queued).toEqual([
      ["c defender", 1000, "Defender allows 2 calls per 1 s per tenant here"],
      ["d defender", 1000, "earlier calls to Defender go first"],
      ["e defender", 2000, "Defender allows 2 calls per 1 s per tenant here"],
    ]);
  });

  it("refuses at once a wait beyond the bound: throttled, local (never retried), Retry-After in seconds", async () => {
    // Time stands still: three calls go, three wait in the queue.
    const { g } = gate({ maxQueueWaitMs: 1500, sleep: () => new Promise(() => {}) });
    for (let i = 0; i < 3; i++) await g.enter("defender", T);
    for (let i = 0; i < 3; i++) void g.enter("defender", T);
    let err: unknown;
    try {
      await g.enter("defender", T);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      kind: "throttled",
      local: true,
      retryAfterSeconds: 2,
      message:
        "[Defender] rate limit: Defender allows 3 calls per 1 s per tenant here; the next free turn is in 2.0 s, beyond the queue bound of 1.5 s; nothing was sent",
    });
  });

  it("lets at most `concurrency` calls be in flight; the next goes when one is done", async () => {
    const { g } = gate({ limits: { defender: [{ limit: 100, windowMs: 1000 }] }, concurrency: { defender: 2 } });
    const a = await g.enter("defender", T);
    await g.enter("defender", T);
    let third = false;
    const waiting = g.enter("defender", T).then((t) => {
      third = true;
      return t;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(third).toBe(false);
    a.done("ok");
    await waiting;
    expect(third).toBe(true);
  });

  it("counts per service and tenant", async () => {
    const { g, clock } = gate({ limits: { defender: [{ limit: 1, windowMs: 1000 }], graph: [{ limit: 1, windowMs: 1000 }] } });
    await g.enter("defender", T);
    await g.enter("defender", "tenant-b");
    await g.enter("graph", T);
    expect(clock.now).toBe(0);
    await g.enter("defender", "TENANT-A"); // the same tenant, however it is written
    expect(clock.now).toBe(1000);
  });

  it("a background call takes only a turn free now, within half of each window", async () => {
    const { g, clock } = gate({ limits: { defender: [{ limit: 4, windowMs: 1000 }] } });
    const poll = () => runInScope({ background: true, queued: () => {} }, () => g.enter("defender", T));
    await poll();
    await poll();
    await expect(poll()).rejects.toMatchObject({ kind: "throttled", local: true });
    // Actions still have the other half at once.
    await g.enter("defender", T);
    await g.enter("defender", T);
    expect(clock.now).toBe(0);
  });
});

describe("a lane of its own (Defender's indicator import and batch delete: 30 a minute beside the 100 of each other API)", () => {
  const lanes = () =>
    gate({
      limits: { defender: [{ limit: 3, windowMs: 1000 }] },
      lanes: { defender: { batch: [{ limit: 2, windowMs: 1000 }] } },
      maxQueueWaitMs: 60_000,
    });

  it("counts its calls apart: neither lane's calls take the other's turns", async () => {
    const { g, clock } = lanes();
    for (let i = 0; i < 3; i++) (await g.enter("defender", T)).done("ok");
    // The main lane is full; the batch lane is not.
    (await g.enter("defender", T, "batch")).done("ok");
    (await g.enter("defender", T, "batch")).done("ok");
    expect(clock.now).toBe(0);
    // The batch lane's third waits for its own window, by its own limit.
    (await g.enter("defender", T, "batch")).done("ok");
    expect(clock.now).toBe(1000);
  });

  it("holds its own windows over a run of calls, and says which calls it holds back", async () => {
    const { g, clock } = lanes();
    const sent: number[] = [];
    const reasons: string[] = [];
    await runInScope({ queued: (_s: string, _w: number, why: string) => reasons.push(why) }, async () => {
      for (let i = 0; i < 7; i++) {
        (await g.enter("defender", T, "batch")).done("ok");
        sent.push(clock.now);
      }
    });
    expect(sent).toEqual([0, 0, 1000, 1000, 2000, 2000, 3000]);
    expect(maxInWindow(sent, 1000)).toBe(2);
    expect(reasons).toEqual(Array(3).fill("Defender allows 2 batch calls per 1 s per tenant here"));
  });

  it("a lane without windows is unlimited; the circuit stays one per service and tenant, whatever the lane", async () => {
    const { g, clock } = gate({ limits: { defender: [{ limit: 1, windowMs: 1000 }] } });
    for (let i = 0; i < 3; i++) (await g.enter("defender", T, "batch")).done("failure", "503 from Defender");
    expect(clock.now).toBe(0);
    await expect(g.enter("defender", T)).rejects.toMatchObject({ kind: "unavailable", local: true });
    expect(g.state("defender", T).open).toBe(true);
  });
});

describe("the circuit breaker", () => {
  const fail = async (g: CallGate) => (await g.enter("defender", T)).done("failure", "503 from Defender");

  it("opens after 3 consecutive failures: calls fail fast, local, with Retry-After", async () => {
    const { g, clock } = gate({ limits: {} });
    await fail(g);
    await fail(g);
    (await g.enter("defender", T)).done("ok"); // a success resets the count
    await fail(g);
    await fail(g);
    expect(g.state("defender", T)).toEqual({ open: false, reason: null, retryAt: null });
    await fail(g);
    const reason =
      "circuit open: 3 consecutive failures of Defender (last: 503 from Defender); calls fail fast until a probe after 1970-01-01T00:00:02.000Z succeeds";
    expect(g.state("defender", T)).toEqual({ open: true, reason, retryAt: 2000 });
    clock.now = 500;
    await expect(g.enter("defender", T)).rejects.toMatchObject({
      kind: "unavailable",
      local: true,
      retryAfterSeconds: 2,
      message: `[Defender] ${reason}`,
    });
    // Other services and tenants are not affected.
    await g.enter("graph", T);
    await g.enter("defender", "tenant-b");
  });

  it("after the cool-down one probe goes through (others still fail fast); its success closes the circuit", async () => {
    const { g, clock } = gate({ limits: {} });
    for (let i = 0; i < 3; i++) await fail(g);
    clock.now = 2000;
    const probe = await g.enter("defender", T);
    await expect(g.enter("defender", T)).rejects.toMatchObject({ local: true, kind: "unavailable" });
    probe.done("ok");
    expect(g.state("defender", T).open).toBe(false);
    (await g.enter("defender", T)).done("ok");
  });

  it("a failed probe opens it for another cool-down", async () => {
    const { g, clock } = gate({ limits: {} });
    for (let i = 0; i < 3; i++) await fail(g);
    clock.now = 2000;
    (await g.enter("defender", T)).done("failure", "still down");
    expect(g.state("defender", T)).toMatchObject({ open: true, retryAt: 4000 });
    clock.now = 3999;
    await expect(g.enter("defender", T)).rejects.toMatchObject({ local: true });
  });

  it("threshold 0 turns it off", async () => {
    const { g } = gate({ limits: {}, breakerThreshold: 0 });
    for (let i = 0; i < 10; i++) await fail(g);
    expect(g.state("defender", T).open).toBe(false);
  });

  it.each([
    [new ProviderError("defender", "unavailable", "503"), "failure"],
    [new ProviderError("defender", "timeout", "no answer"), "failure"],
    [new TypeError("fetch failed"), "failure"],
    [new ProviderError("defender", "throttled", "429"), "ok"],
    [new ProviderError("defender", "not_found", "404"), "ok"],
    [new ProviderError("defender", "permission", "403"), "ok"],
    [new ProviderError("defender", "unavailable", "circuit open", { local: true }), "ok"],
  ])("%s counts as %s", (err, outcome) => {
    expect(outcomeOf(err)).toBe(outcome);
  });
});
