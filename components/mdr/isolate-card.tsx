"use client";

import { MonitorOffIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { ISOLATION_TYPES, type IsolationType } from "@/lib/mdr/providers/types";
import { Field } from "./field";
import { ChoiceField, type Examples, ReasonField, type Tenant, TenantField } from "./form-controls";
import { ISOLATION_LABELS } from "./labels";
import { ListActionCard, listAction } from "./list-action-card";
import type { Noun } from "./target-list";
import { TargetListField } from "./target-list-field";
import { RelativeTime } from "./time";
import { type Candidate, useActionForm } from "./use-action-form";

const FIELDS = ["hostname", "machine_id", "isolation_type", "reason", "tenant_id"] as const;
const idOf = (field: string) => `isolate-${field.replaceAll("_", "-")}`;

type Values = { hostname: string; machine_id: string; isolation_type: IsolationType; reason: string; tenant_id: string };

const HOSTS: Noun = { one: "host", many: "hosts" };

/** One host: the single request (`hostname`, or `machine_id`); a list: the bulk one (`hostnames`). */
function toBody(v: Values, list: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { isolation_type: v.isolation_type };
  if (!list && v.machine_id.trim()) body.machine_id = v.machine_id;
  if (v.reason.trim()) body.reason = v.reason;
  if (v.tenant_id) body.tenant_id = v.tenant_id;
  return body;
}

const isolationChoices = Object.fromEntries(ISOLATION_TYPES.map((t) => [t, ISOLATION_LABELS[t]])) as Record<
  IsolationType,
  { label: string; description: string }
>;

export function IsolateCard({ tenants, examples }: { tenants: readonly Tenant[]; examples: Examples | null }) {
  const form = useActionForm<Values>({
    schema: (s) => s.IsolateRequest,
    path: "/api/v1/mdr/isolate",
    initial: { hostname: "", machine_id: "", isolation_type: "Full", reason: "", tenant_id: tenants.length > 1 ? tenants[0]!.id : "" },
    fields: FIELDS,
    toBody,
    idOf,
    clearOnSuccess: ["hostname", "machine_id"],
    list: {
      field: "hostname",
      bulkField: "hostnames",
      schema: (s) => s.BulkIsolateRequest,
      noun: HOSTS,
      verb: "Isolate",
      verbing: "Isolating",
      done: "isolated",
    },
  });
  const { values, errors } = form;
  const list = form.items.length > 1;
  const target = form.items[0] ?? values.machine_id.trim();

  return (
    <ListActionCard
      form={form}
      testId="isolate-card"
      icon={<MonitorOffIcon />}
      title="Isolate endpoint"
      description="Cut a device off the network through Defender for Endpoint."
      submitLabel="Isolate endpoint"
      sendingLabel="Isolating…"
      confirm={(listed) =>
        values.isolation_type !== "Full"
          ? null
          : listed
            ? {
                title: `Fully isolate ${listed.count}?`,
                target: listed.items,
                consequence: `Full isolation cuts every network connection of each of these ${listed.count} except to Defender for Endpoint. Whoever uses them loses network access until they are released.`,
                confirmLabel: listAction(form, listed),
              }
            : {
                title: "Fully isolate this device?",
                target,
                consequence:
                  "Full isolation cuts every network connection except to Defender for Endpoint. Whoever uses the device loses network access until it is released.",
                confirmLabel: "Isolate device",
              }
      }
      notice={
        form.candidates && (
          <Candidates
            hostname={values.hostname.trim()}
            candidates={form.candidates}
            sending={form.sending}
            onPick={(c) => void form.send({ hostname: c.name, machine_id: c.id })}
            onDismiss={form.dismissCandidates}
          />
        )
      }
    >
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_11rem]">
        <TargetListField
          form={form}
          id={idOf("hostname")}
          label="Hostname"
          hint={examples ? "Try ws-0142, or ws-finance-07 (two devices)" : "Short name or FQDN"}
          placeholder="ws-0142"
        />
        <ChoiceField
          id={idOf("isolation_type")}
          label="Isolation type"
          value={values.isolation_type}
          onChange={(v) => form.setValue("isolation_type", v)}
          choices={isolationChoices}
          error={errors.isolation_type}
        />
      </div>
      {!list && (
        <Field id={idOf("machine_id")} label="Defender machine ID" optional error={errors.machine_id} hint="Pins the exact device when several share a name">
          {(control) => (
            <Input
              {...control}
              {...form.input("machine_id")}
              placeholder="40 hexadecimal characters"
              autoComplete="off"
              spellCheck={false}
              className="font-mono text-xs"
            />
          )}
        </Field>
      )}
      <ReasonField
        id={idOf("reason")}
        input={form.input("reason")}
        error={errors.reason}
      />
      <TenantField id={idOf("tenant_id")} tenants={tenants} value={values.tenant_id} onChange={(v) => form.setValue("tenant_id", v)} error={errors.tenant_id} />
    </ListActionCard>
  );
}

function Candidates({
  hostname,
  candidates,
  sending,
  onPick,
  onDismiss,
}: {
  hostname: string;
  candidates: Candidate[];
  sending: boolean;
  onPick: (c: Candidate) => void;
  onDismiss: () => void;
}) {
  return (
    <section
      aria-labelledby="isolate-candidates-title"
      data-testid="isolate-candidates"
      className="rounded-md border border-warning/40 bg-warning-soft/60 p-3"
    >
      <h4 id="isolate-candidates-title" className="text-xs font-semibold text-foreground">
        <span className="font-mono">{hostname}</span> matches {candidates.length} devices. Nothing was isolated — choose one:
      </h4>
      <ul className="mt-2 flex flex-col gap-1.5">
        {candidates.map((c) => (
          <li
            key={c.id}
            data-testid="candidate"
            className="flex items-center gap-3 rounded-md border bg-card px-2.5 py-2"
          >
            <div className="flex min-w-0 flex-1 flex-col gap-0.5">
              <span className="truncate font-mono text-xs font-medium">{c.name}</span>
              <span className="truncate font-mono text-[0.6875rem] text-muted-foreground">{c.id}</span>
              <span className="text-[0.6875rem] text-muted-foreground">
                Last seen <RelativeTime iso={c.last_seen} />
              </span>
            </div>
            <Button
              size="sm"
              variant="outline"
              disabled={sending}
              onClick={() => onPick(c)}
              aria-label={`Isolate ${c.name}`}
            >
              Isolate
            </Button>
          </li>
        ))}
      </ul>
      <div className="mt-2 flex justify-end">
        <Button size="xs" variant="ghost" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
    </section>
  );
}
