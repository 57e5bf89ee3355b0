// Bearer-token checks shared by Defender, Graph and ARM: each API calls checkBearer with the
// audiences it accepts and turns a failure into its own 401 body.
import { type BearerCheck, header, type RequestContext } from "./http";
import { decodeToken, type TokenClaims, verifyToken } from "./jwt";
import type { RecordedAuth } from "./types";

/** Who a token names, for the record (`roles` only when the token carries the claim). */
function identity(claims: TokenClaims): { audience: string; tenantId: string; clientId: string; roles?: string[] } {
  const who = { audience: claims.aud, tenantId: claims.tid, clientId: claims.appid };
  return claims.roles ? { ...who, roles: claims.roles } : who;
}

/**
 * What a request's Authorization header says. A bearer token's signature and expiry are
 * checked here; the audience only by the API it reaches (checkBearer), which updates this.
 */
export function describeAuth(authorization: string | undefined, key: Buffer): RecordedAuth {
  if (!authorization) return { kind: "none" };
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (bearer?.[1]) {
    const verified = verifyToken(bearer[1], key, Math.floor(Date.now() / 1000));
    const claims = verified.claims ?? decodeToken(bearer[1]);
    const who = claims ? identity(claims) : {};
    return verified.ok ? { kind: "bearer", valid: true, ...who } : { kind: "bearer", valid: false, problem: verified.problem, ...who };
  }
  const sigv4 = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/[^/]+\/([^/]+)\/([^/]+)\/aws4_request/i.exec(authorization);
  if (sigv4?.[1] && sigv4[2] && sigv4[3]) {
    return { kind: "sigv4", accessKeyId: sigv4[1], region: sigv4[2], service: sigv4[3] };
  }
  return { kind: "other", scheme: authorization.split(/\s+/)[0] ?? "" };
}

export function checkBearer(ctx: RequestContext, audiences: readonly string[]): BearerCheck {
  const authorization = header(ctx, "authorization");
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  if (!authorization) return { ok: false, problem: "missing" };
  const token = match?.[1];
  if (!token) {
    ctx.record.auth = { kind: "bearer", valid: false, problem: "malformed" };
    return { ok: false, problem: "malformed" };
  }
  const verified = verifyToken(token, ctx.core.signingKey, Math.floor(Date.now() / 1000));
  const claims = verified.claims;
  const base = claims ? identity(claims) : {};
  if (!verified.ok) {
    ctx.record.auth = { kind: "bearer", valid: false, problem: verified.problem, ...base };
    return verified;
  }
  if (!audiences.includes(verified.claims.aud)) {
    ctx.record.auth = { kind: "bearer", valid: false, problem: "audience", ...base };
    return { ok: false, problem: "audience", claims: verified.claims };
  }
  ctx.record.auth = { kind: "bearer", valid: true, ...base };
  return verified;
}
