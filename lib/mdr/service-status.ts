import "server-only";
import type { MdrContext } from "@/lib/mdr/context";
import { perService, SERVICE_KEYS } from "@/lib/mdr/providers/facts";
import type { Service, ServiceHealth } from "@/lib/mdr/providers/types";
import type { StatusResponse } from "@/lib/mdr/schemas";
import { visibleTenants } from "@/lib/mdr/tenant";

const cache = globalThis as unknown as {
  __mdrStatus?: { providers: unknown; byTenant: Map<string, { at: number; value: Promise<StatusResponse> }> };
};

const NONE: ServiceHealth = { status: "not_configured", latency_ms: null, error: null };

async function check(ctx: Pick<MdrContext, "providers">, service: Service, tenantId: string): Promise<ServiceHealth> {
  // While the circuit refuses calls the service is down for every action: say so, and why,
  // rather than probe it (once the cool-down is over, a live probe is the half-open test).
  const circuit = ctx.providers.gate.state(service, tenantId);
  if (circuit.open) return { status: "down", latency_ms: null, error: circuit.reason };
  try {
    return await ctx.providers.health(service, tenantId);
  } catch (err) {
    return { status: "down", latency_ms: null, error: (err as Error).message };
  }
}

async function checkAll(ctx: Pick<MdrContext, "providers" | "now">, tenantId: string | undefined): Promise<StatusResponse> {
  const results = await Promise.all(SERVICE_KEYS.map((s) => (tenantId === undefined ? NONE : check(ctx, s, tenantId))));
  const services = perService((s) => results[SERVICE_KEYS.indexOf(s)]!);
  const core = [services.defender.status, services.graph.status].filter((s) => s === "up").length;
  return {
    status: core === 2 ? "healthy" : core === 1 ? "degraded" : "unhealthy",
    mode: ctx.providers.mode,
    checked_at: new Date(ctx.now()).toISOString(),
    services,
  };
}

// Health of each outside service, one real round trip each, in the caller's first tenant (the
// default tenant for a caller of every tenant): what it reports is of a tenant the caller may see.
// Shared by every caller of that tenant for the cache's lifetime so polling pages cannot hammer the
// providers.
export function getServiceStatus(ctx: Pick<MdrContext, "providers" | "now" | "config" | "scope">): Promise<StatusResponse> {
  const now = ctx.now();
  const tenantId = visibleTenants(ctx)[0];
  if (cache.__mdrStatus?.providers !== ctx.providers) cache.__mdrStatus = { providers: ctx.providers, byTenant: new Map() };
  const byTenant = cache.__mdrStatus.byTenant;
  const key = tenantId ?? "";
  const hit = byTenant.get(key);
  if (hit && now - hit.at < ctx.config.statusTtlMs) return hit.value;
  const value = checkAll(ctx, tenantId);
  byTenant.set(key, { at: now, value });
  return value;
}
