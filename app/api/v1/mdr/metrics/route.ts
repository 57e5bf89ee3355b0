import { json, methodsNotAllowed, readQuery, route } from "@/lib/http/route";
import { getContext } from "@/lib/mdr/context";
import { getMetrics } from "@/lib/mdr/metrics";
import { MetricsQuery } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/metrics — totals, success rate, time to completion, contained now
export const GET = route({ role: "viewer" }, async (req, rc) => {
  const { hours } = readQuery(req, MetricsQuery);
  return json(getMetrics({ ctx: getContext(rc.actor), hours }));
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
