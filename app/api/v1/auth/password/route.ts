import { takeSignInSlot } from "@/lib/auth/sign-in";
import { ChangePasswordRequest, changeOwnPassword } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { MdrError } from "@/lib/errors";
import { authStore, methodsNotAllowed, readJson, route } from "@/lib/http/route";

// POST /api/v1/auth/password — change one's own password (current + new); 204. The one call a
// session that must change its password may make, besides who am I and sign out.
export const POST = route({ role: "viewer", beforePasswordChange: true }, async (req, rc) => {
  const identity = rc.identity!;
  if (identity.via !== "session" || !identity.sessionId) {
    throw new MdrError("conflict", "This request carries an API token, not a session; a token has no password.");
  }
  const cfg = config();
  const input = await readJson(req, ChangePasswordRequest);
  const store = authStore();
  await changeOwnPassword(store, identity.name, input, {
    sessionId: identity.sessionId,
    ip: rc.ip,
    takeSlot: () =>
      takeSignInSlot(store, identity.name, {
        ip: rc.ip,
        maxFailures: cfg.auth.loginMaxFailures,
        throttleByIp: cfg.auth.trustProxy,
        actor: rc.actor,
      }),
  });
  return new Response(null, { status: 204 });
});

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
