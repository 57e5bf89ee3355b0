import { json, methodsNotAllowed, route } from "@/lib/http/route";

// GET /api/v1/auth/me — who this request is, with which role and tenants (null: all)
export const GET = route({ role: "viewer", beforePasswordChange: true }, async (_req, rc) => {
  const id = rc.identity!;
  return json({
    actor: id.actor,
    name: id.name,
    role: id.role,
    tenants: id.tenants,
    via: id.via,
    session_expires_at: id.sessionExpiresAt === undefined ? null : new Date(id.sessionExpiresAt).toISOString(),
    must_change_password: id.mustChangePassword === true,
  });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
