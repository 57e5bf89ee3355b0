import { UpdateUserRequest, Username, toApiUser, updateUser } from "@/lib/auth/users";
import { authStore, json, methodsNotAllowed, readJson, readParam, route } from "@/lib/http/route";

// PATCH /api/v1/admin/users/{username} — change role, password or disabled (ends the user's sessions)
export const PATCH = route<{ username: string }>({ role: "admin" }, async (req, rc, params) => {
  const username = readParam("username", params.username, Username);
  const change = await readJson(req, UpdateUserRequest);
  return json(toApiUser(await updateUser(authStore(), username, change, rc.actor)));
});

export const { GET, POST, PUT, DELETE } = methodsNotAllowed("PATCH");
