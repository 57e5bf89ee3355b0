"use client";

import { MailXIcon } from "lucide-react";
import { Input } from "@/components/ui/input";
import { QUARANTINE_ACTIONS, type QuarantineAction } from "@/lib/mdr/enums";
import { ActionCard } from "./action-card";
import { Field } from "./field";
import { ChoiceField, type Examples, ReasonField, Suggestions, type Tenant, TenantField } from "./form-controls";
import { QUARANTINE_LABELS } from "./labels";
import { useActionForm } from "./use-action-form";

const FIELDS = ["message_id", "user_principal_name", "action", "reason", "tenant_id"] as const;
const idOf = (field: string) => `quarantine-${field.replaceAll("_", "-")}`;

type Values = { message_id: string; user_principal_name: string; action: QuarantineAction; reason: string; tenant_id: string };

function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { action: v.action };
  if (v.message_id.trim()) body.message_id = v.message_id;
  if (v.user_principal_name.trim()) body.user_principal_name = v.user_principal_name;
  if (v.reason.trim()) body.reason = v.reason;
  if (v.tenant_id) body.tenant_id = v.tenant_id;
  return body;
}

const actionChoices = Object.fromEntries(QUARANTINE_ACTIONS.map((a) => [a, QUARANTINE_LABELS[a]])) as Record<
  QuarantineAction,
  { label: string; description: string }
>;

export function QuarantineEmailCard({ tenants, examples }: { tenants: readonly Tenant[]; examples: Examples | null }) {
  const form = useActionForm<Values>({
    schema: (s) => s.QuarantineEmailRequest,
    path: "/api/v1/mdr/quarantine-email",
    initial: {
      message_id: "",
      user_principal_name: "",
      action: "softDelete",
      reason: "",
      tenant_id: tenants.length > 1 ? tenants[0]!.id : "",
    },
    fields: FIELDS,
    toBody,
    idOf,
    clearOnSuccess: ["user_principal_name"],
  });
  const { values, errors } = form;

  return (
    <ActionCard
      testId="quarantine-email-card"
      icon={<MailXIcon />}
      title="Quarantine email"
      description="Pull a message out of a Microsoft 365 mailbox."
      submitLabel="Quarantine email"
      sendingLabel="Quarantining…"
      sending={form.sending}
      formError={form.formError}
      validate={form.validateAll}
      send={() => form.send()}
      confirm={
        values.action === "hardDelete"
          ? {
              title: "Permanently delete this message?",
              target: `${values.message_id.trim()} in ${values.user_principal_name.trim()}`,
              consequence: "A hard delete cannot be undone: the message cannot be restored, not even by an administrator.",
              confirmLabel: "Delete permanently",
            }
          : null
      }
    >
      <Field
        id={idOf("message_id")}
        label="Message ID"
        error={errors.message_id}
        hint={examples ? "Internet Message-ID <…@…>; the demo phish is suggested" : "Internet Message-ID <…@…> or Graph message id"}
      >
        {(control) => (
          <Input
            {...control}
            {...form.input("message_id")}
            placeholder="<id@host>"
            autoComplete="off"
            spellCheck={false}
            className="font-mono text-xs"
            list={examples ? "sim-messages" : undefined}
          />
        )}
      </Field>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_10rem]">
        <Field id={idOf("user_principal_name")} label="Mailbox" error={errors.user_principal_name}>
          {(control) => (
            <Input
              {...control}
              type="email"
              {...form.input("user_principal_name")}
              placeholder="user@contoso.com"
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
              list={examples ? "sim-mailboxes" : undefined}
            />
          )}
        </Field>
        <ChoiceField
          id={idOf("action")}
          label="Action"
          value={values.action}
          onChange={(v) => form.setValue("action", v)}
          choices={actionChoices}
          error={errors.action}
        />
      </div>
      <ReasonField
        id={idOf("reason")}
        input={form.input("reason")}
        error={errors.reason}
      />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={errors.tenant_id} />
      <Suggestions id="sim-messages" values={examples?.messageIds} />
      <Suggestions id="sim-mailboxes" values={examples?.mailboxes} />
    </ActionCard>
  );
}
