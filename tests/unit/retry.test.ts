// Bounded retries: at most 3 tries, Retry-After honoured, exponential backoff with jitter, a call
// that may have acted (non-idempotent) never repeated after a 5xx or timeout, and each try taking
// its own turn at the gate, whose own refusals are never retried.
import { describe, expect, it } from "vitest";
import { CallGate } from "@/lib/mdr/providers/gate";
import { type RetryPolicy, withRetry } from "@/lib/mdr/providers/live/retry";
import { ProviderError } from "@/lib/mdr/providers/types";

function policy(): RetryPolicy & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    maxTries: 3,
    budgetMs: 30_000,
    attemptTimeoutMs: 15_000,
    baseDelayMs: 500,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
}

/** An attempt that fails with `errors` in turn, then answers "ok". */
function attempts(...errors: ProviderError[]) {
  let n = 0;
  const fn = async () => {
    const err = errors[n++];
    if (err) throw err;
    return "ok";
  };
  return { fn, tries: () => n };
}

const unavailable = (retryAfterSeconds?: number) =>
  new ProviderError("defender", "unavailable", "503", { httpStatus: 503, retryAfterSeconds });

describe("withRetry", () => {
  it("retries a read after 5xx with growing, jittered waits; at most 3 tries", async () => {
    const p = policy();
    const a = attempts(unavailable(), unavailable(), unavailable());
    await expect(withRetry("defender", true, p, a.fn)).rejects.toMatchObject({ kind: "unavailable" });
    expect(a.tries()).toBe(3);
    expect(p.waits).toHaveLength(2);
    expect(p.waits[0]).toBeGreaterThanOrEqual(250);
    expect(p.waits[0]).toBeLessThan(750);
    expect(p.waits[1]).toBeGreaterThanOrEqual(500);
    expect(p.waits[1]).toBeLessThan(1500);
  });

  it("waits what Retry-After asks", async () => {
    const p = policy();
    const a = attempts(unavailable(2));
    expect(await withRetry("defender", true, p, a.fn)).toBe("ok");
    expect(p.waits).toEqual([2000]);
  });

  it("never repeats a write that may have acted (5xx, timeout), but does after 429", async () => {
    const p = policy();
    const write = attempts(unavailable());
    await expect(withRetry("defender", false, p, write.fn)).rejects.toMatchObject({ kind: "unavailable" });
    expect(write.tries()).toBe(1);
    const throttled = attempts(new ProviderError("defender", "throttled", "429", { httpStatus: 429, retryAfterSeconds: 1 }));
    expect(await withRetry("defender", false, p, throttled.fn)).toBe("ok");
    expect(throttled.tries()).toBe(2);
  });

  it("gives up when Retry-After is past the budget", async () => {
    const p = { ...policy(), budgetMs: 5000 };
    const a = attempts(unavailable(10));
    await expect(withRetry("defender", true, p, a.fn)).rejects.toMatchObject({ retryAfterSeconds: 10 });
    expect(a.tries()).toBe(1);
  });

  it("each try passes the gate and reports to the breaker; an open circuit is not retried", async () => {
    const gate = new CallGate({ limits: {}, maxQueueWaitMs: 1000, breakerThreshold: 2, breakerCooldownMs: 60_000 });
    const p = policy();
    const a = attempts(unavailable(), unavailable(), unavailable());
    // Two tries fail: the circuit opens; the third try is refused by the gate without being sent.
    await expect(withRetry("defender", true, p, a.fn, { gate, tenantId: "t" })).rejects.toMatchObject({
      kind: "unavailable",
      local: true,
    });
    expect(a.tries()).toBe(2);
    const b = attempts();
    await expect(withRetry("defender", true, p, b.fn, { gate, tenantId: "t" })).rejects.toMatchObject({ local: true });
    expect(b.tries()).toBe(0);
  });
});
