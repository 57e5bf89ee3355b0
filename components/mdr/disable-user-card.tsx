"use client";

import { UserXIcon } from "lucide-react";
import { Checkbox } from "@/components/ui/checkbox";
import { Label } from "@/components/ui/label";
import { type Examples, ReasonField, type Tenant, TenantField } from "./form-controls";
import { ListActionCard, listAction } from "./list-action-card";
import type { Noun } from "./target-list";
import { TargetListField } from "./target-list-field";
import { useActionForm } from "./use-action-form";

const FIELDS = ["upn", "revoke_sessions", "reason", "tenant_id"] as const;
const idOf = (field: string) => `disable-${field.replaceAll("_", "-")}`;

type Values = { upn: string; revoke_sessions: boolean; reason: string; tenant_id: string };

const USERS: Noun = { one: "user", many: "users" };

/** One account: the single request (`upn`); a list: the bulk one (`upns`), with the same settings for each. */
function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { revoke_sessions: v.revoke_sessions };
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
    list: {
      field: "upn",
      bulkField: "upns",
      schema: (s) => s.BulkDisableUserRequest,
      noun: USERS,
      verb: "Disable",
      verbing: "Disabling",
      done: "disabled",
    },
  });
  const { values } = form;
  const revoke = values.revoke_sessions;

  return (
    <ListActionCard
      form={form}
      testId="disable-user-card"
      icon={<UserXIcon />}
      title="Disable user"
      description="Block sign-in and revoke sessions through Microsoft Graph."
      submitLabel="Disable user"
      sendingLabel="Disabling…"
      confirm={(listed) =>
        listed
          ? {
              title: `Disable ${listed.count}?`,
              target: listed.items,
              consequence: revoke
                ? `None of these ${listed.count} can sign in any more, and every sign-in session of each is revoked: they are signed out of Microsoft 365 everywhere.`
                : `None of these ${listed.count} can sign in any more. Their existing sessions stay valid until they expire.`,
              confirmLabel: listAction(form, listed),
            }
          : {
              title: "Disable this user?",
              target: form.items[0] ?? "",
              consequence: revoke
                ? "The account can no longer sign in, and every sign-in session is revoked: the user is signed out of Microsoft 365 everywhere."
                : "The account can no longer sign in. Its existing sessions stay valid until they expire.",
              confirmLabel: "Disable user",
            }
      }
    >
      <TargetListField
        form={form}
        id={idOf("upn")}
        label="User principal name"
        hint={examples ? "Try jdoe@contoso.com" : "The user's sign-in name"}
        placeholder="user@contoso.com"
      />
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
      <ReasonField id={idOf("reason")} input={form.input("reason")} error={form.errors.reason} />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={form.errors.tenant_id} />
    </ListActionCard>
  );
}
