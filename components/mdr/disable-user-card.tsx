"use client";

import { UserXIcon } from "lucide-react";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { ActionCard } from "./action-card";
import { Field } from "./field";
import { type Examples, ReasonField, Suggestions, type Tenant, TenantField } from "./form-controls";
import { useActionForm } from "./use-action-form";

const FIELDS = ["upn", "revoke_sessions", "reason", "tenant_id"] as const;
const idOf = (field: string) => `disable-${field.replaceAll("_", "-")}`;

type Values = { upn: string; revoke_sessions: boolean; reason: string; tenant_id: string };

function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { revoke_sessions: v.revoke_sessions };
  if (v.upn.trim()) body.upn = v.upn;
  if (v.reason.trim()) body.reason = v.reason;
  if (v.tenant_id) body.tenant_id = v.tenant_id;
  return body;
}

export function DisableUserCard({ tenants, examples }: { tenants: readonly Tenant[]; examples: Examples | null }) {
  const form = useActionForm<Values>({
    schema: (s) => s.DisableUserRequest,
    path: "/api/v1/mdr/disable-user",
    initial: { upn: "", revoke_sessions: true, reason: "", tenant_id: tenants.length > 1 ? tenants[0]!.id : "" },
    fields: FIELDS,
    toBody,
    idOf,
    clearOnSuccess: ["upn"],
  });
  const { values, errors } = form;

  return (
    <ActionCard
      testId="disable-user-card"
      icon={<UserXIcon />}
      title="Disable user"
      description="Block sign-in and revoke sessions through Microsoft Graph."
      submitLabel="Disable user"
      sendingLabel="Disabling…"
      sending={form.sending}
      formError={form.formError}
      validate={form.validateAll}
      send={() => form.send()}
      confirm={{
        title: "Disable this user?",
        target: values.upn.trim(),
        consequence: values.revoke_sessions
          ? "The account can no longer sign in, and every sign-in session is revoked: the user is signed out of Microsoft 365 everywhere."
          : "The account can no longer sign in. Its existing sessions stay valid until they expire.",
        confirmLabel: "Disable user",
      }}
    >
      <Field
        id={idOf("upn")}
        label="User principal name"
        error={errors.upn}
        hint={examples ? "Try jdoe@contoso.com" : "The user's sign-in name"}
      >
        {(control) => (
          <Input
            {...control}
            type="email"
            {...form.input("upn")}
            placeholder="user@contoso.com"
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            list={examples ? "sim-users" : undefined}
          />
        )}
      </Field>
      <div className="flex items-start gap-2">
        <Checkbox
          id={idOf("revoke_sessions")}
          checked={values.revoke_sessions}
          onChange={(e) => form.setValue("revoke_sessions", e.target.checked)}
          aria-describedby={`${idOf("revoke_sessions")}-hint`}
          className="mt-0.5"
        />
        <div className="flex flex-col gap-1">
          <Label htmlFor={idOf("revoke_sessions")}>Revoke sign-in sessions</Label>
          <p id={`${idOf("revoke_sessions")}-hint`} className="text-xs text-muted-foreground">
            Signs the user out everywhere, now. Recommended for a compromised account.
          </p>
        </div>
      </div>
      <ReasonField
        id={idOf("reason")}
        input={form.input("reason")}
        error={errors.reason}
      />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={errors.tenant_id} />
      <Suggestions id="sim-users" values={examples?.users} />
    </ActionCard>
  );
}
