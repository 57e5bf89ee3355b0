import "server-only";
import { serialize } from "cookie";
import type { Config } from "@/lib/config";
import { OIDC_PATH, OIDC_STATE_TTL_MS, oidcStateCookieName } from "@/lib/auth/oidc";
import { sessionCookieName } from "@/lib/auth/sessions";
import { isHttps } from "./auth";

// Over https every cookie is `__Host-` prefixed: Secure, Path=/ and no Domain (a browser refuses
// it otherwise). Over http they keep their plain names, without Secure.

/** The session cookie: httpOnly, SameSite=Lax, Secure when served over https, gone at expiry. */
export function sessionCookie(cfg: Config, req: Request, secret: string, expiresAt: number): string {
  const https = isHttps(cfg, req);
  return serialize(sessionCookieName(https), secret, {
    httpOnly: true,
    sameSite: "lax",
    secure: https,
    path: "/",
    expires: new Date(expiresAt),
  });
}

export function clearedSessionCookie(cfg: Config, req: Request): string {
  const https = isHttps(cfg, req);
  return serialize(sessionCookieName(https), "", { httpOnly: true, sameSite: "lax", secure: https, path: "/", maxAge: 0 });
}

/**
 * The cookie that ties a single sign-on in progress to this browser: httpOnly, SameSite=Lax (it
 * must come back on the provider's top-level redirect), 10 min; over http sent only to the
 * sign-on routes, over https `__Host-mdr_oidc` with Path=/ (the prefix demands it).
 */
export function oidcStateCookie(cfg: Config, req: Request, value: string): string {
  const https = isHttps(cfg, req);
  return serialize(oidcStateCookieName(https), value, {
    httpOnly: true,
    sameSite: "lax",
    secure: https,
    path: https ? "/" : OIDC_PATH,
    maxAge: OIDC_STATE_TTL_MS / 1000,
  });
}

export function clearedOidcStateCookie(cfg: Config, req: Request): string {
  const https = isHttps(cfg, req);
  return serialize(oidcStateCookieName(https), "", {
    httpOnly: true,
    sameSite: "lax",
    secure: https,
    path: https ? "/" : OIDC_PATH,
    maxAge: 0,
  });
}
