"use client";

// Tenant scope on the admin page: which tenants a user or token may see and act in ("All tenants"
// for null), and the choice of them when one is created or changed. The server passes the tenants
// this admin may grant (the configured ones within its own scope), with their names.
import { type ReactNode, createContext, useContext } from "react";
import { CircleAlertIcon } from "lucide-react";
import { Checkbox } from "@/components/ui/checkbox";
import type { Tenant } from "@/components/mdr/form-controls";
import { sentence } from "@/components/mdr/use-action-form";

export interface AdminTenants {
  /** The tenants this admin may grant, in configured order. */
  grantable: readonly Tenant[];
  /** The admin is one of every tenant: it may grant all of them (null), and sees the security audit log. */
  allTenants: boolean;
  /** More than one tenant is configured: the forms offer a choice (a single-tenant deployment never notices scopes). */
  choice: boolean;
}

const AdminTenantsContext = createContext<AdminTenants>({ grantable: [], allTenants: true, choice: false });

export function AdminTenantsProvider({ value, children }: { value: AdminTenants; children: ReactNode }) {
  return <AdminTenantsContext.Provider value={value}>{children}</AdminTenantsContext.Provider>;
}
export const useAdminTenants = () => useContext(AdminTenantsContext);

/** A form's value for "every tenant"; otherwise the chosen ids, comma-separated ("" for none). */
export const ALL_TENANTS = "*";

/** The API's `tenants` for a form value: null for all, else the ids (an empty list if none: the API's rule says so). */
export function tenantsBody(value: string): string[] | null {
  return value === ALL_TENANTS ? null : value.split(",").filter(Boolean);
}

export function tenantsValue(tenants: readonly string[] | null): string {
  return tenants === null ? ALL_TENANTS : tenants.join(",");
}

/** The forms' own check (the API's rule, in the page's words): at least one tenant ticked. */
export function checkTenants(value: string): { tenants?: string } {
  return value === "" ? { tenants: "choose at least one tenant, or all tenants" } : {};
}

/** What a new identity gets unless told otherwise: what the admin has (the API's default too). */
export function defaultTenantsValue(t: AdminTenants): string {
  return t.allTenants ? ALL_TENANTS : t.grantable.map((g) => g.id).join(",");
}

/** How a scope reads: "All tenants", or the names (the id where no name is known). */
export function tenantsLabel(tenants: readonly string[] | null, known: readonly Tenant[]): string {
  if (tenants === null) return "All tenants";
  return tenants.map((id) => known.find((k) => k.id.toLowerCase() === id.toLowerCase())?.name ?? id).join(", ");
}

export function TenantsText({ tenants }: { tenants: readonly string[] | null }) {
  const { grantable } = useAdminTenants();
  return (
    <span data-testid="tenants" className="text-xs" title={tenants === null ? undefined : tenants.join(", ")}>
      {tenantsLabel(tenants, grantable)}
    </span>
  );
}

/**
 * Checkboxes: "All tenants" (for an admin of all of them: it includes tenants configured later),
 * then each tenant the admin may grant. `id` goes on the group, which takes the focus on an error.
 */
export function TenantsPicker({
  id,
  legend = "Tenants",
  value,
  onChange,
  error,
}: {
  id: string;
  legend?: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  const { grantable, allTenants } = useAdminTenants();
  const all = value === ALL_TENANTS;
  const chosen = all ? [] : value.split(",").filter(Boolean);
  const toggle = (tenantId: string, on: boolean) => {
    const next = grantable.map((g) => g.id).filter((g) => (g === tenantId ? on : chosen.includes(g)));
    onChange(next.join(","));
  };
  return (
    <fieldset
      id={id}
      tabIndex={-1}
      data-testid={id}
      aria-invalid={error ? true : undefined}
      aria-describedby={error ? `${id}-error` : undefined}
      className="flex min-w-0 flex-col gap-1.5 outline-none"
    >
      <legend className="mb-1.5 text-sm leading-none font-medium">{legend}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1.5">
        {allTenants && (
          <label className="flex items-center gap-2 text-sm">
            <Checkbox
              checked={all}
              onChange={(e) => onChange(e.target.checked ? ALL_TENANTS : grantable.map((g) => g.id).join(","))}
            />
            All tenants
          </label>
        )}
        {grantable.map((t) => (
          <label key={t.id} className="flex items-center gap-2 text-sm" title={t.id}>
            <Checkbox checked={all || chosen.includes(t.id)} disabled={all} onChange={(e) => toggle(t.id, e.target.checked)} />
            {t.name}
          </label>
        ))}
      </div>
      {error && (
        <p id={`${id}-error`} data-testid={`${id}-error`} className="flex items-start gap-1 text-xs text-danger">
          <CircleAlertIcon className="mt-px size-3.5 shrink-0" aria-hidden />
          <span>{sentence(error)}</span>
        </p>
      )}
    </fieldset>
  );
}
