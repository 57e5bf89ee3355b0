import { recordAudit } from "@/lib/auth/audit";
import { MdrError } from "@/lib/errors";
import type { MdrContext } from "@/lib/mdr/context";
import { SERVICE_LABELS, type Service } from "@/lib/mdr/providers/types";

type ScopeContext = Pick<MdrContext, "providers" | "scope">;

/** Whether the caller may see and act in the tenant. */
export function inScope(ctx: Pick<MdrContext, "scope">, tenantId: string): boolean {
  return ctx.scope === null || ctx.scope.includes(tenantId.toLowerCase());
}

/** The configured tenants the caller may see and act in, in configured order (the first is its default). */
export function visibleTenants(ctx: ScopeContext): string[] {
  return ctx.providers.tenants.filter((t) => inScope(ctx, t));
}

/**
 * The tenant an action runs in: the one asked for, if configured and in the caller's scope, else
 * the caller's first. Out of scope is a 403 of its own, recorded in the security audit log; an
 * unknown tenant is a 422 naming only the tenants the caller may see. Nothing is written else.
 */
export function resolveTenant(ctx: ScopeContext & Pick<MdrContext, "db" | "now" | "actor" | "ip">, requested: string | undefined): string {
  const visible = visibleTenants(ctx);
  const yours = visible.length > 0 ? `yours: ${visible.join(", ")}` : "you may act in none";
  if (requested === undefined) {
    if (visible[0] === undefined) throw new MdrError("tenant_forbidden", `${ctx.actor} may act in no configured tenant.`);
    return visible[0];
  }
  const match = ctx.providers.tenants.find((t) => t.toLowerCase() === requested.toLowerCase());
  if (!match) throw MdrError.field("tenant_id", `is not a configured tenant; ${yours}`);
  if (!inScope(ctx, match)) {
    recordAudit(ctx, {
      event: "tenant_refused",
      actor: ctx.actor,
      subject: match,
      ip: ctx.ip ?? null,
      detail: { reason: "outside the caller's tenants" },
    });
    throw new MdrError("tenant_forbidden", `${ctx.actor} may not act in tenant ${match}; ${yours}.`, {
      errors: [{ path: "tenant_id", message: "is outside your tenants" }],
    });
  }
  return match;
}

/** Refuses, before anything is written, an action on a service the tenant has no settings for. */
export function requireService(ctx: Pick<MdrContext, "providers">, service: Service, tenantId: string, field: string): void {
  if (!ctx.providers.configured(service, tenantId)) {
    throw MdrError.field(field, `${SERVICE_LABELS[service]} is not configured for tenant ${tenantId}`);
  }
}
