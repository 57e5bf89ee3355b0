import "server-only";
// Who is asking: a bearer token (scripts) or a session cookie (the page). Cookie requests that
// change something must come from our own origin (CSRF); token requests carry no ambient
// credential, so they need not.
import { parse as parseCookies } from "cookie";
import type { Config } from "@/lib/config";
import { hasRole } from "@/lib/auth/roles";
import { findSession, servedOverHttps, sessionCookieName } from "@/lib/auth/sessions";
import type { Store } from "@/lib/auth/store";
import { checkToken } from "@/lib/auth/tokens";
import { MdrError } from "@/lib/errors";
import type { Role } from "@/lib/auth/enums";

export interface Identity {
  /** As recorded in the audit log: `user:alice`, `token:soar-playbook`. */
  actor: string;
  name: string;
  role: Role;
  /** The tenants it may see and act in (lower-case ids); null: every configured tenant. */
  tenants: readonly string[] | null;
  via: "session" | "bearer";
  sessionId?: string;
  sessionExpiresAt?: number;
  tokenId?: string;
  /** A session whose user must change their password before anything else (the generated first-run password). */
  mustChangePassword?: true;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function unauthorized(detail: string, bearerError?: "invalid_token" | "invalid_request"): MdrError {
  const challenge = bearerError ? `Bearer realm="mdr", error="${bearerError}"` : `Bearer realm="mdr"`;
  return new MdrError("unauthorized", detail, { headers: { "www-authenticate": challenge } });
}

const TOKEN_REFUSALS = {
  unknown: "The bearer token is not valid.",
  revoked: "The bearer token has been revoked.",
  expired: "The bearer token has expired.",
} as const;

/**
 * The identity a request carries, null when it carries none; a presented but bad credential is a
 * 401. `https`: the request reached us over https, where only the `__Host-` cookie is a session.
 */
export function identify(store: Store, req: Request, https = false): Identity | null {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(authorization);
    if (!m) throw unauthorized("Send the token as: Authorization: Bearer mdr_...", "invalid_request");
    const check = checkToken(store, m[1]!);
    if (!check.ok) throw unauthorized(TOKEN_REFUSALS[check.why], "invalid_token");
    const t = check.row;
    return { actor: `token:${t.name}`, name: t.name, role: t.role, tenants: t.tenants, via: "bearer", tokenId: t.id };
  }
  const secret = sessionSecret(req, https);
  if (secret === undefined) return null;
  const found = findSession(store, secret);
  if (!found) throw unauthorized("Your session has ended; sign in again.");
  const { user, session } = found;
  return {
    actor: `user:${user.username}`,
    name: user.username,
    role: user.role,
    tenants: user.tenants,
    via: "session",
    sessionId: session.id,
    sessionExpiresAt: session.expiresAt,
    ...(user.mustChangePassword ? { mustChangePassword: true as const } : {}),
  };
}

export function sessionSecret(req: Request, https = false): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  const value = parseCookies(header)[sessionCookieName(https)];
  return value ? value : undefined;
}

/** The origin this server is reached at: MDR_PUBLIC_URL, else the request's own Host. */
export function expectedOrigin(cfg: Config, req: Request): string {
  if (cfg.auth.publicUrl) return new URL(cfg.auth.publicUrl).origin;
  const host = req.headers.get("host") ?? new URL(req.url).host;
  return `${isHttps(cfg, req) ? "https" : "http"}://${host}`;
}

export function isHttps(cfg: Config, req: Request): boolean {
  return servedOverHttps(cfg.auth, req.headers);
}

/** A cookie-authenticated request that changes something must carry our own Origin. */
export function checkSameOrigin(cfg: Config, req: Request, required: boolean): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get("origin");
  if (origin === null) {
    if (!required) return;
    throw new MdrError("forbidden", "A signed-in browser request that changes something must carry an Origin header.");
  }
  if (origin !== expectedOrigin(cfg, req)) {
    throw new MdrError("forbidden", `Cross-site request refused: Origin ${origin.slice(0, 200)} is not this site.`);
  }
}

/**
 * The client's address for the audit log and the per-address sign-in throttle. Behind N trusted
 * proxies (MDR_TRUST_PROXY=N), each appending the address it was called from to X-Forwarded-For,
 * it is the Nth entry from the right: entries further left were written by the client itself and
 * prove nothing. With fewer entries than proxies, the leftmost (a proxy was bypassed or skipped
 * the header). Without a trusted proxy, the header as Next.js passed it on (the socket's address,
 * unless the client sent its own — so it is recorded, never relied on).
 */
export function clientIp(cfg: Config, req: Request): string | null {
  const forwarded = req.headers.get("x-forwarded-for");
  if (!forwarded) return null;
  const hops = forwarded.split(",").map((h) => h.trim()).filter(Boolean);
  if (hops.length === 0) return null;
  const n = cfg.auth.trustedProxies;
  return n > 0 ? hops[Math.max(0, hops.length - n)]! : hops[hops.length - 1]!;
}

/** Refuses an identity without the role. */
export function requireRole(identity: Identity, need: Role): void {
  if (!hasRole(identity.role, need)) {
    throw new MdrError("forbidden", `This needs the ${need} role; ${identity.actor} has ${identity.role}.`);
  }
}
