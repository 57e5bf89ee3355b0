import { json, methodsNotAllowed, readParam, route } from "@/lib/http/route";
import { getBulkStatus } from "@/lib/mdr/bulk/status";
import { getContext } from "@/lib/mdr/context";
import { BulkId } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/bulk/{id} — a bulk's progress: counts per status, each target's action, estimated end
export const GET = route<{ id: string }>({ role: "viewer" }, async (_req, rc, params) => {
  const id = readParam("id", params.id, BulkId);
  return json(getBulkStatus(getContext(rc), id));
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
