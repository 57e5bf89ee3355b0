// Tenant scope: the tenants an identity (a user, an API token) may see and act in. `null` is every
// configured tenant (a single-tenant deployment never notices scopes). An identity made by a scoped
// admin gets at most that admin's tenants.
import { type Config, configuredTenants } from "@/lib/config";
import { MdrError } from "@/lib/errors";

export type Scope = readonly string[] | null;

export { configuredTenants };

/** Whether every tenant of `inner` is in `outer`. */
export function within(inner: Scope, outer: Scope): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return inner.every((t) => outer.includes(t));
}

/** How a scope reads in a message or a table. */
export const describeScope = (scope: Scope): string => (scope === null ? "all tenants" : scope.join(", "));

/**
 * The scope a new or changed identity gets: the one asked for (undefined: the granter's own), each
 * tenant configured, and none outside the granter's scope (a scoped admin cannot mint an
 * all-tenant token). Errors name only tenants the granter may see.
 */
export function grantScope(asked: Scope | undefined, granter: Scope, cfg: Config): Scope {
  const scope = asked === undefined ? granter : asked;
  const visible = configuredTenants(cfg).filter((t) => granter === null || granter.includes(t));
  if (scope !== null) {
    const unknown = scope.filter((t) => !configuredTenants(cfg).includes(t));
    if (unknown.length > 0) {
      throw MdrError.field("tenants", `${unknown.join(", ")} is not a configured tenant; yours: ${visible.join(", ") || "none"}`);
    }
  }
  if (!within(scope, granter)) {
    const outside = scope === null ? "all tenants" : scope.filter((t) => !granter!.includes(t)).join(", ");
    throw new MdrError("forbidden", `You may grant only your own tenants (${describeScope(granter)}), not ${outside}.`, {
      errors: [{ path: "tenants", message: "is outside your tenants" }],
    });
  }
  return scope;
}
