// What the status of a Defender machine action (an isolation, a release) means for the row that
// follows it: the isolation and the release read it when Defender accepts the action, the poller
// while it runs, crash recovery when it finds the action again after a restart.
import "server-only";
import type { Outcome, Progress } from "@/lib/mdr/actions";
import {
  FINAL_MACHINE_ACTION_STATUSES,
  type MachineAction,
  type MachineActionStatus,
  ProviderError,
} from "@/lib/mdr/providers/types";

/** Done, ended without success (Failed, TimeOut, Cancelled), or still running (Pending, InProgress). */
export type MachineActionOutcome = "succeeded" | "failed" | "running";

export function machineActionOutcome(status: MachineActionStatus): MachineActionOutcome {
  if (status === "Succeeded") return "succeeded";
  return FINAL_MACHINE_ACTION_STATUSES.includes(status) ? "failed" : "running";
}

/**
 * A machine action that ended without success, as the error the row records: a failure Defender
 * reports (502), not an outage.
 */
export function machineActionFailure(machineAction: Pick<MachineAction, "id" | "status">): ProviderError {
  return new ProviderError("defender", "bad_request", `machine action ${machineAction.id} ended ${machineAction.status}`);
}

/**
 * The pipeline's outcome for a machine action Defender has just accepted: succeeded (an isolation
 * is then in effect), in progress for the poller to follow, or thrown when it already ended
 * without success (recorded with its machine action). `result`: what the row records besides the machine action's status.
 */
export function acceptedOutcome(
  machineAction: MachineAction,
  progress: Progress,
  how: { isolating: boolean; result?: Record<string, unknown> },
): Outcome {
  const facts = { providerRef: machineAction.id, result: { ...how.result, machine_action_status: machineAction.status } };
  switch (machineActionOutcome(machineAction.status)) {
    case "succeeded":
      return {
        status: "succeeded",
        message: `Defender ${how.isolating ? "isolated" : "released"} the device (${machineAction.id})`,
        ...(how.isolating ? { active: true } : {}),
        ...facts,
      };
    case "failed":
      // Recorded with the machine action that says so.
      progress.remember(facts);
      throw machineActionFailure(machineAction);
    case "running":
      return {
        status: "in_progress",
        message: `Defender accepted the ${how.isolating ? "isolation" : "release"}: machine action ${machineAction.id} is ${machineAction.status}`,
        ...facts,
      };
  }
}
