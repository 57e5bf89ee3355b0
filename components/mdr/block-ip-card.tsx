"use client";

import { CircleAlertIcon, ShieldBanIcon } from "lucide-react";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { ToggleGroup } from "@/components/ui/toggle-group";
import { FIREWALL_TYPES, type FirewallType } from "@/lib/mdr/providers/facts";
import { Field } from "./field";
import { ChoiceField, ReasonField, type Tenant, TenantField } from "./form-controls";
import { FIREWALL_LABELS } from "./labels";
import { ListActionCard } from "./list-action-card";
import type { Noun } from "./target-list";
import { TargetListField } from "./target-list-field";
import { sentence, useActionForm } from "./use-action-form";

const FIELDS = ["ip", "firewall_type", "priority", "duration_hours", "reason", "tenant_id"] as const;
const idOf = (field: string) => `block-${field.replaceAll("_", "-")}`;

const PRESETS = [
  { value: "1", label: "1 h", name: "1 hour" },
  { value: "24", label: "24 h", name: "24 hours" },
  { value: "168", label: "7 d", name: "7 days" },
] as const;

type Values = {
  ip: string;
  firewall_type: FirewallType;
  priority: string;
  duration_hours: string;
  reason: string;
  tenant_id: string;
};

/** A number as typed; text that is not one is sent as it is, so the schema names the field. */
const numberOf = (text: string): number | string => (Number.isFinite(Number(text)) ? Number(text) : text);

const ADDRESSES: Noun = { one: "address", many: "addresses" };

/** One address: the single request (`ip`); a list: the bulk one (`ips`), where the NSG picks the priorities. */
function toBody(v: Values, list: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { firewall_type: v.firewall_type };
  if (!list && v.firewall_type === "azure_nsg" && v.priority.trim()) body.priority = numberOf(v.priority.trim());
  if (v.duration_hours.trim()) body.duration_hours = numberOf(v.duration_hours.trim());
  if (v.reason.trim()) body.reason = v.reason;
  if (v.tenant_id) body.tenant_id = v.tenant_id;
  return body;
}

const firewallChoices = Object.fromEntries(FIREWALL_TYPES.map((t) => [t, FIREWALL_LABELS[t]])) as Record<
  FirewallType,
  { label: string; description: string }
>;

export function BlockIpCard({ tenants }: { tenants: readonly Tenant[] }) {
  const form = useActionForm<Values>({
    schema: (s) => s.BlockIpRequest,
    path: "/api/v1/mdr/block-ip",
    initial: {
      ip: "",
      firewall_type: "defender",
      priority: "",
      duration_hours: "24",
      reason: "",
      tenant_id: tenants.length > 1 ? tenants[0]!.id : "",
    },
    fields: FIELDS,
    toBody,
    idOf,
    clearOnSuccess: ["ip", "priority"],
    list: {
      field: "ip",
      bulkField: "ips",
      schema: (s) => s.BulkBlockIpRequest,
      noun: ADDRESSES,
      verb: "Block",
      verbing: "Blocking",
      done: "blocked",
    },
  });
  const { values, errors } = form;
  const list = form.items.length > 1;
  const preset = PRESETS.find((p) => p.value === values.duration_hours.trim())?.value ?? "";

  return (
    <ListActionCard
      form={form}
      testId="block-ip-card"
      icon={<ShieldBanIcon />}
      title="Block IP"
      description="Deny an address or range at a firewall, for a set time."
      submitLabel="Block IP"
      sendingLabel="Blocking…"
      confirm={() => null}
    >
      <TargetListField
        form={form}
        id={idOf("ip")}
        label="IP address or CIDR range"
        hint="IPv4 or IPv6; ranges on Azure NSG or AWS only"
        placeholder="185.220.101.34"
      />
      <div className="grid gap-3 sm:grid-cols-2">
        <ChoiceField
          id={idOf("firewall_type")}
          label="Firewall"
          value={values.firewall_type}
          onChange={(v) => {
            form.setValue("firewall_type", v);
          }}
          choices={firewallChoices}
          error={errors.firewall_type}
        />
        {values.firewall_type === "azure_nsg" && list && (
          <p className="self-end pb-2 text-xs text-muted-foreground" data-testid="block-list-priority">
            A list goes into as few rules as the NSG allows, at its lowest free priorities.
          </p>
        )}
        {values.firewall_type === "azure_nsg" && !list && (
          <Field id={idOf("priority")} label="NSG priority" optional error={errors.priority} hint="100–4096; empty: lowest free">
            {(control) => (
              <Input
                {...control}
                type="number"
                inputMode="numeric"
                {...form.input("priority")}
                placeholder="auto"
                className="font-mono"
              />
            )}
          </Field>
        )}
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor={idOf("duration_hours")}>Duration (hours)</Label>
        <div className="flex flex-wrap items-center gap-2">
          <ToggleGroup
            label="Duration presets"
            options={PRESETS}
            value={preset}
            onValueChange={(v) => form.setValue("duration_hours", v)}
          />
          <Input
            id={idOf("duration_hours")}
            type="number"
            inputMode="decimal"
            step="any"
            {...form.input("duration_hours")}
            aria-invalid={errors.duration_hours ? true : undefined}
            aria-describedby={errors.duration_hours ? `${idOf("duration_hours")}-error` : `${idOf("duration_hours")}-hint`}
            className="h-8 w-24 font-mono"
          />
          <span id={`${idOf("duration_hours")}-hint`} className="text-xs text-muted-foreground">
            {preset ? "preset" : "custom"} · expires on its own
          </span>
        </div>
        {errors.duration_hours && (
          <p
            id={`${idOf("duration_hours")}-error`}
            data-testid={`${idOf("duration_hours")}-error`}
            className="flex items-start gap-1 text-xs text-danger"
          >
            <CircleAlertIcon className="mt-px size-3.5 shrink-0" aria-hidden />
            <span>{sentence(errors.duration_hours)}</span>
          </p>
        )}
      </div>
      <ReasonField
        id={idOf("reason")}
        input={form.input("reason")}
        error={errors.reason}
      />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={errors.tenant_id} />
    </ListActionCard>
  );
}
