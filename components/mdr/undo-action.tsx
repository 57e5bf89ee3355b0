"use client";

// Undo from the drawer: release the host, remove the block, re-enable the user, restore the
// email. Asks first, repeating the target; says plainly when an action cannot be undone.
import { Undo2Icon } from "lucide-react";
import { useRef, useState } from "react";
import { useSWRConfig } from "swr";
import { Button } from "@/components/ui/button";
import { KIND_META } from "@/lib/mdr/kinds/catalog";
import { whyNotRevertible } from "@/lib/mdr/revertible";
import type { Action } from "@/lib/mdr/schemas";
import { ACTIONS_PATH, ApiError, METRICS_KEY, postAction } from "./api";
import { ConfirmDialog, type ConfirmSpec } from "./confirm-dialog";
import { useCanAct } from "./identity";
import { notifyAction, notifyProblem } from "./notify";

export function UndoAction({ action }: { action: Action }) {
  const { mutate } = useSWRConfig();
  const [open, setOpen] = useState(false);
  const [sending, setSending] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const canAct = useCanAct();
  const undo = KIND_META[action.type].undo;
  if (!canAct || !undo) return null;
  const why = whyNotRevertible({ ...action, revertedBy: action.reverted_by });
  // Nothing to offer, nothing to explain, for an action that never took effect.
  if (why && !action.active && !action.reverted_by) return null;

  const spec: ConfirmSpec = { title: `${undo.label}?`, target: action.target, consequence: undo.consequence, confirmLabel: undo.label };

  async function send() {
    setSending(true);
    try {
      notifyAction(await postAction(`${ACTIONS_PATH}/${action.id}/revert`, { reason: "Undone from the page" }));
    } catch (err) {
      if (err instanceof ApiError && err.problem) notifyProblem(err.problem);
      else throw err;
    } finally {
      setSending(false);
      await mutate((key) => typeof key === "string" && (key.startsWith(ACTIONS_PATH) || key === METRICS_KEY));
    }
  }

  return (
    <section className="flex flex-col gap-2" data-testid="undo-section">
      <h3 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">Undo</h3>
      {why ? (
        <p className="text-sm text-muted-foreground" data-testid="undo-unavailable">
          Cannot be undone: {why}.
        </p>
      ) : (
        <div>
          <Button ref={button} variant="outline" onClick={() => setOpen(true)} disabled={sending} data-testid="undo-button">
            <Undo2Icon aria-hidden />
            {sending ? "Sending…" : undo.label}
          </Button>
        </div>
      )}
      <ConfirmDialog spec={spec} open={open} onOpenChange={setOpen} onConfirm={send} returnFocusTo={button} />
    </section>
  );
}
