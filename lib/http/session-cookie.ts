import "server-only";
import { serialize } from "cookie";
import type { Config } from "@/lib/config";
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
