import { z } from "zod";
import { revokeToken, toApiToken } from "@/lib/auth/tokens";
import { authStore, json, methodsNotAllowed, readParam, route } from "@/lib/http/route";

const TokenId = z.string().regex(/^tok_[0-9A-HJKMNP-TV-Z]{26}$/, "must be a token id like tok_01J...");

// DELETE /api/v1/admin/tokens/{id} — revoke a token at once
export const DELETE = route<{ id: string }>({ role: "admin" }, async (_req, rc, params) => {
  const id = readParam("id", params.id, TokenId);
  return json(toApiToken(revokeToken(authStore(), id, rc.actor, rc.scope)));
});

export const { GET, POST, PUT, PATCH } = methodsNotAllowed("DELETE");
