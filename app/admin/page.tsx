// /admin — users, API tokens, protected assets and the security audit log, for admins. Renders
// its first paint with real data read straight from lib (like /mdr); the client islands then
// change things through the API and refresh with SWR.
import { ShieldHalfIcon } from "lucide-react";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AUDIT_KEY, AUDIT_LIMIT, PROTECTED_ASSETS_KEY, TOKENS_KEY, USERS_KEY } from "@/components/admin/api";
import { ApiTokens } from "@/components/admin/api-tokens";
import { AuditEvents } from "@/components/admin/audit-events";
import { ProtectedAssets } from "@/components/admin/protected-assets";
import { type AdminTenants, AdminTenantsProvider } from "@/components/admin/tenants";
import { SiemDestinations } from "@/components/admin/siem-destinations";
import { Users } from "@/components/admin/users";
import { IdentityProvider, UserMenu } from "@/components/mdr/identity";
import { LiveData } from "@/components/mdr/live-data";
import { ThemeToggle } from "@/components/mdr/theme-toggle";
import { tenantsWithin } from "@/app/_lib/tenants";
import { lastAuditVerification, signingKey } from "@/lib/audit/chain";
import { listAudit, toApiAuditEvent } from "@/lib/auth/audit";
import { type PageIdentity, pageIdentity, passwordChangePath } from "@/lib/auth/page-identity";
import { hasRole } from "@/lib/auth/roles";
import { configuredTenants, within } from "@/lib/auth/scope";
import { listTokens, toApiToken } from "@/lib/auth/tokens";
import { listUsers, toApiUser } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { authStore } from "@/lib/http/route";
import { listProtectedAssets, toApiProtectedAsset } from "@/lib/mdr/protected-assets";
import { siemState } from "@/lib/mdr/siem/forwarder";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Admin · MDR" };

const SECTIONS = [
  { href: "#protected-assets", label: "Protected assets" },
  { href: "#api-tokens", label: "API tokens" },
  { href: "#users", label: "Users" },
  { href: "#audit-events", label: "Audit log" },
  { href: "#siem-forwarding", label: "SIEM forwarding" },
];

function Frame({ me, children }: { me: PageIdentity; children: ReactNode }) {
  return (
    <IdentityProvider value={{ name: me.name, role: me.role }}>
      <header className="border-b bg-card">
        <div className="mx-auto flex max-w-[1600px] items-center gap-3 px-4 py-2.5">
          <ShieldHalfIcon className="size-5 text-primary" aria-hidden />
          <h1 className="text-base font-semibold tracking-tight">
            MDR Response Actions <span className="font-normal text-muted-foreground">· Admin</span>
          </h1>
          <nav aria-label="Links" className="ml-auto flex items-center gap-1">
            <a
              href="/mdr"
              data-testid="mdr-link"
              className="rounded-md px-2 py-1 text-xs text-muted-foreground hover:bg-accent hover:text-accent-foreground"
            >
              Response actions
            </a>
            <ThemeToggle />
            <UserMenu />
          </nav>
        </div>
      </header>
      {children}
    </IdentityProvider>
  );
}

export default async function AdminPage() {
  const me = await pageIdentity();
  if (!me) redirect("/login?next=/admin");
  if (me.mustChangePassword) redirect(passwordChangePath("/admin"));

  if (!hasRole(me.role, "admin")) {
    return (
      <Frame me={me}>
        <main className="mx-auto flex max-w-xl flex-col px-4 py-16">
          <div data-testid="admin-forbidden" className="flex flex-col gap-3 rounded-lg border bg-card p-6 shadow-xs">
            <h2 className="text-base font-semibold">The admin role is needed here</h2>
            <p className="text-sm text-muted-foreground">
              You are signed in as <span className="font-medium text-foreground">{me.name}</span> with the {me.role}{" "}
              role. Users, API tokens, protected assets and the security audit log are managed by admins; ask one if you
              need access.
            </p>
            <a href="/mdr" className="w-fit text-sm font-medium text-primary underline-offset-4 hover:underline">
              Back to response actions
            </a>
          </div>
        </main>
      </Frame>
    );
  }

  // What the API gives this admin, no more: identities within its tenants; the security audit log
  // only to an admin of every tenant (a scoped one is told why by the API's 403, on the client).
  const store = authStore();
  const tenants: AdminTenants = {
    grantable: tenantsWithin(me.scope),
    allTenants: me.scope === null,
    choice: configuredTenants(config()).length > 1,
  };
  const key = signingKey(config(), store.db);
  const integrity = { keyId: key.keyId, publicKey: key.publicKeyPem, last: lastAuditVerification(store.db) };
  const fallback: Record<string, unknown> = {
    [PROTECTED_ASSETS_KEY]: { protected_assets: listProtectedAssets(store).map(toApiProtectedAsset) },
    [TOKENS_KEY]: { tokens: listTokens(store).filter((t) => within(t.tenants, me.scope)).map(toApiToken) },
    [USERS_KEY]: { users: listUsers(store).filter((u) => within(u.tenants, me.scope)).map(toApiUser) },
  };
  if (tenants.allTenants) {
    const audit = listAudit(store, { limit: AUDIT_LIMIT });
    fallback[AUDIT_KEY] = {
      events: audit.events.map(toApiAuditEvent),
      next_cursor: audit.nextCursor === null ? null : String(audit.nextCursor),
    };
  }

  return (
    <Frame me={me}>
      <AdminTenantsProvider value={tenants}>
      <LiveData fallback={fallback} now={store.now()}>
        <div className="mx-auto flex max-w-[1600px] flex-col gap-5 px-4 py-5">
          <nav aria-label="Sections" className="flex flex-wrap gap-1 text-xs">
            {SECTIONS.map((s) => (
              <a
                key={s.href}
                href={s.href}
                className="rounded-md border bg-card px-2.5 py-1 text-muted-foreground hover:bg-accent hover:text-accent-foreground"
              >
                {s.label}
              </a>
            ))}
          </nav>
          <main className="flex min-w-0 flex-col gap-8">
            <ProtectedAssets />
            <ApiTokens />
            <Users me={me.name} />
            <AuditEvents integrity={integrity} />
            {tenants.allTenants && <SiemDestinations destinations={siemState(store.db, config().siem)} />}
          </main>
        </div>
      </LiveData>
      </AdminTenantsProvider>
    </Frame>
  );
}
