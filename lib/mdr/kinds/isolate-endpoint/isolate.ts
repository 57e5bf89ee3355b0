import "server-only";
import { MdrError } from "@/lib/errors";
import type { ActionRow } from "@/lib/db/schema";
import { type ActionSpec, type Perform, runAction } from "@/lib/mdr/actions";
import { assertNotProtected } from "@/lib/mdr/protected-assets";
import { isolationDuplicate, isolationHolder } from "@/lib/mdr/kinds/isolate-endpoint/duplicates";
import type { MdrContext } from "@/lib/mdr/context";
import { actionComment } from "@/lib/mdr/action-comment";
import { acceptedOutcome } from "@/lib/mdr/machine-actions";
import { type Machine, ProviderError } from "@/lib/mdr/providers/types";
import type { IsolateRequest } from "@/lib/mdr/schemas";
import { requireService, resolveTenant } from "@/lib/mdr/tenant";

/** Finds the one device meant: 404 when none, 409 listing candidates when several. */
async function resolveMachine(
  ctx: MdrContext,
  tenantId: string,
  input: Pick<IsolateRequest, "hostname" | "machine_id">,
): Promise<Machine> {
  const endpoint = ctx.providers.endpoint;
  if (input.machine_id !== undefined) {
    const machine = await endpoint.getMachine(tenantId, input.machine_id);
    if (input.hostname !== undefined && !namesMatch(machine.computerDnsName, input.hostname)) {
      throw MdrError.field(
        "hostname",
        `does not match machine ${machine.id}, which is named ${machine.computerDnsName}`,
      );
    }
    return machine;
  }
  const hostname = input.hostname!;
  return resolvedFrom(hostname, await endpoint.findMachines(tenantId, hostname));
}

/**
 * A bulk's host resolved from the one read of the machine list: the device as a single request
 * would have resolved it, or the refusal it would have answered (none: 404; several: 409 with the
 * candidates).
 */
export function resolvedFrom(hostname: string, machines: Machine[]): Machine {
  if (machines.length === 0) {
    throw new ProviderError("defender", "not_found", `No device named ${hostname} is known to Defender for Endpoint`, {
      httpStatus: 404,
    });
  }
  if (machines.length > 1) {
    throw new MdrError(
      "ambiguous_target",
      `${hostname} matches ${machines.length} devices; nothing was isolated. Choose one and send its machine_id.`,
      {
        extra: {
          candidates: machines.map((m) => ({ id: m.id, name: m.computerDnsName, last_seen: m.lastSeen })),
        },
      },
    );
  }
  return machines[0]!;
}

function namesMatch(dnsName: string, hostname: string): boolean {
  const name = dnsName.toLowerCase();
  return name === hostname || (!hostname.includes(".") && name.split(".")[0] === hostname);
}

/** Never a protected host, by the name asked for (the name Defender knows it by is checked once resolved). */
export function isolationGuard(ctx: MdrContext, input: IsolateRequest): void {
  if (input.hostname !== undefined) assertNotProtected(ctx, "hostname", input.hostname, "hostname");
}

/** An isolation's spec: what its row records (everything its provider work needs). */
export function isolationSpec(ctx: MdrContext, input: IsolateRequest, tenantId: string): ActionSpec {
  return {
    type: "isolate_endpoint",
    target: input.hostname ?? input.machine_id!,
    tenantId,
    provider: "defender",
    parameters: {
      hostname: input.hostname ?? null,
      machine_id: input.machine_id ?? null,
      isolation_type: input.isolation_type,
    },
    reason: input.reason,
    guard: () => isolationGuard(ctx, input),
    duplicate: isolationDuplicate,
  };
}

/** An isolation's provider work, from its row: the same at once or from the queue. */
export const performIsolation =
  (ctx: MdrContext): Perform =>
  async (action, progress) => {
    const p = action.parameters as { hostname: string | null; machine_id: string | null; isolation_type: IsolateRequest["isolation_type"] };
    const input = { hostname: p.hostname ?? undefined, machine_id: p.machine_id ?? undefined, isolation_type: p.isolation_type };
    const tenantId = action.tenantId;
    // Resolved already when a bulk's hosts were looked up in one read; else asked now.
    const known = action.result as { machine_id?: string; computer_dns_name?: string } | null;
    const resolved = Boolean(known?.machine_id && known.computer_dns_name);
    const machine: Pick<Machine, "id" | "computerDnsName"> = resolved
      ? { id: known!.machine_id!, computerDnsName: known!.computer_dns_name! }
      : await resolveMachine(ctx, tenantId, input);
    // Again on the name Defender knows the device by (a machine_id, an FQDN).
    assertNotProtected(ctx, "hostname", machine.computerDnsName, input.hostname !== undefined ? "hostname" : "machine_id");
    if (!resolved) {
      progress.note(`Resolved to device ${machine.id} (${machine.computerDnsName})`, {
        result: { machine_id: machine.id, computer_dns_name: machine.computerDnsName },
      });
    }
    // Asked by another name (a machine id, the FQDN) than the isolation already holding the device.
    const holder = isolationHolder(ctx.db, tenantId, [action.target, machine.id, machine.computerDnsName], action.id);
    if (holder) throw new MdrError("conflict", holder.detail, { extra: { holder_action_id: holder.id } });
    const machineAction = await ctx.providers.endpoint.isolate(tenantId, machine.id, {
      comment: actionComment(action.id, action.requestedBy, action.reason),
      isolationType: input.isolation_type,
    });
    return acceptedOutcome(machineAction, progress, { isolating: true });
  };

// Isolate a device through Defender for Endpoint. The machine action runs on at the provider;
// the background poller mirrors its status onto the row.
export async function isolateEndpoint({ ctx, input }: { ctx: MdrContext; input: IsolateRequest }): Promise<ActionRow> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  requireService(ctx, "defender", tenantId, "tenant_id");
  return runAction(ctx, isolationSpec(ctx, input, tenantId), performIsolation(ctx));
}
