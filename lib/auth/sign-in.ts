// Password sign-in: throttled per account and per address, every attempt audited, the same
// answer (and the same time spent) whether the account is unknown, disabled or the password wrong.
import { z } from "zod";
import { recordAudit } from "./audit";
import { checkSignInThrottle } from "./limits";
import { verifyPassword } from "./passwords";
import { startSession } from "./sessions";
import type { Store } from "./store";
import { findUser } from "./users";
import type { SessionRow, UserRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";

export const SignInRequest = z.strictObject({
  username: z.string().trim().toLowerCase().min(1, "is required").max(64),
  password: z.string().min(1, "is required").max(256),
});
export type SignInRequest = z.output<typeof SignInRequest>;

export async function signIn(
  store: Store,
  input: SignInRequest,
  opts: { ip: string | null; maxFailures: number; sessionTtlMs: number; throttleByIp: boolean },
): Promise<{ user: UserRow; session: SessionRow; secret: string }> {
  // An address counts only when a trusted proxy vouches for it: else anyone could name any
  // address in X-Forwarded-For and lock it out.
  checkSignInThrottle(store, input.username, opts.throttleByIp ? opts.ip : null, opts.maxFailures);
  const user = findUser(store, input.username);
  const matches = await verifyPassword(input.password, user?.passwordHash ?? null);
  if (!user || !matches || user.disabled) {
    const why = !user ? "unknown user" : !matches ? "wrong password" : "account disabled";
    recordAudit(store, { event: "sign_in_failed", actor: "anonymous", subject: input.username, ip: opts.ip, detail: { reason: why } });
    throw new MdrError("unauthorized", "Wrong username or password.");
  }
  const { session, secret } = startSession(store, user, { ttlMs: opts.sessionTtlMs, ip: opts.ip, method: "password" });
  return { user, session, secret };
}
