// Random secrets and how they are kept: only a SHA-256 of a high-entropy secret is stored, so a
// copy of the database does not sign anyone in. (Passwords, which are low-entropy, use scrypt.)
import { createHash, randomBytes } from "node:crypto";

/** 32 random bytes, base64url: 256 bits, safe in a cookie or a header. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}
