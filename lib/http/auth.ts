import "server-only";
// Who is asking: a bearer token (scripts) or a session cookie (the page). Cookie requests that
// change something must come from our own origin (CSRF); token requests carry no ambient
// credential, so they need not.
import { parse as parseCookies } from "cookie";
import type { Config } from "@/lib/config";
import { hasRole } from "@/lib/auth/roles";
import { findSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import type { Store } from "@/lib/auth/store";
import { checkToken } from "@/lib/auth/tokens";
import { MdrError } from "@/lib/errors";
import type { Role } from "@/lib/auth/enums";

export interface Identity {
  /** As recorded in the audit log: `user:alice`, `token:soar-playbook`. */
  actor: string;
  name: string;
  role: Role;
  via: "session" | "bearer";
  sessionId?: string;
  sessionExpiresAt?: number;
  tokenId?: string;
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

/** The identity a request carries, null when it carries none; a presented but bad credential is a 401. */
export function identify(store: Store, req: Request): Identity | null {
  const authorization = req.headers.get("authorization");
  if (authorization !== null) {
    const m = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(authorization);
    if (!m) throw unauthorized("Send the token as: Authorization: Bearer mdr_...", "invalid_request");
    const check = checkToken(store, m[1]!);
    if (!check.ok) throw unauthorized(TOKEN_REFUSALS[check.why], "invalid_token");
    const t = check.row;
    return { actor: `token:${t.name}`, name: t.name, role: t.role, via: "bearer", tokenId: t.id };
  }
  const secret = sessionSecret(req);
  if (secret === undefined) return null;
  const found = findSession(store, secret);
  if (!found) throw unauthorized("Your session has ended; sign in again.");
  const { user, session } = found;
  return {
    actor: `user:${user.username}`,
    name: user.username,
    role: user.role,
    via: "session",
    sessionId: session.id,
    sessionExpiresAt: session.expiresAt,
  };
}

export function sessionSecret(req: Request): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  const value = parseCookies(header)[SESSION_COOKIE];
  return value ? value : undefined;
}

/** The origin this server is reached at: MDR_PUBLIC_URL, else the request's own Host. */
export function expectedOrigin(cfg: Config, req: Request): string {
  if (cfg.auth.publicUrl) return new URL(cfg.auth.publicUrl).origin;
  const host = req.headers.get("host") ?? new URL(req.url).host;
  return `${isHttps(cfg, req) ? "https" : "http"}://${host}`;
}

export function isHttps(cfg: Config, req: Request): boolean {
  if (cfg.auth.publicUrl) return cfg.auth.publicUrl.startsWith("https:");
  // Not req.url's protocol: Next.js builds it from X-Forwarded-Proto whoever sent it (and `next start`
  // serves plain http), so only a trusted proxy's word counts.
  // Read like X-Forwarded-For: a proxy that appends leaves the client's own value further left.
  const n = cfg.auth.trustedProxies;
  if (n === 0) return false;
  const protos = (req.headers.get("x-forwarded-proto") ?? "").split(",").map((p) => p.trim());
  return protos[Math.max(0, protos.length - n)] === "https";
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
