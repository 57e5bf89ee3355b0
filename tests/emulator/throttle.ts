// Throttling by the published limits, counted where the real services count:
// - Defender for Endpoint: 100 calls a minute and 1,500 an hour, per API, per tenant and app
//   (common-errors.md; each API's page repeats them); the indicator import and batch delete 30 a
//   minute (and the batch delete 1,500 an hour), each call carrying up to 500; 429 with Retry-After.
// - Microsoft Graph (throttling-limits.md): identity and access (users, organization) 3,500
//   ResourceUnits per 10 s per app and tenant (a small tenant; one unit a request here) and
//   3,000 writes per 150 s; Outlook (messages, mail folders) 10,000 requests per 10 minutes per
//   app and mailbox; 130,000 requests per 10 s per app across tenants.
// - ARM (request-limits-and-throttling.md, the 2024 token buckets): per subscription, principal
//   and operation type — reads a bucket of 250 refilled 25/s, writes and deletes 200 refilled 10/s.
// - EC2 (ec2-api-throttling): a token bucket per account, region and API — mutating actions 200
//   refilled 5/s, non-mutating (Describe*) 100 refilled 20/s; 503 RequestLimitExceeded.
// - WAF v2: Create, Put and Update calls one a second per account and region; 400 ThrottlingException.
// Only requests a service accepted count (a refused one takes no turn). `scale` divides every
// window (and multiplies every refill rate): 60 makes "100 a minute" "100 a second".

export interface Window {
  limit: number;
  ms: number;
  /** How the service names it in its error message. */
  label: string;
}

export interface Bucket {
  size: number;
  refillPerSecond: number;
  label: string;
}

export interface Throttled {
  retryAfterSeconds: number;
  /** Which limit was reached (its label). */
  limit: string;
}

export const DEFENDER_WINDOWS: Window[] = [
  { limit: 100, ms: 60_000, label: "100 per 1m" },
  { limit: 1500, ms: 3_600_000, label: "1500 per 1h" },
];
/** Indicator import: "Rate limitations for this API are 30 calls per minute" (import-ti-indicators.md). */
export const DEFENDER_IMPORT_WINDOWS: Window[] = [{ limit: 30, ms: 60_000, label: "30 per 1m" }];
/** Indicator batch delete: "30 calls per minute and 1,500 calls per hour" (batch-delete-ti-indicators.md). */
export const DEFENDER_BATCH_DELETE_WINDOWS: Window[] = [
  { limit: 30, ms: 60_000, label: "30 per 1m" },
  { limit: 1500, ms: 3_600_000, label: "1500 per 1h" },
];
export const GRAPH_IDENTITY_WINDOWS: Window[] = [{ limit: 3500, ms: 10_000, label: "3500 ResourceUnits per 10s" }];
export const GRAPH_IDENTITY_WRITE_WINDOWS: Window[] = [{ limit: 3000, ms: 150_000, label: "3000 writes per 150s" }];
export const GRAPH_OUTLOOK_WINDOWS: Window[] = [{ limit: 10_000, ms: 600_000, label: "10000 per 10m per mailbox" }];
export const GRAPH_GLOBAL_WINDOWS: Window[] = [{ limit: 130_000, ms: 10_000, label: "130000 per 10s per app" }];
export const ARM_BUCKETS: Record<"read" | "write" | "delete", Bucket> = {
  read: { size: 250, refillPerSecond: 25, label: "reads" },
  write: { size: 200, refillPerSecond: 10, label: "writes" },
  delete: { size: 200, refillPerSecond: 10, label: "deletes" },
};
export const EC2_BUCKETS: Record<"mutating" | "nonMutating", Bucket> = {
  mutating: { size: 200, refillPerSecond: 5, label: "mutating" },
  nonMutating: { size: 100, refillPerSecond: 20, label: "non-mutating" },
};

// "AWS WAF allows a maximum of one request per second, per account, per AWS Region for API calls to
// any individual Create, Put, or Update action" (Security Automations for AWS WAF, quotas).
export const WAF_BUCKETS: Record<"write", Bucket> = {
  write: { size: 1, refillPerSecond: 1, label: "Create, Put and Update calls" },
};

export class Throttle {
  private readonly hits = new Map<string, number[]>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `scale` 0 (or throttling off): nothing is ever throttled. */
  constructor(private readonly scale: number) {}

  get enabled(): boolean {
    return this.scale > 0;
  }

  reset(): void {
    this.hits.clear();
    this.buckets.clear();
  }

  /**
   * Sliding windows: refuses when any window of any group already holds its limit; otherwise
   * counts the call in every group. Groups are [key, windows] pairs checked together.
   */
  windows(groups: [string, Window[]][], now = Date.now()): Throttled | undefined {
    if (!this.enabled) return undefined;
    for (const [key, windows] of groups) {
      const longest = Math.max(...windows.map((w) => w.ms / this.scale));
      const list = (this.hits.get(key) ?? []).filter((t) => t > now - longest);
      this.hits.set(key, list);
      for (const w of windows) {
        const ms = w.ms / this.scale;
        const inside = list.filter((t) => t > now - ms);
        if (inside.length >= w.limit) {
          const oldest = inside[inside.length - w.limit] ?? now;
          return { retryAfterSeconds: Math.max(1, Math.ceil((oldest + ms - now) / 1000)), limit: w.label };
        }
      }
    }
    for (const [key] of groups) this.hits.get(key)?.push(now);
    return undefined;
  }

  /** A token bucket: takes one token, or refuses while the bucket is empty. */
  bucket(key: string, b: Bucket, now = Date.now()): Throttled | undefined {
    if (!this.enabled) return undefined;
    const rate = b.refillPerSecond * this.scale;
    const state = this.buckets.get(key) ?? { tokens: b.size, at: now };
    state.tokens = Math.min(b.size, state.tokens + ((now - state.at) / 1000) * rate);
    state.at = now;
    this.buckets.set(key, state);
    if (state.tokens < 1) {
      return { retryAfterSeconds: Math.max(1, Math.ceil((1 - state.tokens) / rate)), limit: b.label };
    }
    state.tokens -= 1;
    return undefined;
  }
}

/** The emulator option: on (published limits), off, or on with every window divided by `scale`. */
export function throttleScale(option: boolean | { scale: number } | undefined): number {
  if (option === false) return 0;
  if (option === undefined || option === true) return 1;
  if (!(option.scale > 0)) throw new Error("emulator: throttle.scale must be a positive number");
  return option.scale;
}
