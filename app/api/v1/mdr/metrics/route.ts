import { getDb } from "@/lib/db/client";
import { json, methodsNotAllowed, readQuery, route } from "@/lib/http/route";
import { getMetrics } from "@/lib/mdr/metrics";
import { MetricsQuery } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/metrics — totals, success rate, time to completion, contained now. Reads the
// audit log only: no providers are made for it (in live mode they would load the cloud SDKs).
export const GET = route({ role: "viewer" }, async (req, rc) => {
  const { hours } = readQuery(req, MetricsQuery);
  return json(getMetrics({ ctx: { db: getDb(), now: Date.now, scope: rc.scope }, hours }));
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
