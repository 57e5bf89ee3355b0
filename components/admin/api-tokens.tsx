"use client";

// API tokens for scripts and playbooks: the list (never a secret), Revoke (asked first), and a
// form that creates one and shows it exactly once.
import { CheckIcon, CopyIcon, KeyRoundIcon, TriangleAlertIcon } from "lucide-react";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Field } from "@/components/mdr/field";
import { useNow } from "@/components/mdr/time";
import { ROLES, type Role } from "@/lib/auth/enums";
import { type ApiToken, type NewApiToken, TOKENS_KEY, sendJson } from "./api";
import { useRefresh, useTokens } from "./hooks";
import { AdminSection, EmptyRow, FormError, SubmitButton, When, keepFocusIn, notifyDone, notifyFailure, useRowConfirm } from "./parts";
import { TenantsPicker, TenantsText, checkTenants, defaultTenantsValue, tenantsBody, useAdminTenants } from "./tenants";
import { useAdminForm } from "./use-admin-form";

const FIELDS = ["name", "role", "expires_in_days", "tenants"] as const;
const idOf = (field: string) => `token-${field.replaceAll("_", "-")}`;
/** `tenants`: see tenants.tsx ("" when the deployment has one tenant: not sent, the API gives the admin's own). */
type Values = { name: string; role: Role; expires_in_days: string; tenants: string };

const DAY_MS = 86_400_000;
const MAX_DAYS = 3650;

function toBody(v: Values): Record<string, unknown> {
  const body: Record<string, unknown> = { name: v.name, role: v.role };
  if (v.tenants) body.tenants = tenantsBody(v.tenants);
  const days = Number(v.expires_in_days.trim());
  if (v.expires_in_days.trim() && Number.isInteger(days) && days > 0) {
    body.expires_at = new Date(Date.now() + days * DAY_MS).toISOString();
  }
  return body;
}

function checkDays(v: Values): Partial<Record<keyof Values, string>> {
  const text = v.expires_in_days.trim();
  if (!text) return {};
  const days = Number(text);
  return Number.isInteger(days) && days >= 1 && days <= MAX_DAYS ? {} : { expires_in_days: `must be a whole number of days from 1 to ${MAX_DAYS}` };
}

export function ApiTokens() {
  const { data } = useTokens();
  const refresh = useRefresh();
  const now = useNow();
  const { ask, dialog } = useRowConfirm("api-tokens-title");
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const tokens = [...(data?.tokens ?? [])].reverse(); // newest first

  const revoke = async (t: ApiToken) => {
    try {
      await sendJson("DELETE", `${TOKENS_KEY}/${t.id}`);
      notifyDone(`Token ${t.name} revoked`, "It stops working at once.");
      // The one just made and now revoked: nothing left to copy.
      setCreated((c) => (c?.id === t.id ? null : c));
    } catch (err) {
      notifyFailure(`Could not revoke ${t.name}`, err);
    }
    await refresh(TOKENS_KEY);
  };

  return (
    <AdminSection
      id="api-tokens"
      testId="api-tokens"
      title="API tokens"
      description="For scripts and SOAR playbooks: Authorization: Bearer mdr_…. A token is shown once, when it is created, and stored only as a hash."
    >
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          void refresh(TOKENS_KEY);
        }}
      />
      {created && <NewToken token={created} onDone={() => setCreated(null)} />}
      <Table data-testid="tokens-table" aria-labelledby="api-tokens-title">
        <TableHeader className="bg-muted/50">
          <TableRow className="hover:bg-transparent">
            <TableHead className="pl-4">Name</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>Tenants</TableHead>
            <TableHead>Prefix</TableHead>
            <TableHead>Created by</TableHead>
            <TableHead>Created</TableHead>
            <TableHead>Expires</TableHead>
            <TableHead>Last used</TableHead>
            <TableHead>State</TableHead>
            <TableHead className="pr-4 text-right">
              <span className="sr-only">Revoke</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {tokens.length === 0 ? (
            <EmptyRow columns={10}>No API tokens yet.</EmptyRow>
          ) : (
            tokens.map((t) => {
              const expired = t.expires_at !== null && Date.parse(t.expires_at) <= now;
              return (
                <TableRow key={t.id} data-testid="token-row" data-id={t.id} data-name={t.name} data-revoked={t.revoked_at !== null}>
                  <TableCell className="pl-4 font-medium">{t.name}</TableCell>
                  <TableCell className="text-xs">{t.role}</TableCell>
                  <TableCell>
                    <TenantsText tenants={t.tenants} />
                  </TableCell>
                  <TableCell className="font-mono text-xs whitespace-nowrap">{t.prefix}…</TableCell>
                  <TableCell className="text-xs whitespace-nowrap">{t.created_by}</TableCell>
                  <TableCell>
                    <When iso={t.created_at} />
                  </TableCell>
                  <TableCell>
                    <When iso={t.expires_at} none="never" />
                  </TableCell>
                  <TableCell>
                    <When iso={t.last_used_at} none="never" />
                  </TableCell>
                  <TableCell>
                    {t.revoked_at ? (
                      <span className="flex flex-col gap-0.5">
                        <Badge variant="danger">Revoked</Badge>
                        <span className="text-[0.6875rem] text-muted-foreground">
                          <When iso={t.revoked_at} />
                          {t.revoked_by ? ` by ${t.revoked_by}` : ""}
                        </span>
                      </span>
                    ) : expired ? (
                      <Badge variant="warning">Expired</Badge>
                    ) : (
                      <Badge variant="success">Active</Badge>
                    )}
                  </TableCell>
                  <TableCell className="pr-4 text-right">
                    {t.revoked_at === null && (
                      <Button
                        size="xs"
                        variant="outline"
                        aria-label={`Revoke token ${t.name}`}
                        onClick={(e) =>
                          ask(
                            e.currentTarget,
                            {
                              title: "Revoke this token?",
                              target: `${t.name} (${t.prefix}…)`,
                              consequence: "Every script using it gets 401 from now on. This cannot be undone: make a new token instead.",
                              confirmLabel: "Revoke token",
                            },
                            () => void revoke(t),
                          )
                        }
                      >
                        Revoke
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              );
            })
          )}
        </TableBody>
      </Table>
      {dialog}
    </AdminSection>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: NewApiToken) => void }) {
  const scope = useAdminTenants();
  const form = useAdminForm<Values>({
    schema: (s) => s.CreateTokenRequest,
    initial: { name: "", role: "responder", expires_in_days: "", tenants: scope.choice ? defaultTenantsValue(scope) : "" },
    fields: FIELDS,
    toBody,
    // "" is also the value of a single-tenant deployment (nothing to choose): checked only where there is a choice.
    extraCheck: (v) => ({ ...checkDays(v), ...(scope.choice ? checkTenants(v.tenants) : {}) }),
    fieldOf: (path) => (path === "expires_at" ? "expires_in_days" : path),
    idOf,
  });
  const { values, errors } = form;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const token = await form.submit((body) => sendJson<NewApiToken>("POST", TOKENS_KEY, body));
    keepFocusIn(formEl);
    if (token) onCreated(token);
  };

  return (
    <form aria-label="Create an API token" noValidate onSubmit={onSubmit} className="flex flex-col gap-3 border-b p-4">
      <div className="grid items-start gap-3 md:grid-cols-[minmax(0,1fr)_10rem_10rem_auto]">
        <Field id={idOf("name")} label="Name" error={errors.name} hint="Who uses it, e.g. sentinel-playbook">
          {(control) => <Input {...control} {...form.input("name")} placeholder="soar-playbook" autoComplete="off" spellCheck={false} />}
        </Field>
        <Field id={idOf("role")} label="Role" error={errors.role}>
          {(control) => (
            <NativeSelect {...control} value={values.role} onChange={(e) => form.setValue("role", e.target.value)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </NativeSelect>
          )}
        </Field>
        <Field id={idOf("expires_in_days")} label="Expires in days" optional error={errors.expires_in_days} hint="Empty: never">
          {(control) => <Input {...control} {...form.input("expires_in_days")} inputMode="numeric" placeholder="90" autoComplete="off" />}
        </Field>
        <div className="md:pt-5">
          <SubmitButton sending={form.sending} label="Create token" sendingLabel="Creating…" />
        </div>
      </div>
      {scope.choice && (
        <TenantsPicker id={idOf("tenants")} value={values.tenants} onChange={(v) => form.setValue("tenants", v)} error={errors.tenants} />
      )}
      <FormError testId="token-error" message={form.formError} />
    </form>
  );
}

/** The secret, once: kept only in this component's state, gone on Done or a reload. */
function NewToken({ token, onDone }: { token: NewApiToken; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  const fieldRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    fieldRef.current?.focus();
    fieldRef.current?.select();
  }, [token.id]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token);
    } catch {
      // No clipboard permission: leave it selected for Ctrl+C.
      fieldRef.current?.select();
      return;
    }
    setCopied(true);
  };

  return (
    <div
      role="region"
      aria-labelledby="new-token-title"
      data-testid="new-token-panel"
      className="flex flex-col gap-2 border-b border-warning/40 bg-warning-soft/60 p-4"
    >
      <p id="new-token-title" className="flex items-center gap-2 text-sm font-semibold">
        <KeyRoundIcon className="size-4 text-warning" aria-hidden />
        Token {token.name} ({token.role}) created
      </p>
      <p className="flex items-start gap-1.5 text-xs">
        <TriangleAlertIcon className="mt-px size-3.5 shrink-0 text-warning" aria-hidden />
        Copy it now: it will not be shown again. Only its hash is stored.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <Input
          ref={fieldRef}
          readOnly
          value={token.token}
          aria-label={`API token ${token.name}`}
          data-testid="new-token"
          spellCheck={false}
          className="max-w-xl flex-1 font-mono text-xs"
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button size="sm" variant="outline" onClick={copy}>
          {copied ? <CheckIcon aria-hidden /> : <CopyIcon aria-hidden />}
          {copied ? "Copied" : "Copy"}
        </Button>
        <Button size="sm" variant="ghost" onClick={onDone}>
          Done
        </Button>
      </div>
    </div>
  );
}
