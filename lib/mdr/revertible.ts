// Whether an action can be undone, and why not: shared by the revert endpoint and the page's
// Undo button, so both say the same. Pure: no server imports. What is particular to a kind (a
// hardDelete cannot be undone, ...) comes from its meta (lib/mdr/kinds/<kind>/meta.ts).
import { type ActionType, isOpen } from "@/lib/mdr/enums";
import { KIND_META, REVERSE_OF } from "@/lib/mdr/kinds/catalog";
import type { RevertibleFacts as Facts } from "@/lib/mdr/kinds/meta";

export { REVERSE_OF };

/** The fields of an action (row or API shape) the decision needs. */
export interface RevertibleFacts extends Facts {
  type: ActionType;
}

/** Why an action cannot be undone now, or null when it can. */
export function whyNotRevertible(action: RevertibleFacts): string | null {
  const { undo, notUndoable } = KIND_META[action.type];
  if (!undo) {
    return notUndoable ?? `${action.type} undoes another action; to return to the earlier state, run that action again`;
  }
  if (action.revertedBy) return `already reverted by ${action.revertedBy}`;
  const never = undo.refuses?.(action);
  if (never) return never;
  if (isOpen(action)) {
    return `the action is still ${action.status.replace("_", " ")}; wait until it has finished`;
  }
  if (!action.active) return `nothing of it is in effect (status ${action.status}): there is nothing to undo`;
  return undo.refusesInEffect?.(action) ?? null;
}
