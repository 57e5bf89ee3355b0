"use client";

// Guardrails: what no action may touch. A table of the rules, a Remove button on each (asked
// first, repeating the pattern), and a form to add one, checked with the route's own schema.
import { Trash2Icon } from "lucide-react";
import type { FormEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Field } from "@/components/mdr/field";
import { PROTECTED_ASSET_KINDS, type ProtectedAssetKind } from "@/lib/mdr/enums";
import { type ApiProtectedAsset, PROTECTED_ASSETS_KEY, sendJson } from "./api";
import { useProtectedAssets, useRefresh } from "./hooks";
import { AdminSection, EmptyRow, FormError, SubmitButton, When, keepFocusIn, notifyDone, notifyFailure, useRowConfirm } from "./parts";
import { useAdminForm } from "./use-admin-form";

export const KIND_LABELS: Record<ProtectedAssetKind, string> = {
  hostname: "Hostname",
  upn: "User (UPN)",
  ip_range: "IP range",
};

const PLACEHOLDERS: Record<ProtectedAssetKind, string> = {
  hostname: "DC-* or *.corp.contoso.com",
  upn: "breakglass*@contoso.com",
  ip_range: "198.51.100.0/24",
};

const FIELDS = ["kind", "pattern", "note"] as const;
const idOf = (field: string) => `protect-${field}`;
type Values = { kind: ProtectedAssetKind; pattern: string; note: string };

export function ProtectedAssets() {
  const { data } = useProtectedAssets();
  const refresh = useRefresh();
  const { ask, dialog } = useRowConfirm("protected-assets-title");
  const assets = data?.protected_assets ?? [];

  const remove = async (asset: ApiProtectedAsset) => {
    try {
      await sendJson("DELETE", `${PROTECTED_ASSETS_KEY}/${asset.id}`);
      notifyDone(`No longer protected: ${asset.pattern}`, `${KIND_LABELS[asset.kind]} rule ${asset.id} removed.`);
    } catch (err) {
      notifyFailure(`Could not remove ${asset.pattern}`, err);
    }
    await refresh(PROTECTED_ASSETS_KEY);
  };

  return (
    <AdminSection
      id="protected-assets"
      testId="protected-assets"
      title="Protected assets"
      description="No isolation, block or disable may touch these: a matching action is refused (403) and recorded as rejected. Undo is never blocked."
    >
      <AddProtectedAsset onAdded={() => refresh(PROTECTED_ASSETS_KEY)} />
      <Table data-testid="protected-assets-table" aria-labelledby="protected-assets-title">
        <TableHeader className="bg-muted/50">
          <TableRow className="hover:bg-transparent">
            <TableHead className="pl-4">Kind</TableHead>
            <TableHead>Pattern</TableHead>
            <TableHead>Note</TableHead>
            <TableHead>Source</TableHead>
            <TableHead>Created by</TableHead>
            <TableHead>Created</TableHead>
            <TableHead className="pr-4 text-right">
              <span className="sr-only">Remove</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {assets.length === 0 ? (
            <EmptyRow columns={7}>Nothing is protected yet: every target can be acted on.</EmptyRow>
          ) : (
            assets.map((a) => (
              <TableRow key={a.id} data-testid="protected-asset-row" data-id={a.id} data-kind={a.kind} data-pattern={a.pattern}>
                <TableCell className="pl-4">
                  <Badge variant="neutral">{KIND_LABELS[a.kind]}</Badge>
                </TableCell>
                <TableCell className="font-mono text-xs">{a.pattern}</TableCell>
                <TableCell className="max-w-72">
                  <span className="block truncate text-xs text-muted-foreground" title={a.note ?? undefined}>
                    {a.note ?? "—"}
                  </span>
                </TableCell>
                <TableCell className="text-xs">{a.source === "file" ? "File" : "API"}</TableCell>
                <TableCell className="text-xs whitespace-nowrap">{a.created_by}</TableCell>
                <TableCell>
                  <When iso={a.created_at} />
                </TableCell>
                <TableCell className="pr-4 text-right">
                  <Button
                    size="xs"
                    variant="outline"
                    aria-label={`Remove protection of ${a.pattern}`}
                    onClick={(e) =>
                      ask(
                        e.currentTarget,
                        {
                          title: "Remove this protection?",
                          target: `${KIND_LABELS[a.kind]}: ${a.pattern}`,
                          consequence: "Actions against matching targets will no longer be refused.",
                          confirmLabel: "Remove protection",
                        },
                        () => void remove(a),
                      )
                    }
                  >
                    <Trash2Icon aria-hidden /> Remove
                  </Button>
                </TableCell>
              </TableRow>
            ))
          )}
        </TableBody>
      </Table>
      {dialog}
    </AdminSection>
  );
}

function AddProtectedAsset({ onAdded }: { onAdded: () => void }) {
  const form = useAdminForm<Values>({
    schema: (s) => s.ProtectedAssetInput,
    initial: { kind: "hostname", pattern: "", note: "" },
    fields: FIELDS,
    toBody: (v) => ({ kind: v.kind, pattern: v.pattern, ...(v.note.trim() ? { note: v.note } : {}) }),
    idOf,
  });
  const { values, errors } = form;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const added = await form.submit((body) => sendJson<ApiProtectedAsset>("POST", PROTECTED_ASSETS_KEY, body));
    keepFocusIn(formEl);
    if (!added) return;
    notifyDone(`Protected: ${added.pattern}`, `${KIND_LABELS[added.kind]} rule ${added.id}`);
    onAdded();
  };

  return (
    <form aria-label="Protect an asset" noValidate onSubmit={onSubmit} className="flex flex-col gap-3 border-b p-4">
      <div className="grid items-start gap-3 md:grid-cols-[10rem_minmax(0,1fr)_minmax(0,1fr)_auto]">
        <Field id={idOf("kind")} label="Kind" error={errors.kind}>
          {(control) => (
            <NativeSelect {...control} value={values.kind} onChange={(e) => form.setValue("kind", e.target.value)}>
              {PROTECTED_ASSET_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field id={idOf("pattern")} label="Pattern" error={errors.pattern} hint="* and ? match any characters; case-insensitive">
          {(control) => (
            <Input
              {...control}
              {...form.input("pattern")}
              placeholder={PLACEHOLDERS[values.kind]}
              autoComplete="off"
              spellCheck={false}
              className="font-mono"
            />
          )}
        </Field>
        <Field id={idOf("note")} label="Note" optional error={errors.note}>
          {(control) => <Input {...control} {...form.input("note")} placeholder="Domain controllers" autoComplete="off" />}
        </Field>
        <div className="md:pt-5">
          <SubmitButton sending={form.sending} label="Protect" sendingLabel="Protecting…" />
        </div>
      </div>
      <FormError testId="protect-error" message={form.formError} />
    </form>
  );
}
