"use client";

// The frame of a card whose target field also takes a list (every action card): the form's own
// state wired to the card, the button saying what a list will do ("Disable 12 users", "Quarantine in
// 30 mailboxes"; the single label for one target), and the progress panel of the list it sent.
import type { ComponentProps } from "react";
import { ActionCard } from "./action-card";
import { BulkProgress } from "./bulk-progress";
import type { ConfirmSpec } from "./confirm-dialog";
import { countOf } from "./target-list";
import type { ActionForm, FormValues } from "./use-action-form";

type FrameProps = Omit<ComponentProps<typeof ActionCard>, "sending" | "formError" | "validate" | "send" | "after" | "confirm">;

/** The targets of a list the form holds: how many ("12 users"), and which. */
export interface Listed {
  count: string;
  items: readonly string[];
}

/** How many targets, said as the card says them, when the form holds more than one; else null. */
export function listedOf<V extends FormValues>(form: ActionForm<V>): Listed | null {
  const { list, items } = form;
  return list && items.length > 1 ? { count: countOf(items.length, list.noun), items } : null;
}

/** What the button says for a list: "Disable 12 users". */
export const listAction = <V extends FormValues>(form: ActionForm<V>, listed: Listed) => `${form.list!.verb} ${listed.count}`;

export function ListActionCard<V extends FormValues>({
  form,
  submitLabel,
  sendingLabel,
  confirm,
  ...frame
}: FrameProps & {
  form: ActionForm<V>;
  /** What to confirm first for the current values (`listed`: the list, when the field holds one); null: nothing. */
  confirm: (listed: Listed | null) => ConfirmSpec | null;
}) {
  const listed = listedOf(form);
  return (
    <ActionCard
      {...frame}
      submitLabel={listed ? listAction(form, listed) : submitLabel}
      sendingLabel={listed ? `${form.list!.verbing} ${listed.count}…` : sendingLabel}
      sending={form.sending}
      formError={form.formError}
      validate={form.validateAll}
      send={() => form.send()}
      confirm={confirm(listed)}
      after={form.bulk && <BulkProgress sent={form.bulk} title={frame.title} onDismiss={form.dismissBulk} />}
    />
  );
}
