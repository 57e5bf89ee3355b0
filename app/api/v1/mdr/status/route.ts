import { json, methodsNotAllowed, route } from "@/lib/http/route";
import { getContext } from "@/lib/mdr/context";
import { getServiceStatus } from "@/lib/mdr/service-status";
import { siemState } from "@/lib/mdr/siem/forwarder";

export const dynamic = "force-dynamic";

// GET /api/v1/mdr/status — health of Defender, Graph, Azure NSG and AWS; with SIEM forwarding
// configured, each destination's state (read fresh: it is not a probe) for a caller of every
// tenant only: its backlog and last record count every customer's records.
export const GET = route({ role: "viewer" }, async (_req, rc) => {
  const ctx = getContext(rc);
  const siem = rc.scope === null ? siemState(ctx.db, ctx.config.siem) : [];
  const body = siem.length > 0 ? { ...(await getServiceStatus(ctx)), siem } : await getServiceStatus(ctx);
  return json(body, { headers: { "cache-control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
