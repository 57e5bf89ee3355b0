import { CreateTokenRequest, createToken, listTokens, toApiToken } from "@/lib/auth/tokens";
import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";

// GET /api/v1/admin/tokens — every API token (never the secret); POST — create one, shown once
export const GET = route({ role: "admin" }, async () => json({ tokens: listTokens(authStore()).map(toApiToken) }));

export const POST = route({ role: "admin" }, async (req, rc) => {
  const input = await readJson(req, CreateTokenRequest);
  const { token, row } = createToken(
    authStore(),
    { name: input.name, role: input.role, expiresAt: input.expires_at ?? null },
    rc.actor,
  );
  return json(
    { ...toApiToken(row), token },
    { status: 201, headers: { location: `/api/v1/admin/tokens/${row.id}`, "cache-control": "no-store" } },
  );
});

export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
