// Two brakes: a per-actor rate limit on actions (a runaway script cannot flood the providers or
// the audit log), and sign-in throttling (guessing passwords is slow, per account and per address).
import { MdrError } from "@/lib/errors";
import { countFailures } from "./audit";
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

/** Refuses a sign-in attempt while the account or the address has too many recent failures. */
export function checkSignInThrottle(store: Store, username: string, ip: string | null, maxFailures: number): void {
  const since = store.now() - LOGIN_WINDOW_MS;
  const checks = [{ n: maxFailures, ...countFailures(store, { subject: username }, since) }];
  if (ip) checks.push({ n: maxFailures * PER_ADDRESS_FACTOR, ...countFailures(store, { ip }, since) });
  for (const c of checks) {
    if (c.count >= c.n && c.oldest !== null) {
      const wait = Math.max(1, Math.ceil((c.oldest + LOGIN_WINDOW_MS - store.now()) / 1000));
      throw new MdrError("rate_limited", `Too many failed sign-ins. Try again in ${wait} s.`, {
        headers: { "retry-after": String(wait) },
      });
    }
  }
}
