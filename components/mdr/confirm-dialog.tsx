"use client";

// Asks before a destructive action, repeating exactly what it will hit. Cancel (or Escape)
// sends nothing.
import { TriangleAlertIcon } from "lucide-react";
import type { ReactNode, RefObject } from "react";
import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";

export interface ConfirmSpec {
  title: string;
  /** What it hits: one target, or the targets of a list (the first few shown, the rest counted). */
  target: string | readonly string[];
  consequence: ReactNode;
  confirmLabel: string;
}

/** Targets of a list shown in full at most; the rest are counted. */
const SHOWN_TARGETS = 8;

/** "ws-1, ws-2, ws-3 and 9 more". */
function listed(targets: readonly string[]): string {
  const shown = targets.slice(0, SHOWN_TARGETS).join(", ");
  const rest = targets.length - SHOWN_TARGETS;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

export function ConfirmDialog({
  spec,
  open,
  onOpenChange,
  onConfirm,
  returnFocusTo,
}: {
  spec: ConfirmSpec | null;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onConfirm: () => void;
  /** Opened from a form's submit, not from a trigger: where the focus goes back when it closes. */
  returnFocusTo: RefObject<HTMLElement | null>;
}) {
  return (
    <AlertDialog open={open && spec !== null} onOpenChange={onOpenChange}>
      {spec && (
        <AlertDialogContent
          data-testid="confirm-dialog"
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            returnFocusTo.current?.focus();
          }}
        >
          <AlertDialogHeader>
            <AlertDialogTitle className="flex items-center gap-2">
              <TriangleAlertIcon className="size-5 text-danger" aria-hidden />
              {spec.title}
            </AlertDialogTitle>
            <AlertDialogDescription asChild>
              <div className="flex flex-col gap-3">
                <p className="rounded-md border bg-muted px-3 py-2 font-mono text-sm break-all text-foreground">
                  {typeof spec.target === "string" ? spec.target : listed(spec.target)}
                </p>
                <p>{spec.consequence}</p>
              </div>
            </AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel>Cancel</AlertDialogCancel>
            <AlertDialogAction variant="destructive" onClick={onConfirm}>
              {spec.confirmLabel}
            </AlertDialogAction>
          </AlertDialogFooter>
        </AlertDialogContent>
      )}
    </AlertDialog>
  );
}
