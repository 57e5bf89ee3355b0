import "server-only";
// Single sign-on with OpenID Connect (Microsoft Entra ID, or any conforming provider): the
// authorization code flow with PKCE, state and nonce. Everything protocol-level — discovery,
// the authorization URL, the code exchange, ID token validation (signature, issuer, audience,
// expiry, nonce) — is openid-client's; this module only keeps the per-login values between the
// two requests and turns failures into reasons fit for the audit log.
import * as client from "openid-client";
import type { OidcConfig } from "@/lib/config";
import { escapeUnsafe } from "@/lib/text";

/** The routes of the flow; the state cookie is scoped to them. */
export const OIDC_PATH = "/api/v1/auth/oidc";
export const OIDC_CALLBACK_PATH = `${OIDC_PATH}/callback`;

/** The cookie that binds a login in progress to the browser that started it. */
export const OIDC_STATE_COOKIE = "mdr_oidc";
/** Its name: `__Host-mdr_oidc` over https (see sessionCookieName), `mdr_oidc` over http. */
export function oidcStateCookieName(https: boolean): string {
  return https ? `__Host-${OIDC_STATE_COOKIE}` : OIDC_STATE_COOKIE;
}
/** How long a login may take at the identity provider. */
export const OIDC_STATE_TTL_MS = 10 * 60_000;

/**
 * What the callback needs to finish a login, kept in the browser that started it (an httpOnly
 * cookie sent only to the flow's routes). Nothing in it is a credential on its own: the code
 * verifier is worthless without the code, which only the provider's redirect carries.
 */
export interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  /** Where to go after signing in (already passed through safeNext). */
  next: string;
  /** Epoch ms after which the callback refuses it, whatever the cookie's own expiry. */
  expiresAt: number;
}

// One discovered Configuration per process (metadata and the JWKS cache live in it). A failed
// discovery is not kept: the next sign-in tries again.
const cache = globalThis as unknown as { __mdrOidc?: { key: string; config: Promise<client.Configuration> } };

export function oidcConfiguration(cfg: OidcConfig): Promise<client.Configuration> {
  const key = `${cfg.issuer}\n${cfg.clientId}\n${cfg.clientSecret ?? ""}`;
  const hit = cache.__mdrOidc;
  if (hit?.key === key) return hit.config;
  // With a secret: a confidential client (client_secret_post, as Entra documents it); without
  // one: a public client that proves itself with PKCE alone. Requests go over https only —
  // openid-client refuses http unless told otherwise, and we never tell it.
  const config = client.discovery(
    new URL(cfg.issuer),
    cfg.clientId,
    cfg.clientSecret ? { client_secret: cfg.clientSecret } : undefined,
    cfg.clientSecret ? client.ClientSecretPost(cfg.clientSecret) : client.None(),
    { timeout: 10 },
  );
  const entry = { key, config };
  cache.__mdrOidc = entry;
  config.catch(() => {
    if (cache.__mdrOidc === entry) cache.__mdrOidc = undefined;
  });
  return config;
}

function scopeOf(cfg: OidcConfig): string {
  const scopes = cfg.scopes.split(/\s+/).filter(Boolean);
  return (scopes.includes("openid") ? scopes : ["openid", ...scopes]).join(" ");
}

/** The provider's authorization URL for a new login, and what the callback will need. */
export async function beginLogin(
  cfg: OidcConfig,
  redirectUri: string,
  next: string,
  now: number,
): Promise<{ url: URL; pending: PendingLogin }> {
  const config = await oidcConfiguration(cfg);
  const codeVerifier = client.randomPKCECodeVerifier();
  const pending: PendingLogin = {
    state: client.randomState(),
    nonce: client.randomNonce(),
    codeVerifier,
    redirectUri,
    next,
    expiresAt: now + OIDC_STATE_TTL_MS,
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: scopeOf(cfg),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url, pending };
}

/**
 * Finishes a login: checks the provider's answer against the pending login (state, issuer),
 * redeems the code with the PKCE verifier, validates the ID token (nonce included) and returns
 * its claims. Throws on any failure; describe the error with failureReason().
 */
export async function completeLogin(cfg: OidcConfig, pending: PendingLogin, query: string): Promise<client.IDToken> {
  const config = await oidcConfiguration(cfg);
  // The URL the provider redirected to, as registered: the redirect_uri sent to the token
  // endpoint must be the one of the authorization request, whatever Host the request came in on.
  const current = new URL(pending.redirectUri);
  current.search = query;
  const tokens = await client.authorizationCodeGrant(config, current, {
    pkceCodeVerifier: pending.codeVerifier,
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("the provider returned no ID token");
  return claims;
}

/** The pending login as the cookie carries it (base64url JSON), and back; undefined if malformed. */
export function encodePending(p: PendingLogin): string {
  return Buffer.from(JSON.stringify(p)).toString("base64url");
}

export function decodePending(value: string | undefined): PendingLogin | undefined {
  if (!value) return undefined;
  try {
    const p = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<PendingLogin>;
    const strings = [p.state, p.nonce, p.codeVerifier, p.redirectUri, p.next];
    if (strings.some((s) => typeof s !== "string" || s === "") || typeof p.expiresAt !== "number") return undefined;
    return p as PendingLogin;
  } catch {
    return undefined;
  }
}

const MAX_REASON = 300;

/**
 * Why a login failed, for the audit log and the server log: what the provider or openid-client
 * said, never the code or a token (anything shaped like one is cut out, as is the code itself).
 */
export function failureReason(err: unknown, query?: URLSearchParams): string {
  let reason: string;
  if (err instanceof client.AuthorizationResponseError) {
    reason = `the identity provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ""}`;
  } else if (err instanceof client.ResponseBodyError) {
    reason = `the token endpoint refused (${err.status} ${err.error})${err.error_description ? `: ${err.error_description}` : ""}`;
  } else if (err instanceof client.ClientError) {
    // The detail is in the cause: openid-client's check that failed, or the HTTP answer it did not expect.
    const cause = err.cause;
    const detail =
      cause instanceof Error
        ? `: ${cause.message}`
        : cause instanceof Response
          ? ` (HTTP ${cause.status} from ${cause.url.split("?")[0]})`
          : "";
    reason = `${err.message}${detail}`;
  } else if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
    reason = `${err.message}${cause}`;
  } else {
    reason = String(err);
  }
  const code = query?.get("code");
  if (code) reason = reason.split(code).join("[code]");
  reason = reason.replace(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g, "[token]");
  // The provider's words (an error_description is whatever the callback URL says): no line breaks
  // or bidi overrides into the audit log and the console.
  reason = escapeUnsafe(reason);
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}
