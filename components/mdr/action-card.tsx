"use client";

// The frame of each action form: title, the fields, one obvious primary button, the form's
// own error (one the API did not tie to a field), and the confirmation dialog when it applies.
import { CircleAlertIcon, LoaderCircleIcon } from "lucide-react";
import dynamic from "next/dynamic";
import { type FormEvent, type ReactNode, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { ConfirmSpec } from "./confirm-dialog";

// Closed until a destructive submit: its dialog code loads after the first paint, not with it.
const ConfirmDialog = dynamic(() => import("./confirm-dialog").then((m) => m.ConfirmDialog), { ssr: false });

export function ActionCard({
  testId,
  icon,
  title,
  description,
  submitLabel,
  sendingLabel,
  sending,
  formError,
  validate,
  confirm,
  send,
  children,
  notice,
  after,
}: {
  testId: string;
  icon: ReactNode;
  title: string;
  description: string;
  submitLabel: string;
  sendingLabel: string;
  sending: boolean;
  formError: string | null;
  /** Checks every field; false stops here (nothing is sent). */
  validate: () => Promise<boolean>;
  /** What to confirm first, when the current choice is destructive. */
  confirm: ConfirmSpec | null;
  send: () => Promise<unknown>;
  children: ReactNode;
  /** Above the submit button: e.g. the candidates of an ambiguous host. */
  notice?: ReactNode;
  /** Under the form: e.g. the progress of the list it sent. */
  after?: ReactNode;
}) {
  const titleId = useId();
  const [confirming, setConfirming] = useState<ConfirmSpec | null>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  // The button is disabled while sending, which takes the focus from it: give it back after.
  const sendKeepingFocus = async () => {
    await send();
    if (document.activeElement === document.body || document.activeElement === null) submitRef.current?.focus();
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (sending || !(await validate())) return;
    if (confirm) setConfirming(confirm);
    else void sendKeepingFocus();
  };

  return (
    <Card data-testid={testId} className="min-w-0">
      <CardHeader className="flex-row items-start gap-3 space-y-0">
        <span className="flex size-8 shrink-0 items-center justify-center rounded-md bg-primary/10 text-primary [&_svg]:size-4" aria-hidden>
          {icon}
        </span>
        <div className="flex flex-col gap-1">
          <CardTitle id={titleId} className="text-[0.9375rem]">
            {title}
          </CardTitle>
          <CardDescription>{description}</CardDescription>
        </div>
      </CardHeader>
      <CardContent className="flex flex-1 flex-col pt-3">
        <form aria-labelledby={titleId} noValidate onSubmit={onSubmit} className="flex flex-1 flex-col gap-3">
          {children}
          {notice}
          {formError && (
            <div
              role="alert"
              data-testid={`${testId}-error`}
              className="flex items-start gap-2 rounded-md border border-danger/30 bg-danger-soft px-3 py-2 text-xs text-danger"
            >
              <CircleAlertIcon className="mt-px size-4 shrink-0" aria-hidden />
              <span>{formError}</span>
            </div>
          )}
          <div className="mt-auto flex items-center justify-end pt-1">
            <Button ref={submitRef} type="submit" disabled={sending} className="min-w-36">
              {sending ? (
                <>
                  <LoaderCircleIcon className="animate-spin" aria-hidden />
                  {sendingLabel}
                </>
              ) : (
                submitLabel
              )}
            </Button>
          </div>
        </form>
        {after}
      </CardContent>
      <ConfirmDialog
        spec={confirming}
        open={confirming !== null}
        onOpenChange={(open) => !open && setConfirming(null)}
        onConfirm={() => {
          setConfirming(null);
          void sendKeepingFocus();
        }}
        returnFocusTo={submitRef}
      />
    </Card>
  );
}
