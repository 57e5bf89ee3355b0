import "server-only";
import type { MdrContext } from "@/lib/mdr/context";
import { perService, SERVICE_KEYS } from "@/lib/mdr/providers/facts";
import type { Service, ServiceHealth } from "@/lib/mdr/providers/types";
import type { StatusResponse } from "@/lib/mdr/schemas";

const cache = globalThis as unknown as {
  __mdrStatus?: { at: number; value: Promise<StatusResponse>; providers: unknown };
};

async function check(ctx: Pick<MdrContext, "providers">, service: Service): Promise<ServiceHealth> {
  // While the circuit refuses calls the service is down for every action: say so, and why,
  // rather than probe it (once the cool-down is over, a live probe is the half-open test).
  const circuit = ctx.providers.gate.state(service, ctx.providers.tenants[0]!);
  if (circuit.open) return { status: "down", latency_ms: null, error: circuit.reason };
  try {
    return await ctx.providers.health(service);
  } catch (err) {
    return { status: "down", latency_ms: null, error: (err as Error).message };
  }
}

async function checkAll(ctx: Pick<MdrContext, "providers" | "now">): Promise<StatusResponse> {
  const results = await Promise.all(SERVICE_KEYS.map((s) => check(ctx, s)));
  const services = perService((s) => results[SERVICE_KEYS.indexOf(s)]!);
  const core = [services.defender.status, services.graph.status].filter((s) => s === "up").length;
  return {
    status: core === 2 ? "healthy" : core === 1 ? "degraded" : "unhealthy",
    mode: ctx.providers.mode,
    checked_at: new Date(ctx.now()).toISOString(),
    services,
  };
}

// Health of each outside service, one real round trip each, shared by every caller for the
// cache's lifetime so polling pages cannot hammer the providers.
export function getServiceStatus(ctx: Pick<MdrContext, "providers" | "now" | "config">): Promise<StatusResponse> {
  const now = ctx.now();
  const hit = cache.__mdrStatus;
  if (hit && hit.providers === ctx.providers && now - hit.at < ctx.config.statusTtlMs) return hit.value;
  const value = checkAll(ctx);
  cache.__mdrStatus = { at: now, value, providers: ctx.providers };
  return value;
}
