"use client";

// Controls the four forms share: a labelled select of closed choices, the reason, the tenant.
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import type { TargetExamples } from "@/lib/mdr/providers/types";
import { Field } from "./field";

export interface Tenant {
  id: string;
  name: string;
}

/** Values the simulated tenant knows, offered as suggestions (simulation mode only). */
export type Examples = TargetExamples;

export function ChoiceField<T extends string>({
  id,
  label,
  value,
  onChange,
  choices,
  error,
  disabled,
}: {
  id: string;
  label: string;
  value: T;
  onChange: (value: T) => void;
  choices: Record<T, { label: string; description?: string }>;
  error?: string;
  disabled?: boolean;
}) {
  // The chosen option's description stays in view under the select, as the field's hint.
  return (
    <Field id={id} label={label} error={error} hint={choices[value]?.description}>
      {(control) => (
        <NativeSelect {...control} value={value} onChange={(e) => onChange(e.target.value as T)} disabled={disabled}>
          {(Object.keys(choices) as T[]).map((key) => (
            <option key={key} value={key} title={choices[key].description}>
              {choices[key].label}
            </option>
          ))}
        </NativeSelect>
      )}
    </Field>
  );
}

export function ReasonField({
  id,
  input,
  error,
}: {
  id: string;
  /** The form's binding of its `reason` field (`form.input("reason")`). */
  input: { value: string; onChange: (e: { target: { value: string } }) => void; onBlur: () => void };
  error?: string;
}) {
  return (
    <Field id={id} label="Reason" optional error={error}>
      {(control) => (
        <Input
          {...control}
          {...input}
          placeholder="e.g. INC-4711: beacon to known C2"
          autoComplete="off"
          maxLength={1200}
        />
      )}
    </Field>
  );
}

/** Shown only when more than one tenant is configured; otherwise the API's default applies. */
export function TenantField({
  id,
  tenants,
  value,
  onChange,
  error,
}: {
  id: string;
  tenants: readonly Tenant[];
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  if (tenants.length < 2) return null;
  const choices = Object.fromEntries(tenants.map((t) => [t.id, { label: t.name, description: t.id }])) as Record<
    string,
    { label: string; description?: string }
  >;
  return <ChoiceField id={id} label="Tenant" value={value} onChange={onChange} choices={choices} error={error} />;
}

export function Suggestions({ id, values }: { id: string; values: readonly string[] | undefined }) {
  if (!values?.length) return null;
  return (
    <datalist id={id}>
      {values.map((v) => (
        <option key={v} value={v} />
      ))}
    </datalist>
  );
}
