import { CreateTokenRequest, createToken, listTokens, toApiToken } from "@/lib/auth/tokens";
import { grantScope, within } from "@/lib/auth/scope";
import { config } from "@/lib/config";
import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";

// GET /api/v1/admin/tokens — the API tokens within the admin's tenants (never the secret); POST — create one, shown once
export const GET = route({ role: "admin" }, async (_req, rc) =>
  json({ tokens: listTokens(authStore()).filter((t) => within(t.tenants, rc.scope)).map(toApiToken) }),
);

export const POST = route({ role: "admin" }, async (req, rc) => {
  const input = await readJson(req, CreateTokenRequest);
  const tenants = grantScope(input.tenants, rc.scope, config());
  const { token, row } = createToken(
    authStore(),
    { name: input.name, role: input.role, expiresAt: input.expires_at ?? null, tenants },
    rc.actor,
  );
  return json(
    { ...toApiToken(row), token },
    { status: 201, headers: { location: `/api/v1/admin/tokens/${row.id}`, "cache-control": "no-store" } },
  );
});

export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
