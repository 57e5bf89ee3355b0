import "server-only";
// The tenants a page may name for its signed-in user: the configured ones within the user's scope,
// with the names of the tenants file (simulation: the simulated Contoso).
import type { Tenant } from "@/components/mdr/form-controls";
import { configuredTenants } from "@/lib/auth/scope";
import { config } from "@/lib/config";

/** Ids with their configured names, in the order given. */
export function tenantsOf(ids: readonly string[]): Tenant[] {
  const cfg = config();
  return ids.map((id) => ({
    id,
    name: cfg.live?.tenants.find((t) => t.tenantId.toLowerCase() === id.toLowerCase())?.name ?? (cfg.mode === "simulation" ? "Contoso (simulated)" : id),
  }));
}

/** The configured tenants within `scope` (null: all), in configured order. */
export function tenantsWithin(scope: readonly string[] | null): Tenant[] {
  return tenantsOf(configuredTenants(config()).filter((id) => scope === null || scope.includes(id.toLowerCase())));
}
