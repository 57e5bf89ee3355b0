"use client";

import { MonitorOffIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { ISOLATION_TYPES, type IsolationType } from "@/lib/mdr/providers/types";
import { ActionCard } from "./action-card";
import { BulkProgress } from "./bulk-progress";
import { Field } from "./field";
import { ChoiceField, type Examples, ReasonField, type Tenant, TenantField } from "./form-controls";
import { ISOLATION_LABELS } from "./labels";
import { type Noun, countOf, splitTargets } from "./target-list";
import { TargetListField } from "./target-list-field";
import { RelativeTime } from "./time";
import { type Candidate, useActionForm } from "./use-action-form";

const FIELDS = ["hostname", "machine_id", "isolation_type", "reason", "tenant_id"] as const;
const idOf = (field: string) => `isolate-${field.replaceAll("_", "-")}`;

type Values = { hostname: string; machine_id: string; isolation_type: IsolationType; reason: string; tenant_id: string };

const HOSTS: Noun = { one: "host", many: "hosts" };

/** One host: the single request (`hostname`, or `machine_id`); a list: the bulk one (`hostnames`). */
function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { isolation_type: v.isolation_type };
  const hosts = splitTargets(v.hostname);
  const list = hosts.length > 1;
  if (list) body.hostnames = hosts;
  else if (hosts.length === 1) body.hostname = hosts[0];
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
    schema: (s, v) => (splitTargets(v.hostname).length > 1 ? s.BulkIsolateRequest : s.IsolateRequest),
    path: "/api/v1/mdr/isolate",
    initial: { hostname: "", machine_id: "", isolation_type: "Full", reason: "", tenant_id: tenants.length > 1 ? tenants[0]!.id : "" },
    fields: FIELDS,
    toBody,
    idOf,
    clearOnSuccess: ["hostname", "machine_id"],
    list: { field: "hostname", bulkField: "hostnames", noun: HOSTS, done: "isolated" },
  });
  const { values, errors } = form;
  const count = form.items.length;
  const list = count > 1;
  const target = form.items[0] ?? values.machine_id.trim();

  return (
    <ActionCard
      testId="isolate-card"
      icon={<MonitorOffIcon />}
      title="Isolate endpoint"
      description="Cut a device off the network through Defender for Endpoint."
      submitLabel={list ? `Isolate ${countOf(count, HOSTS)}` : "Isolate endpoint"}
      sendingLabel={list ? `Isolating ${countOf(count, HOSTS)}…` : "Isolating…"}
      sending={form.sending}
      formError={form.formError}
      validate={form.validateAll}
      send={() => form.send()}
      confirm={
        values.isolation_type !== "Full"
          ? null
          : list
            ? {
                title: `Fully isolate ${countOf(count, HOSTS)}?`,
                target: form.items,
                consequence: `Full isolation cuts every network connection of each of these ${countOf(count, HOSTS)} except to Defender for Endpoint. Whoever uses them loses network access until they are released.`,
                confirmLabel: `Isolate ${countOf(count, HOSTS)}`,
              }
            : {
                title: "Fully isolate this device?",
                target,
                consequence:
                  "Full isolation cuts every network connection except to Defender for Endpoint. Whoever uses the device loses network access until it is released.",
                confirmLabel: "Isolate device",
              }
      }
      after={form.bulk && <BulkProgress sent={form.bulk} title="Isolate endpoint" onDismiss={form.dismissBulk} />}
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
          id={idOf("hostname")}
          label="Hostname"
          hint={`${examples ? "Try ws-0142, or ws-finance-07 (two devices)" : "Short name or FQDN"}. Or paste a list: one per line, or separated by commas or spaces (up to 500)`}
          placeholder="ws-0142"
          noun={HOSTS}
          count={count}
          input={form.input("hostname")}
          error={errors.hostname}
          itemErrors={form.itemErrors}
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
    </ActionCard>
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
