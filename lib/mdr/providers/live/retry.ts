// Bounded retries for calls to outside services: at most 3 tries and 30 s in all, waiting what
// Retry-After asks or an exponential backoff with jitter. A call that may have taken effect
// (a POST that timed out or got a 5xx) is retried only when the caller says it is idempotent.
// Each try is one request: it passes the rate gate and reports to the circuit breaker; a refusal
// by the gate itself is never retried (the service was not asked).
import { type CallGate, outcomeOf } from "@/lib/mdr/providers/gate";
import { ProviderError, type Service } from "@/lib/mdr/providers/types";

export interface RetryPolicy {
  maxTries: number;
  budgetMs: number;
  /** Longest wait for one try. */
  attemptTimeoutMs: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxTries: 3,
  budgetMs: 30_000,
  attemptTimeoutMs: 15_000,
  baseDelayMs: 500,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** The gate each try passes, and the tenant it counts against. */
export interface GateRef {
  gate: CallGate;
  tenantId: string;
  /** The service's lane of calls counted apart (Defender's indicator batches), if not its main one. */
  lane?: string;
}

function retryable(err: ProviderError, idempotent: boolean): boolean {
  if (err.local) return false; // refused by our own gate: the service was never asked
  if (err.kind === "throttled") return true; // 429: the service did not act on it
  return idempotent && (err.kind === "unavailable" || err.kind === "timeout");
}

export async function withRetry<T>(
  service: Service,
  idempotent: boolean,
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<T>,
  gated?: GateRef,
): Promise<T> {
  const started = Date.now();
  // Time spent waiting for a turn under the rate limit is not the service being slow.
  let queued = 0;
  const spent = () => Date.now() - started - queued;
  for (let tries = 1; ; tries++) {
    const before = Date.now();
    const ticket = gated ? await gated.gate.enter(service, gated.tenantId, gated.lane) : undefined;
    queued += Date.now() - before;
    const left = policy.budgetMs - spent();
    const signal = AbortSignal.timeout(Math.max(1, Math.min(policy.attemptTimeoutMs, left)));
    try {
      const result = await attempt(signal);
      ticket?.done("ok");
      return result;
    } catch (raw) {
      const err = asProviderError(service, raw, signal, !idempotent);
      ticket?.done(outcomeOf(err), err.message);
      if (tries >= policy.maxTries || !retryable(err, idempotent)) throw err;
      const backoff = policy.baseDelayMs * 2 ** (tries - 1) * (0.5 + Math.random());
      const wait = err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : backoff;
      if (spent() + wait >= policy.budgetMs) throw err;
      await policy.sleep(wait);
    }
  }
}

/** Network failures where the request never reached the service: nothing can have been acted on. */
const NOT_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;
/** Network failures after the request was sent (the connection reset or closed without an answer). */
const CUT_OFF = /^(UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNRESET|EPIPE)$/;

/**
 * Anything a try threw, as a ProviderError: an abort is a timeout, a network failure unavailable.
 * `write`: the call may have changed something, so a failure after the request went out says the
 * outcome is unknown (a connection reset says nothing of whether the service acted on it).
 */
export function asProviderError(service: Service, err: unknown, signal?: AbortSignal, write = false): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (signal?.aborted || e?.name === "TimeoutError" || e?.name === "AbortError") {
    return new ProviderError(service, "timeout", "no answer in time");
  }
  const code = e?.cause?.code ?? "";
  if (NOT_SENT.test(code)) return new ProviderError(service, "unavailable", `cannot reach the service: ${code}`);
  const unknown = write ? "; the outcome is unknown" : "";
  if (CUT_OFF.test(code)) {
    return new ProviderError(service, "unavailable", `the connection was closed before an answer (${code})${unknown}`);
  }
  const detail = code || (e?.cause?.message ?? e?.message ?? String(err));
  return new ProviderError(service, "unavailable", `the request failed without an answer (${detail})${unknown}`);
}

/** The first problem zod found in an answer, with where it is: "value.0.id: Invalid input...". */
export function firstIssue(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  if (!issue) return "not the expected shape";
  return issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at the budget. */
export function retryAfterSeconds(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const n = Number(header);
  if (Number.isFinite(n) && n >= 0) return Math.min(n, 30);
  const at = Date.parse(header);
  if (Number.isNaN(at)) return undefined;
  return Math.min(30, Math.max(0, Math.ceil((at - Date.now()) / 1000)));
}

/** The ProviderError kind an HTTP status means. */
export function kindOfStatus(status: number): ProviderError["kind"] {
  if (status === 401 || status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 409 || status === 412) return "conflict";
  if (status === 429) return "throttled";
  if (status === 408 || status === 504) return "timeout";
  if (status >= 500) return "unavailable";
  return "bad_request";
}

/** Runs one SDK call, aborted after `timeoutMs`; what it throws is told as `toError` says. */
export async function withTimeout<T>(
  timeoutMs: number,
  work: (abortSignal: AbortSignal) => Promise<T>,
  toError: (err: unknown, abortSignal: AbortSignal) => unknown,
): Promise<T> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    return await work(abortSignal);
  } catch (err) {
    throw toError(err, abortSignal);
  }
}

/**
 * What a Microsoft API's refusal says: a refused token, the permission the app registration
 * lacks, or the service's own message. `head`: "403 Authorization_RequestDenied on GET /users/x".
 */
export function refusalMessage(head: string, status: number, kind: ProviderError["kind"], permission: string, message: string): string {
  if (status === 401) return `${head}: the access token was refused. ${message}`.trim();
  if (kind === "permission") return `${head}: the app registration needs ${permission}. ${message}`.trim();
  return `${head}: ${message}`;
}
