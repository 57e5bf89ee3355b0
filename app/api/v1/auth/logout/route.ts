import { recordAudit } from "@/lib/auth/audit";
import { revokeSession } from "@/lib/auth/sessions";
import { config } from "@/lib/config";
import { MdrError } from "@/lib/errors";
import { authStore, methodsNotAllowed, route } from "@/lib/http/route";
import { clearedSessionCookie } from "@/lib/http/session-cookie";

// POST /api/v1/auth/logout — end this browser's session (server-side) and clear its cookie
export const POST = route({ role: "viewer", beforePasswordChange: true }, async (req, rc) => {
  const identity = rc.identity!;
  if (identity.via !== "session" || !identity.sessionId) {
    throw new MdrError("conflict", "This request carries an API token, not a session; revoke the token instead.");
  }
  const store = authStore();
  revokeSession(store, identity.sessionId);
  recordAudit(store, { event: "sign_out", actor: rc.actor, subject: identity.name, ip: rc.ip, detail: { session_id: identity.sessionId } });
  return new Response(null, { status: 204, headers: { "set-cookie": clearedSessionCookie(config(), req) } });
});

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
