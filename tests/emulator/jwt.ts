// Access tokens. Real Entra tokens are RS256 JWTs the APIs validate; clients never look
// inside them (MSAL only caches them). The emulator signs its own with HS256 and a key made
// per emulator instance, so it can reject a token it did not issue, or one that was issued
// for another audience or has expired — the checks the real APIs make.
import crypto from "node:crypto";

export interface TokenClaims {
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
  /** v1 tokens name the calling app `appid`. */
  appid: string;
  appidacr: "1";
  idp: string;
  oid: string;
  sub: string;
  tid: string;
  /**
   * App roles (application permissions) granted for this token's resource. Entra leaves the claim
   * out when the app holds none there (ARM tokens never carry it: ARM authorizes by RBAC).
   */
  roles?: string[];
  /** Delegated scopes (user tokens only; the emulator issues app tokens, so only hand-made ones carry it). */
  scp?: string;
  uti: string;
  ver: "1.0";
}

function b64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

export function signToken(claims: TokenClaims, key: Buffer): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "HS256", kid: "mdr-emulator" }));
  const payload = b64url(JSON.stringify(claims));
  const signature = crypto.createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.aud === "string" &&
    typeof v.tid === "string" &&
    typeof v.appid === "string" &&
    typeof v.exp === "number" &&
    (v.roles === undefined || (Array.isArray(v.roles) && v.roles.every((r) => typeof r === "string"))) &&
    (v.scp === undefined || typeof v.scp === "string")
  );
}

/** Reads the claims without checking the signature (for recording what a client sent). */
export function decodeToken(token: string): TokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return isClaims(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; problem: "malformed" | "signature" | "expired"; claims?: TokenClaims };

export function verifyToken(token: string, key: Buffer, nowSeconds: number): VerifyResult {
  const parts = token.split(".");
  const claims = decodeToken(token);
  if (parts.length !== 3 || !claims) return { ok: false, problem: "malformed" };
  const expected = crypto.createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2] ?? "", "base64url");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return { ok: false, problem: "signature", claims };
  }
  // Entra allows five minutes of clock skew; the emulator and its clients share a clock.
  if (claims.exp <= nowSeconds) return { ok: false, problem: "expired", claims };
  return { ok: true, claims };
}
