import { SignInRequest, signIn } from "@/lib/auth/sign-in";
import { toApiUser } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import { sessionCookie } from "@/lib/http/session-cookie";

// POST /api/v1/auth/login — sign in with a local account; sets the session cookie (a new session:
// the one this browser came with, if any, ends). `must_change_password`: until it is changed, the
// session may only change it (POST /api/v1/auth/password), ask who it is and sign out.
export const POST = route({ role: "public" }, async (req, rc) => {
  const cfg = config();
  const input = await readJson(req, SignInRequest);
  const { user, session, secret } = await signIn(authStore(), input, {
    ip: rc.ip,
    maxFailures: cfg.auth.loginMaxFailures,
    sessionTtlMs: cfg.auth.sessionTtlMs,
    throttleByIp: cfg.auth.trustProxy,
    previousSessionId: rc.identity?.via === "session" ? rc.identity.sessionId : undefined,
  });
  return json(
    {
      user: toApiUser(user),
      session: { expires_at: new Date(session.expiresAt).toISOString() },
      must_change_password: user.mustChangePassword,
    },
    { headers: { "set-cookie": sessionCookie(cfg, req, secret, session.expiresAt), "cache-control": "no-store" } },
  );
});

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
