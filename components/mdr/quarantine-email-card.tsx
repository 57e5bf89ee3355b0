"use client";

import { MailXIcon } from "lucide-react";
import { Input } from "@/components/ui/input";
import { QUARANTINE_ACTIONS, type QuarantineAction } from "@/lib/mdr/enums";
import { Field } from "./field";
import { ChoiceField, type Examples, ReasonField, Suggestions, type Tenant, TenantField } from "./form-controls";
import { QUARANTINE_LABELS } from "./labels";
import { ListActionCard } from "./list-action-card";
import type { Noun } from "./target-list";
import { TargetListField } from "./target-list-field";
import { useActionForm } from "./use-action-form";

const FIELDS = ["message_id", "user_principal_name", "action", "reason", "tenant_id"] as const;
const idOf = (field: string) => `quarantine-${field.replaceAll("_", "-")}`;

type Values = { message_id: string; user_principal_name: string; action: QuarantineAction; reason: string; tenant_id: string };

const MAILBOXES: Noun = { one: "mailbox", many: "mailboxes" };

/** One mailbox: the single request (`user_principal_name`); a list: the bulk one (`upns`), the same message out of each. */
function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { action: v.action };
  if (v.message_id.trim()) body.message_id = v.message_id;
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
    list: {
      field: "user_principal_name",
      bulkField: "upns",
      schema: (s) => s.BulkQuarantineEmailRequest,
      noun: MAILBOXES,
      verb: "Quarantine in",
      verbing: "Quarantining in",
      done: "quarantined",
    },
  });
  const { values, errors } = form;
  const message = values.message_id.trim();

  return (
    <ListActionCard
      form={form}
      testId="quarantine-email-card"
      icon={<MailXIcon />}
      title="Quarantine email"
      description="Pull a message out of a Microsoft 365 mailbox."
      submitLabel="Quarantine email"
      sendingLabel="Quarantining…"
      confirm={(listed) =>
        values.action !== "hardDelete"
          ? null
          : listed
            ? {
                title: `Permanently delete this message from ${listed.count}?`,
                target: listed.items,
                consequence: `A hard delete cannot be undone: ${message} cannot be restored in any of these ${listed.count}, not even by an administrator.`,
                confirmLabel: `Delete from ${listed.count}`,
              }
            : {
                title: "Permanently delete this message?",
                target: `${message} in ${form.items[0] ?? ""}`,
                consequence: "A hard delete cannot be undone: the message cannot be restored, not even by an administrator.",
                confirmLabel: "Delete permanently",
              }
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
        <TargetListField
          form={form}
          id={idOf("user_principal_name")}
          label="Mailbox"
          hint={examples ? "Try alice@contoso.com: the demo phish is in alice's, bob's and carol's" : "The mailbox owner's user principal name"}
          placeholder="user@contoso.com"
        />
        <ChoiceField
          id={idOf("action")}
          label="Action"
          value={values.action}
          onChange={(v) => form.setValue("action", v)}
          choices={actionChoices}
          error={errors.action}
        />
      </div>
      <ReasonField id={idOf("reason")} input={form.input("reason")} error={errors.reason} />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={errors.tenant_id} />
      <Suggestions id="sim-messages" values={examples?.messageIds} />
    </ListActionCard>
  );
}
