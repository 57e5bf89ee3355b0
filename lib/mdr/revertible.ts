// Whether an action can be undone, and why not: shared by the revert endpoint and the page's
// Undo button, so both say the same. Pure: no server imports.
import { type ActionType, isOpen } from "@/lib/mdr/enums";

/** The fields of an action (row or API shape) the decision needs. */
export interface RevertibleFacts {
  type: ActionType;
  status: string;
  active: boolean;
  revertedBy: string | null;
  parameters: Record<string, unknown>;
  result: Record<string, unknown> | null;
}

/** The action that undoes each kind; reverse actions themselves are undone by acting again. */
export const REVERSE_OF: Partial<Record<ActionType, ActionType>> = {
  isolate_endpoint: "release_endpoint",
  block_ip: "unblock_ip",
  disable_user: "enable_user",
  quarantine_email: "restore_email",
};

/** Why an action cannot be undone now, or null when it can. */
export function whyNotRevertible(action: RevertibleFacts): string | null {
  if (!REVERSE_OF[action.type]) {
    return `${action.type} undoes another action; to return to the earlier state, run that action again`;
  }
  if (action.revertedBy) return `already reverted by ${action.revertedBy}`;
  if (action.type === "quarantine_email" && action.parameters.action === "hardDelete") {
    return "a hardDelete permanently deleted the message: it cannot be undone";
  }
  if (isOpen(action)) {
    return `the action is still ${action.status.replace("_", " ")}; wait until it has finished`;
  }
  if (!action.active) return `nothing of it is in effect (status ${action.status}): there is nothing to undo`;
  if (action.type === "disable_user" && action.result?.was_enabled === false) {
    return "the account was already disabled before this action: enabling it would undo more than this action did";
  }
  return null;
}

