// Isolations and releases run on at Defender after it accepts them: each poll round mirrors the
// machine action's status onto the row, until it is final.
import "server-only";
import { actionsWithStatus, patchAction } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { addEvent, transition } from "@/lib/mdr/actions";
import type { MdrContext } from "@/lib/mdr/context";
import { ISOLATE_ENDPOINT } from "@/lib/mdr/kinds/isolate-endpoint/meta";
import { machineActionFailure, machineActionOutcome } from "@/lib/mdr/machine-actions";
import { type CallScope, runInScope } from "@/lib/mdr/providers/call-scope";
import { ProviderError } from "@/lib/mdr/providers/types";

const POLLING: CallScope = { background: true, queued: () => {} };

const [ISOLATE, RELEASE] = ISOLATE_ENDPOINT.kinds;

/** Polls every in-progress isolation and release once; returns how many rows changed. */
export async function pollMachineActions(ctx: MdrContext): Promise<number> {
  return (await pollOfType(ctx, ISOLATE.type, true)) + (await pollOfType(ctx, RELEASE.type, false));
}

async function pollOfType(ctx: MdrContext, type: ActionRow["type"], isolating: boolean): Promise<number> {
  const open = actionsWithStatus(ctx.db, type, "in_progress");
  let changed = 0;
  for (const row of open) {
    // Polls yield to actions under the rate limit: a poll without a free turn waits for the next round.
    if (await runInScope(POLLING, () => pollOne(ctx, row, isolating))) changed++;
  }
  return changed;
}

async function pollOne(ctx: MdrContext, row: ActionRow, isolating: boolean): Promise<boolean> {
  if (row.providerRef === null) return false;
  let status;
  try {
    status = (await ctx.providers.endpoint.getMachineAction(row.tenantId, row.providerRef)).status;
  } catch (err) {
    if (err instanceof ProviderError && err.kind === "not_found") {
      transition(ctx, row, "failed", `Defender has no record of machine action ${row.providerRef}`, {
        error: (err as Error).message,
      });
      return true;
    }
    // A transient failure: the next round asks again.
    return false;
  }
  const last = row.result?.machine_action_status;
  if (status === last) return false;
  const result = { machine_action_status: status };
  switch (machineActionOutcome(status)) {
    case "succeeded":
      transition(ctx, row, "succeeded", `Defender: ${isolating ? "isolation" : "release"} Succeeded`, {
        result,
        active: isolating,
      });
      break;
    case "failed":
      transition(ctx, row, "failed", `Defender: machine action ended ${status}`, {
        result,
        error: machineActionFailure({ id: row.providerRef, status }).message,
      });
      break;
    case "running":
      patchAction(ctx.db, row.id, { result: { ...(row.result ?? {}), ...result }, updatedAt: ctx.now() });
      addEvent(ctx, row.id, row.status, `Defender: machine action is ${status}`);
  }
  return true;
}
