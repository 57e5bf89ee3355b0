// Browser sessions: the cookie carries a random secret; the database keeps its SHA-256, the
// expiry and the revocation, so signing out (or an admin disabling the user) ends it at once.
import { monotonicFactory } from "ulid";
import { findSessionBySecretHash, insertSession, revokeSessionById, touchSession } from "@/lib/db/queries/auth";
import type { SessionRow, UserRow } from "@/lib/db/schema";
import { recordAudit } from "./audit";
import { newSecret, sha256 } from "./secrets";
import type { Store } from "./store";

const ulid = monotonicFactory();

export const SESSION_COOKIE = "mdr_session";
/**
 * Over https the cookies carry the `__Host-` prefix: a browser keeps such a cookie only when it
 * is Secure, has Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can
 * plant or overwrite it. Over http (development) they keep their plain names.
 */
export const HOST_PREFIX = "__Host-";

/** The session cookie's name: `__Host-mdr_session` over https, `mdr_session` over http. */
export function sessionCookieName(https: boolean): string {
  return https ? `${HOST_PREFIX}${SESSION_COOKIE}` : SESSION_COOKIE;
}

/**
 * Whether this server is reached over https: MDR_PUBLIC_URL says so, or a trusted proxy
 * (MDR_TRUST_PROXY) says X-Forwarded-Proto: https. Not the request URL's protocol: Next.js builds
 * it from X-Forwarded-Proto whoever sent it (and `next start` serves plain http).
 */
export function servedOverHttps(
  auth: { publicUrl?: string | undefined; trustedProxies: number },
  headers: { get(name: string): string | null },
): boolean {
  if (auth.publicUrl) return auth.publicUrl.startsWith("https:");
  // Not the request URL's protocol: Next.js builds it from X-Forwarded-Proto whoever sent it (and
  // `next start` serves plain http), so only a trusted proxy's word counts, read like
  // X-Forwarded-For: a proxy that appends leaves the client's own value further left.
  const n = auth.trustedProxies;
  if (n === 0) return false;
  const protos = (headers.get("x-forwarded-proto") ?? "").split(",").map((p) => p.trim());
  return protos[Math.max(0, protos.length - n)] === "https";
}

/** last_seen_at is written at most this often per session, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export function createSession(store: Store, user: UserRow, ttlMs: number): { secret: string; session: SessionRow } {
  const now = store.now();
  const secret = newSecret();
  const session: SessionRow = {
    id: `ses_${ulid(now)}`,
    secretHash: sha256(secret),
    userId: user.id,
    createdAt: now,
    expiresAt: now + ttlMs,
    lastSeenAt: now,
    revokedAt: null,
  };
  insertSession(store.db, session);
  return { secret, session };
}

/** Signs a user in: a new session, and `sign_in` in the audit log with how (password, oidc). */
export function startSession(
  store: Store,
  user: UserRow,
  opts: { ttlMs: number; ip: string | null; method: "password" | "oidc"; detail?: Record<string, unknown> },
): { secret: string; session: SessionRow } {
  const started = createSession(store, user, opts.ttlMs);
  recordAudit(store, {
    event: "sign_in",
    actor: `user:${user.username}`,
    subject: user.username,
    ip: opts.ip,
    detail: { method: opts.method, session_id: started.session.id, ...opts.detail },
  });
  return started;
}

/** The live session a cookie secret belongs to, with its user; undefined if expired, revoked or disabled. */
export function findSession(store: Store, secret: string): { session: SessionRow; user: UserRow } | undefined {
  const found = findSessionBySecretHash(store.db, sha256(secret));
  const now = store.now();
  if (!found || found.session.revokedAt !== null || found.session.expiresAt <= now || found.user.disabled) return undefined;
  if (now - found.session.lastSeenAt >= TOUCH_EVERY_MS) {
    touchSession(store.db, found.session.id, now);
  }
  return found;
}

export function revokeSession(store: Store, id: string): void {
  revokeSessionById(store.db, id, store.now());
}
