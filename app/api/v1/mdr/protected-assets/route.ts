import { authStore, json, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import {
  ProtectedAssetInput,
  addProtectedAsset,
  listProtectedAssets,
  toApiProtectedAsset,
} from "@/lib/mdr/protected-assets";

// GET /api/v1/mdr/protected-assets — the guardrails (anyone signed in may see why an action was refused)
export const GET = route({ role: "viewer" }, async () =>
  json({ protected_assets: listProtectedAssets(authStore()).map(toApiProtectedAsset) }),
);

// POST — protect a hostname pattern, UPN pattern or address range (admin)
export const POST = route({ role: "admin" }, async (req, rc) => {
  const input = await readJson(req, ProtectedAssetInput);
  const row = addProtectedAsset(authStore(), input, rc.actor);
  return json(toApiProtectedAsset(row), { status: 201, headers: { location: `/api/v1/mdr/protected-assets/${row.id}` } });
});

export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");
