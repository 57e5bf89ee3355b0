// Two brakes: a per-actor rate limit on actions (a runaway script cannot flood the providers or
// the audit log), and sign-in throttling (guessing passwords is slow, per account and per address).
import { MdrError } from "@/lib/errors";
import { failureTimes } from "./audit";
import type { Store } from "./store";

interface Bucket {
  tokens: number;
  at: number;
}

const buckets = (globalThis as unknown as { __mdrBuckets?: Map<string, Bucket> }).__mdrBuckets ?? new Map();
(globalThis as unknown as { __mdrBuckets?: Map<string, Bucket> }).__mdrBuckets = buckets;

/**
 * Takes `cost` from the actor's bucket (capacity `perMinute`, refilled continuously), or throws
 * 429 with Retry-After saying when that many will be available; nothing is taken then. `prepaid`:
 * how much of the cost this request already took (the route's 1, before its body said it is a bulk
 * of `cost` targets); a refused request keeps what it prepaid spent. `perMinute` 0 means no limit.
 */
export function takeActionBudget(actor: string, perMinute: number, now: number, cost = 1, prepaid = 0): void {
  if (perMinute <= 0) return;
  const ratePerMs = perMinute / 60_000;
  const bucket = buckets.get(actor) ?? { tokens: perMinute, at: now };
  bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * ratePerMs);
  bucket.at = now;
  const due = cost - prepaid;
  if (bucket.tokens >= due) {
    bucket.tokens -= due;
    buckets.set(actor, bucket);
    return;
  }
  buckets.set(actor, bucket);
  if (cost > perMinute) {
    throw new MdrError("rate_limited", `This request needs ${cost} actions; the limit is ${perMinute} per minute per caller.`);
  }
  // Sent again, the request pays its whole cost from the bucket.
  const wait = Math.max(1, Math.ceil((cost - bucket.tokens) / ratePerMs / 1000));
  throw new MdrError(
    "rate_limited",
    cost > 1
      ? `Too many actions from ${actor}: this request needs ${cost} and the limit is ${perMinute} per minute. Retry in ${wait} s.`
      : `Too many actions from ${actor}: the limit is ${perMinute} per minute. Retry in ${wait} s.`,
    { headers: { "retry-after": String(wait) } },
  );
}

export const LOGIN_WINDOW_MS = 15 * 60_000;
/** An address may fail this many times the per-account limit (a NAT or a shared jump host). */
const PER_ADDRESS_FACTOR = 4;
/** Past a limit, the wait after the last failure: 30 s, doubling with each further failure, at most the window. */
export const FIRST_DELAY_MS = 30_000;

/**
 * Password checks under way, per throttle key, in this process. The failures are counted from the
 * audit log, which a check writes only after its scrypt hash (~100 ms): without these, every
 * guess sent while the first ones hash would be checked too. The server is one process per
 * database, so counting them here is enough to make check-and-reserve atomic (no await between).
 */
const inFlight: Map<string, number> =
  (globalThis as unknown as { __mdrSignInsInFlight?: Map<string, number> }).__mdrSignInsInFlight ?? new Map();
(globalThis as unknown as { __mdrSignInsInFlight?: Map<string, number> }).__mdrSignInsInFlight = inFlight;

/** Which limit refused: the account from this address (the account alone when the address is unknown), or the address. */
export type ThrottleLimit = "account_address" | "address";

export type SignInSlot =
  | { ok: true; release: () => void }
  | { ok: false; limit: ThrottleLimit; retryAfterS: number };

function waitAfter(failures: number, limit: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** (failures - limit), LOGIN_WINDOW_MS);
}

/**
 * Takes a slot for one password check of `username` from `ip` (a trusted address, or null when
 * none is known), or says which limit refuses it and for how long. The limits: `maxFailures`
 * failures per account and address, `maxFailures` x 4 per address across accounts, in the last 15
 * minutes, counting the checks under way as failures-to-be. Past a limit it slows down rather
 * than shuts out: one more check 30 s after the last failure, 60 s after the next, and so on (at
 * most 15 min). A stranger's failures thus hold back only their own address, never the owner
 * signing in from another. Call `release` once the check's failure (if any) is recorded.
 */
export function reserveSignInCheck(store: Store, username: string, ip: string | null, maxFailures: number): SignInSlot {
  const now = store.now();
  const since = now - LOGIN_WINDOW_MS;
  const checks: { key: string; limit: number; scope: ThrottleLimit; times: number[] }[] = [
    {
      key: `account\n${username}\n${ip ?? ""}`,
      limit: maxFailures,
      scope: "account_address",
      times: failureTimes(store, ip ? { subject: username, ip } : { subject: username }, since),
    },
  ];
  if (ip) {
    checks.push({ key: `address\n${ip}`, limit: maxFailures * PER_ADDRESS_FACTOR, scope: "address", times: failureTimes(store, { ip }, since) });
  }
  for (const c of checks) {
    const pending = inFlight.get(c.key) ?? 0;
    const failures = c.times.length;
    if (failures + pending < c.limit) continue;
    let waitMs: number;
    if (failures < c.limit || pending > 0) {
      // The last checks allowed are still hashing: ask again shortly.
      waitMs = 1000;
    } else {
      waitMs = c.times[failures - 1]! + waitAfter(failures, c.limit) - now;
      if (waitMs <= 0) continue;
    }
    return { ok: false, limit: c.scope, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
  for (const c of checks) inFlight.set(c.key, (inFlight.get(c.key) ?? 0) + 1);
  let released = false;
  return {
    ok: true,
    release: () => {
      if (released) return;
      released = true;
      for (const c of checks) {
        const left = (inFlight.get(c.key) ?? 1) - 1;
        if (left > 0) inFlight.set(c.key, left);
        else inFlight.delete(c.key);
      }
    },
  };
}

/** The answer to a refused sign-in (or password check): 429 with Retry-After. */
export function signInThrottled(retryAfterS: number): MdrError {
  return new MdrError("rate_limited", `Too many failed sign-ins. Try again in ${retryAfterS} s.`, {
    headers: { "retry-after": String(retryAfterS) },
  });
}
