import { z } from "zod";
import { authStore, json, methodsNotAllowed, readParam, route } from "@/lib/http/route";
import { removeProtectedAsset, toApiProtectedAsset } from "@/lib/mdr/protected-assets";

const ProtectedAssetId = z.string().regex(/^pa_[0-9A-HJKMNP-TV-Z]{26}$/, "must be a protected asset id like pa_01J...");

// DELETE /api/v1/mdr/protected-assets/{id} — remove a guardrail (admin; audited)
export const DELETE = route<{ id: string }>({ role: "admin", allTenants: "Removing a guardrail" }, async (_req, rc, params) => {
  const id = readParam("id", params.id, ProtectedAssetId);
  return json(toApiProtectedAsset(removeProtectedAsset(authStore(), id, rc.actor)));
});

export const { GET, POST, PUT, PATCH } = methodsNotAllowed("DELETE");
