// Password sign-in: throttled per account and address and per address, every attempt audited
// (refusals too), the same answer (and the same time spent) whether the account is unknown,
// disabled, a single sign-on account or the password wrong. A sign-in ends the session the
// browser came with (no session fixation).
import { z } from "zod";
import { recordAudit } from "./audit";
import { reserveSignInCheck, signInThrottled } from "./limits";
import { verifyPassword } from "./passwords";
import { revokeSession, startSession } from "./sessions";
import type { Store } from "./store";
import { findUser } from "./users";
import type { SessionRow, UserRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import { safeText } from "@/lib/text";

export const SignInRequest = z.strictObject({
  // One safe line: a failed sign-in records the name as given.
  username: safeText(z.string().trim().toLowerCase().min(1, "is required").max(64)),
  password: z.string().min(1, "is required").max(256),
});
export type SignInRequest = z.output<typeof SignInRequest>;

/**
 * A slot for one password check of `username` (sign-in, or the current password of a change), or
 * a 429 — audited as `sign_in_throttled` with the limit that refused it.
 */
export function takeSignInSlot(
  store: Store,
  username: string,
  opts: { ip: string | null; maxFailures: number; throttleByIp: boolean; actor?: string },
): () => void {
  // An address counts only when a trusted proxy vouches for it: else anyone could name any
  // address in X-Forwarded-For (Next.js keeps a client's own), and the limit is the account's.
  const slot = reserveSignInCheck(store, username, opts.throttleByIp ? opts.ip : null, opts.maxFailures);
  if (!slot.ok) {
    recordAudit(store, {
      event: "sign_in_throttled",
      actor: opts.actor ?? "anonymous",
      subject: username,
      ip: opts.ip,
      detail: { limit: slot.limit, retry_after_s: slot.retryAfterS },
    });
    throw signInThrottled(slot.retryAfterS);
  }
  return slot.release;
}

export async function signIn(
  store: Store,
  input: SignInRequest,
  opts: { ip: string | null; maxFailures: number; sessionTtlMs: number; throttleByIp: boolean; previousSessionId?: string },
): Promise<{ user: UserRow; session: SessionRow; secret: string }> {
  const release = takeSignInSlot(store, input.username, opts);
  try {
    const user = findUser(store, input.username);
    // A single sign-on account has no local password, whatever its row holds: its check spends
    // the same time on the decoy hash and fails like a wrong password.
    const hash = user?.source === "local" ? user.passwordHash : null;
    const matches = await verifyPassword(input.password, hash);
    if (!user || !matches || user.disabled) {
      const why = !user
        ? "unknown user"
        : user.source !== "local"
          ? "single sign-on account"
          : !matches
            ? "wrong password"
            : "account disabled";
      recordAudit(store, { event: "sign_in_failed", actor: "anonymous", subject: input.username, ip: opts.ip, detail: { reason: why } });
      throw new MdrError("unauthorized", "Wrong username or password.");
    }
    // Whoever this browser was signed in as before, that session ends: the new one has a new id.
    if (opts.previousSessionId) revokeSession(store, opts.previousSessionId);
    const { session, secret } = startSession(store, user, {
      ttlMs: opts.sessionTtlMs,
      ip: opts.ip,
      method: "password",
      detail: opts.previousSessionId ? { ended_session_id: opts.previousSessionId } : undefined,
    });
    return { user, session, secret };
  } finally {
    release();
  }
}
