import { encodePending, beginLogin, failureReason, OIDC_CALLBACK_PATH } from "@/lib/auth/oidc";
import { safeNext } from "@/lib/auth/page-identity";
import { config } from "@/lib/config";
import { MdrError } from "@/lib/errors";
import { expectedOrigin } from "@/lib/http/auth";
import { loginWithError, recordSsoFailure, redirectTo } from "@/lib/http/oidc-flow";
import { authStore, methodsNotAllowed, route } from "@/lib/http/route";
import { oidcStateCookie } from "@/lib/http/session-cookie";

// GET /api/v1/auth/oidc/login?next=/mdr — start single sign-on: to the identity provider with
// state, nonce and a PKCE challenge; the values to check the answer against stay in this browser.
export const GET = route({ role: "public" }, async (req, rc) => {
  const cfg = config();
  const oidc = cfg.auth.oidc;
  if (!oidc) throw new MdrError("not_found", "Single sign-on is not configured (MDR_OIDC_ISSUER, MDR_OIDC_CLIENT_ID).");
  const next = safeNext(new URL(req.url).searchParams.get("next") ?? undefined);
  const redirectUri = `${expectedOrigin(cfg, req)}${OIDC_CALLBACK_PATH}`;
  let started: Awaited<ReturnType<typeof beginLogin>>;
  try {
    started = await beginLogin(oidc, redirectUri, next, Date.now());
  } catch (err) {
    recordSsoFailure(authStore(), `the identity provider's configuration could not be read: ${failureReason(err)}`, rc.ip);
    return redirectTo(loginWithError("sso_failed", next));
  }
  return redirectTo(started.url.href, [oidcStateCookie(cfg, req, encodePending(started.pending))], 302);
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
