"use client";

// Pieces every admin section shares: the section frame, a form's own error, the submit button,
// an empty table row, and a confirmation opened from a row's button.
import { CircleAlertIcon, LoaderCircleIcon } from "lucide-react";
import { type ReactNode, useRef, useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { TableCell, TableRow } from "@/components/ui/table";
import { ApiError } from "@/components/mdr/api";
import { ConfirmDialog, type ConfirmSpec } from "@/components/mdr/confirm-dialog";
import { RelativeTime } from "@/components/mdr/time";

export function AdminSection({
  id,
  title,
  description,
  testId,
  children,
}: {
  id: string;
  title: string;
  description: ReactNode;
  testId: string;
  children: ReactNode;
}) {
  return (
    <section id={id} aria-labelledby={`${id}-title`} data-testid={testId} className="flex scroll-mt-4 flex-col gap-3">
      <div className="flex flex-col gap-1">
        {/* Focusable from script: where the focus goes when the row it was on is gone. */}
        <h2 id={`${id}-title`} tabIndex={-1} className="text-base font-semibold outline-none">
          {title}
        </h2>
        <p className="text-xs text-muted-foreground">{description}</p>
      </div>
      <Card className="overflow-hidden">{children}</Card>
    </section>
  );
}

export function FormError({ testId, message }: { testId: string; message: string | null }) {
  if (!message) return null;
  return (
    <div
      role="alert"
      data-testid={testId}
      className="flex items-start gap-2 rounded-md border border-danger/30 bg-danger-soft px-3 py-2 text-xs text-danger"
    >
      <CircleAlertIcon className="mt-px size-4 shrink-0" aria-hidden />
      <span>{message}</span>
    </div>
  );
}

export function SubmitButton({ sending, label, sendingLabel }: { sending: boolean; label: string; sendingLabel: string }) {
  return (
    <Button type="submit" disabled={sending} className="min-w-32">
      {sending ? (
        <>
          <LoaderCircleIcon className="animate-spin" aria-hidden />
          {sendingLabel}
        </>
      ) : (
        label
      )}
    </Button>
  );
}

/** The submit button is disabled while sending, which takes the focus from it: give it back after. */
export function keepFocusIn(form: HTMLFormElement) {
  // After React has rendered the button enabled again (a disabled button takes no focus).
  setTimeout(() => {
    if (document.activeElement === document.body || document.activeElement === null) {
      form.querySelector<HTMLButtonElement>('button[type="submit"]')?.focus();
    }
  }, 0);
}

export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <TableRow className="hover:bg-transparent">
      <TableCell colSpan={columns} className="py-8 text-center text-sm text-muted-foreground">
        {children}
      </TableCell>
    </TableRow>
  );
}

/** A time, relative and exact; a dash when there is none. */
export function When({ iso, none = "—" }: { iso: string | null; none?: string }) {
  return iso ? <RelativeTime iso={iso} className="text-xs" /> : <span className="text-xs text-muted-foreground">{none}</span>;
}

/** Says what the server answered to a change made from a row (a toast: the row may be gone). */
export function notifyFailure(title: string, err: unknown) {
  const detail = err instanceof ApiError ? err.message : String(err);
  toast.error(title, { description: detail, testId: "admin-toast", duration: 10_000 });
}

export function notifyDone(title: string, detail?: string) {
  toast.success(title, { description: detail, testId: "admin-toast", duration: 6000 });
}

/**
 * A confirmation for a row's destructive button: `ask` opens it from the button (the focus goes
 * back there, or to the section when the row is gone), `dialog` is rendered once per section.
 */
export function useRowConfirm(fallbackFocusId: string) {
  const [pending, setPending] = useState<{ spec: ConfirmSpec; run: () => void } | null>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const ask = (from: HTMLElement, spec: ConfirmSpec, run: () => void) => {
    returnTo.current = from;
    setPending({ spec, run });
  };
  const focusTarget = {
    get current(): HTMLElement | null {
      const el = returnTo.current;
      return el && el.isConnected && !(el as HTMLButtonElement).disabled ? el : document.getElementById(fallbackFocusId);
    },
  };
  const dialog = (
    <ConfirmDialog
      spec={pending?.spec ?? null}
      open={pending !== null}
      onOpenChange={(open) => !open && setPending(null)}
      onConfirm={() => {
        const run = pending?.run;
        setPending(null);
        run?.();
      }}
      returnFocusTo={focusTarget}
    />
  );
  return { ask, dialog };
}
