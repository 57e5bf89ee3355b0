// What an action writes into the outside system beside its change (a machine action's Comment, an
// indicator's or a rule's description): which audit row, who, and why. Crash recovery reads it
// back to tell the machine action of a row from any other sent to the same device.

/** `MDR {action id} by {actor}: {reason}`. */
export function actionComment(actionId: string, actor: string, reason: string | null): string {
  return `MDR ${actionId} by ${actor}: ${reason ?? "no reason given"}`;
}

/** Whether `comment` was written by actionComment for `actionId`. */
export function isCommentOf(comment: string | null | undefined, actionId: string): boolean {
  return (comment ?? "").startsWith(`MDR ${actionId} `);
}
