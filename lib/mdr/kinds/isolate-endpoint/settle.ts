// An isolation or a release a crash left pending: Defender's machine action sent in the row's
// name (its Comment is the row's, actionComment) says what happened.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { transition } from "@/lib/mdr/actions";
import { isCommentOf } from "@/lib/mdr/action-comment";
import type { MdrContext } from "@/lib/mdr/context";
import { VERIFIED, absent } from "@/lib/mdr/kinds/verified";
import { machineActionFailure, machineActionOutcome } from "@/lib/mdr/machine-actions";

/** The device an isolation or release was for, or null when it never resolved to one. */
async function machineOf(ctx: MdrContext, row: ActionRow): Promise<string | null> {
  const known = row.result?.machine_id ?? row.parameters.machine_id;
  if (typeof known === "string" && known !== "") return known;
  const hostname = row.parameters.hostname;
  if (typeof hostname !== "string") return null;
  const machines = await ctx.providers.endpoint.findMachines(row.tenantId, hostname);
  return machines.length === 1 ? machines[0]!.id : null;
}

/** Settles an isolation (`isolating`) or a release from Defender's machine actions on the device. */
export async function settleMachineAction(ctx: MdrContext, row: ActionRow, isolating: boolean): Promise<void> {
  const machineId = await machineOf(ctx, row);
  if (machineId === null) {
    absent(ctx, row, `${row.target} does not resolve to one device, so no ${isolating ? "isolation" : "release"} was sent`);
    return;
  }
  const type = isolating ? "Isolate" : "Unisolate";
  // Known by the Comment it was sent with, which names this row: its type may be spelled otherwise
  // (an UnManagedDevice isolation is a containment), and no other row's action carries this id.
  const sent = (await ctx.providers.endpoint.listMachineActions(row.tenantId, machineId)).find((a) =>
    isCommentOf(a.requestorComment, row.id),
  );
  if (!sent) {
    absent(ctx, row, `Defender has no ${type} machine action from ${row.id} for device ${machineId}; nothing was sent`);
    return;
  }
  const facts = { providerRef: sent.id, result: { machine_id: machineId, machine_action_status: sent.status } };
  switch (machineActionOutcome(sent.status)) {
    case "succeeded":
      transition(ctx, row, "succeeded", `${VERIFIED}: Defender ${isolating ? "isolated" : "released"} the device (${sent.id})`, {
        ...facts,
        active: isolating,
      });
      break;
    case "failed": {
      const message = `${VERIFIED}: Defender machine action ${sent.id} ended ${sent.status}`;
      transition(ctx, row, "failed", message, { ...facts, error: machineActionFailure(sent).message });
      break;
    }
    case "running":
      // Still running at Defender: the poller follows it from here.
      transition(ctx, row, "in_progress", `${VERIFIED}: Defender machine action ${sent.id} is ${sent.status}`, facts);
  }
}
