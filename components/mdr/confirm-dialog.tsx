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
  target: string;
  consequence: ReactNode;
  confirmLabel: string;
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
                  {spec.target}
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
