"use client";

// People who sign in: their role (changed in place), Disable (asked first: it signs them out
// everywhere) and Enable, and a form to add a local account.
import { type FormEvent, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { NativeSelect } from "@/components/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Field } from "@/components/mdr/field";
import { ROLES, type Role } from "@/lib/auth/enums";
import { type ApiUser, USERS_KEY, sendJson } from "./api";
import { useRefresh, useUsers } from "./hooks";
import { AdminSection, EmptyRow, FormError, SubmitButton, When, keepFocusIn, notifyDone, notifyFailure, useRowConfirm } from "./parts";
import { TenantsPicker, TenantsText, checkTenants, defaultTenantsValue, tenantsBody, tenantsLabel, tenantsValue, useAdminTenants } from "./tenants";
import { useAdminForm } from "./use-admin-form";

const FIELDS = ["username", "role", "password", "tenants"] as const;
const idOf = (field: string) => `user-${field}`;
/** `tenants`: see tenants.tsx ("" when the deployment has one tenant: not sent, the API gives the admin's own). */
type Values = { username: string; role: Role; password: string; tenants: string };

export function Users({ me }: { me: string }) {
  const { data } = useUsers();
  const refresh = useRefresh();
  const { ask, dialog } = useRowConfirm("users-title");
  /** Usernames with a change on its way: their controls wait for it. */
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const users = data?.users ?? [];

  const scope = useAdminTenants();
  /** The user whose tenants are being chosen, and the choice so far. */
  const [editing, setEditing] = useState<{ username: string; value: string } | null>(null);

  const update = async (u: ApiUser, change: { role?: Role; disabled?: boolean; tenants?: string[] | null }, done: string) => {
    setBusy((b) => new Set(b).add(u.username));
    try {
      await sendJson("PATCH", `${USERS_KEY}/${encodeURIComponent(u.username)}`, change);
      notifyDone(done, "Their sessions were ended: they sign in again with the new rights.");
      if (change.tenants !== undefined) setEditing((e) => (e?.username === u.username ? null : e));
    } catch (err) {
      notifyFailure(`Could not change ${u.username}`, err);
    }
    await refresh(USERS_KEY);
    setBusy((b) => {
      const next = new Set(b);
      next.delete(u.username);
      return next;
    });
  };

  return (
    <AdminSection
      id="users"
      testId="users"
      title="Users"
      description="Local accounts and single sign-on users. viewer: reads; responder: also acts and undoes; admin: also manages this page."
    >
      <AddUser onAdded={() => refresh(USERS_KEY)} />
      <Table data-testid="users-table" aria-labelledby="users-title">
        <TableHeader className="bg-muted/50">
          <TableRow className="hover:bg-transparent">
            <TableHead className="pl-4">Username</TableHead>
            <TableHead>Role</TableHead>
            <TableHead>Tenants</TableHead>
            <TableHead>Source</TableHead>
            <TableHead>State</TableHead>
            <TableHead>Last sign-in</TableHead>
            <TableHead className="pr-4 text-right">
              <span className="sr-only">Disable or enable</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {users.length === 0 ? (
            <EmptyRow columns={7}>No users.</EmptyRow>
          ) : (
            users.map((u) => {
              const self = u.username === me;
              const waiting = busy.has(u.username);
              return (
                <TableRow
                  key={u.username}
                  data-testid="user-row"
                  data-username={u.username}
                  data-role={u.role}
                  data-disabled={u.disabled}
                >
                  <TableCell className="pl-4 font-medium">
                    {u.username}
                    {self && <span className="ml-1.5 text-xs font-normal text-muted-foreground">(you)</span>}
                  </TableCell>
                  <TableCell>
                    <NativeSelect
                      aria-label={`Role of ${u.username}`}
                      value={u.role}
                      // Your own role and account are changed by another admin (or the CLI): no locking yourself out.
                      disabled={self || waiting}
                      title={self ? "Another admin changes your own role" : undefined}
                      className="h-8 w-32 text-xs"
                      onChange={(e) => void update(u, { role: e.target.value as Role }, `${u.username} is now ${e.target.value}`)}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </NativeSelect>
                  </TableCell>
                  <TableCell className="min-w-40">
                    {editing?.username === u.username ? (
                      <div className="flex flex-col gap-2 py-1">
                        <TenantsPicker
                          id={`user-tenants-of-${u.username}`}
                          legend={`Tenants of ${u.username}`}
                          value={editing.value}
                          onChange={(value) => setEditing({ username: u.username, value })}
                        />
                        <div className="flex gap-2">
                          <Button
                            size="xs"
                            disabled={waiting || editing.value === ""}
                            onClick={() => {
                              const tenants = tenantsBody(editing.value);
                              void update(u, { tenants }, `${u.username} now acts in ${tenantsLabel(tenants, scope.grantable)}`);
                            }}
                          >
                            Save tenants
                          </Button>
                          <Button size="xs" variant="ghost" disabled={waiting} onClick={() => setEditing(null)}>
                            Cancel
                          </Button>
                        </div>
                      </div>
                    ) : (
                      <span className="flex items-center gap-2">
                        <TenantsText tenants={u.tenants} />
                        {scope.choice && (
                          <Button
                            size="xs"
                            variant="outline"
                            aria-label={`Change tenants of ${u.username}`}
                            // As with the role: your own tenants are changed by another admin.
                            disabled={self || waiting}
                            title={self ? "Another admin changes your own tenants" : undefined}
                            onClick={() => setEditing({ username: u.username, value: tenantsValue(u.tenants) })}
                          >
                            Change
                          </Button>
                        )}
                      </span>
                    )}
                  </TableCell>
                  <TableCell className="text-xs">{u.source === "oidc" ? "Entra ID" : "Local"}</TableCell>
                  <TableCell>{u.disabled ? <Badge variant="danger">Disabled</Badge> : <Badge variant="success">Enabled</Badge>}</TableCell>
                  <TableCell>
                    <When iso={u.last_sign_in_at} none="never" />
                  </TableCell>
                  <TableCell className="pr-4 text-right">
                    {u.disabled ? (
                      <Button
                        size="xs"
                        variant="outline"
                        disabled={waiting}
                        aria-label={`Enable ${u.username}`}
                        onClick={() => void update(u, { disabled: false }, `${u.username} enabled`)}
                      >
                        Enable
                      </Button>
                    ) : (
                      <Button
                        size="xs"
                        variant="outline"
                        disabled={self || waiting}
                        aria-label={`Disable ${u.username}`}
                        onClick={(e) =>
                          ask(
                            e.currentTarget,
                            {
                              title: "Disable this user?",
                              target: u.username,
                              consequence: "They are signed out everywhere at once and cannot sign in until enabled again.",
                              confirmLabel: "Disable user",
                            },
                            () => void update(u, { disabled: true }, `${u.username} disabled`),
                          )
                        }
                      >
                        Disable
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

function AddUser({ onAdded }: { onAdded: () => void }) {
  const scope = useAdminTenants();
  const form = useAdminForm<Values>({
    schema: (s) => s.CreateUserRequest,
    initial: { username: "", role: "viewer", password: "", tenants: scope.choice ? defaultTenantsValue(scope) : "" },
    fields: FIELDS,
    toBody: (v) => ({ username: v.username, role: v.role, password: v.password, ...(v.tenants ? { tenants: tenantsBody(v.tenants) } : {}) }),
    // "" is also the value of a single-tenant deployment (nothing to choose): checked only where there is a choice.
    extraCheck: (v) => (scope.choice ? checkTenants(v.tenants) : {}),
    idOf,
  });
  const { values, errors } = form;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const user = await form.submit((body) => sendJson<ApiUser>("POST", USERS_KEY, body));
    keepFocusIn(formEl);
    if (!user) return;
    notifyDone(`User ${user.username} added`, `Role ${user.role}. Give them the password through a safe channel.`);
    onAdded();
  };

  return (
    <form aria-label="Add a user" noValidate onSubmit={onSubmit} className="flex flex-col gap-3 border-b p-4">
      <div className="grid items-start gap-3 md:grid-cols-[minmax(0,1fr)_10rem_minmax(0,1fr)_auto]">
        <Field id={idOf("username")} label="Username" error={errors.username}>
          {(control) => <Input {...control} {...form.input("username")} placeholder="alice" autoComplete="off" spellCheck={false} />}
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
        <Field id={idOf("password")} label="Password" error={errors.password} hint="At least 12 characters">
          {(control) => <Input {...control} {...form.input("password")} type="password" autoComplete="new-password" />}
        </Field>
        <div className="md:pt-5">
          <SubmitButton sending={form.sending} label="Add user" sendingLabel="Adding…" />
        </div>
      </div>
      {scope.choice && (
        <TenantsPicker id={idOf("tenants")} value={values.tenants} onChange={(v) => form.setValue("tenants", v)} error={errors.tenants} />
      )}
      <FormError testId="user-error" message={form.formError} />
    </form>
  );
}
