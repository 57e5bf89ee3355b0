import { CreateUserRequest, createUser, listUsers, toApiUser } from "@/lib/auth/users";
import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";

// GET /api/v1/admin/users — every account; POST — create a local account
export const GET = route({ role: "admin" }, async () => json({ users: listUsers(authStore()).map(toApiUser) }));

export const POST = route({ role: "admin" }, async (req, rc) => {
  const input = await readJson(req, CreateUserRequest);
  const user = await createUser(authStore(), input, rc.actor);
  return json(toApiUser(user), { status: 201, headers: { location: `/api/v1/admin/users/${user.username}` } });
});

export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
