import { MdrError } from "@/lib/errors";
import type { MdrContext } from "@/lib/mdr/context";
import { SERVICE_LABELS, type Service } from "@/lib/mdr/providers/types";

/** The tenant an action runs in: the one asked for, if configured, else the default. */
export function resolveTenant(ctx: Pick<MdrContext, "providers">, requested: string | undefined): string {
  const tenants = ctx.providers.tenants;
  if (requested === undefined) return tenants[0]!;
  const match = tenants.find((t) => t.toLowerCase() === requested.toLowerCase());
  if (!match) {
    throw MdrError.field("tenant_id", `is not a configured tenant; configured: ${tenants.join(", ")}`);
  }
  return match;
}

/** Refuses, before anything is written, an action on a service the tenant has no settings for. */
export function requireService(ctx: Pick<MdrContext, "providers">, service: Service, tenantId: string, field: string): void {
  if (!ctx.providers.configured(service, tenantId)) {
    throw MdrError.field(field, `${SERVICE_LABELS[service]} is not configured for tenant ${tenantId}`);
  }
}
