import "server-only";
import { serialize } from "cookie";
import type { Config } from "@/lib/config";
import { OIDC_PATH, OIDC_STATE_COOKIE, OIDC_STATE_TTL_MS } from "@/lib/auth/oidc";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { isHttps } from "./auth";

/** The session cookie: httpOnly, SameSite=Lax, Secure when served over https, gone at expiry. */
export function sessionCookie(cfg: Config, req: Request, secret: string, expiresAt: number): string {
  return serialize(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(cfg, req),
    path: "/",
    expires: new Date(expiresAt),
  });
}

export function clearedSessionCookie(cfg: Config, req: Request): string {
  return serialize(SESSION_COOKIE, "", { httpOnly: true, sameSite: "lax", secure: isHttps(cfg, req), path: "/", maxAge: 0 });
}

/**
 * The cookie that ties a single sign-on in progress to this browser: httpOnly, SameSite=Lax (it
 * must come back on the provider's top-level redirect), sent only to the sign-on routes, 10 min.
 */
export function oidcStateCookie(cfg: Config, req: Request, value: string): string {
  return serialize(OIDC_STATE_COOKIE, value, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(cfg, req),
    path: OIDC_PATH,
    maxAge: OIDC_STATE_TTL_MS / 1000,
  });
}

export function clearedOidcStateCookie(cfg: Config, req: Request): string {
  return serialize(OIDC_STATE_COOKIE, "", { httpOnly: true, sameSite: "lax", secure: isHttps(cfg, req), path: OIDC_PATH, maxAge: 0 });
}
