import { parse as parseCookies } from "cookie";
import { completeLogin, decodePending, failureReason, oidcStateCookieName } from "@/lib/auth/oidc";
import { signInWithOidc } from "@/lib/auth/oidc-accounts";
import { safeNext } from "@/lib/auth/page-identity";
import { config } from "@/lib/config";
import { MdrError } from "@/lib/errors";
import { isHttps } from "@/lib/http/auth";
import { loginWithError, recordSsoFailure, redirectTo } from "@/lib/http/oidc-flow";
import { authStore, methodsNotAllowed, route } from "@/lib/http/route";
import { clearedOidcStateCookie, sessionCookie } from "@/lib/http/session-cookie";
import { escapeUnsafe } from "@/lib/text";

// GET /api/v1/auth/oidc/callback?code=...&state=... — where the identity provider sends the
// browser back: only the browser that started the login (its state cookie) can finish it.
export const GET = route({ role: "public" }, async (req, rc) => {
  const cfg = config();
  const oidc = cfg.auth.oidc;
  if (!oidc) throw new MdrError("not_found", "Single sign-on is not configured (MDR_OIDC_ISSUER, MDR_OIDC_CLIENT_ID).");
  const store = authStore();
  const query = new URL(req.url).searchParams;
  const cleared = clearedOidcStateCookie(cfg, req);
  const pending = decodePending(parseCookies(req.headers.get("cookie") ?? "")[oidcStateCookieName(isHttps(cfg, req))]);
  const failed = (reason: string, next?: string) => {
    recordSsoFailure(store, reason, rc.ip);
    return redirectTo(loginWithError("sso_failed", next), [cleared]);
  };
  if (!pending) return failed("no sign-in was started in this browser, or it expired (no state cookie)");
  if (pending.expiresAt <= Date.now()) return failed("the sign-in took longer than 10 minutes", pending.next);

  let claims: Record<string, unknown>;
  try {
    claims = await completeLogin(oidc, pending, query.toString());
  } catch (err) {
    return failed(failureReason(err, query), pending.next);
  }
  let result: Awaited<ReturnType<typeof signInWithOidc>>;
  try {
    result = await signInWithOidc(store, oidc, claims, {
      ip: rc.ip,
      sessionTtlMs: cfg.auth.sessionTtlMs,
      previousSessionId: rc.identity?.via === "session" ? rc.identity.sessionId : undefined,
    });
  } catch (err) {
    console.error(`[mdr] request ${rc.requestId}: single sign-on could not complete:`, err);
    return failed(`could not complete (request ${rc.requestId})`, pending.next);
  }
  if (!result.ok) {
    console.warn(`[mdr] single sign-on refused: ${escapeUnsafe(result.reason)}`);
    return redirectTo(loginWithError(result.error, pending.next), [cleared]);
  }
  return redirectTo(safeNext(pending.next), [cleared, sessionCookie(cfg, req, result.secret, result.session.expiresAt)]);
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
