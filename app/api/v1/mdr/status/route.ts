import { json, methodsNotAllowed, route } from "@/lib/http/route";
import { getContext } from "@/lib/mdr/context";
import { getServiceStatus } from "@/lib/mdr/service-status";

export const dynamic = "force-dynamic";

// GET /api/v1/mdr/status — health of Defender, Graph, Azure NSG and AWS
export const GET = route({ role: "viewer" }, async (_req, rc) => {
  return json(await getServiceStatus(getContext(rc)), { headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
