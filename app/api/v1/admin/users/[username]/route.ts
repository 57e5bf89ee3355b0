import { grantScope } from "@/lib/auth/scope";
import { UpdateUserRequest, Username, toApiUser, updateUser } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { authStore, json, methodsNotAllowed, readJson, readParam, route } from "@/lib/http/route";

// PATCH /api/v1/admin/users/{username} — change role, password, disabled or tenants (ends the user's
// sessions); only of a user within the admin's tenants, and only to tenants of the admin's own
export const PATCH = route<{ username: string }>({ role: "admin" }, async (req, rc, params) => {
  const username = readParam("username", params.username, Username);
  const { tenants, ...change } = await readJson(req, UpdateUserRequest);
  const granted = tenants === undefined ? {} : { tenants: grantScope(tenants, rc.scope, config()) };
  return json(toApiUser(await updateUser(authStore(), username, { ...change, ...granted }, rc.actor, rc.scope)));
});

export const { GET, POST, PUT, DELETE } = methodsNotAllowed("PATCH");
