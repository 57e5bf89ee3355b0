import { MdrError } from "@/lib/errors";
import type { MdrContext } from "@/lib/mdr/context";

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
