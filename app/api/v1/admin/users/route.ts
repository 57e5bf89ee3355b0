import { grantScope, within } from "@/lib/auth/scope";
import { CreateUserRequest, createUser, listUsers, toApiUser } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";

// GET /api/v1/admin/users — the accounts within the admin's tenants; POST — create a local account
export const GET = route({ role: "admin" }, async (_req, rc) =>
  json({ users: listUsers(authStore()).filter((u) => within(u.tenants, rc.scope)).map(toApiUser) }),
);

export const POST = route({ role: "admin" }, async (req, rc) => {
  const input = await readJson(req, CreateUserRequest);
  const tenants = grantScope(input.tenants, rc.scope, config());
  const user = await createUser(authStore(), { ...input, tenants }, rc.actor);
  return json(toApiUser(user), { status: 201, headers: { location: `/api/v1/admin/users/${user.username}` } });
});

export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
