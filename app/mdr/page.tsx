// /mdr — the analyst's page. Renders its first paint with real data read straight from lib
// (no request to our own API, no spinner); the client islands then poll the API with SWR.
import { ShieldHalfIcon } from "lucide-react";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { IdentityProvider, UserMenu } from "@/components/mdr/identity";
import { BlockIpCard } from "@/components/mdr/block-ip-card";
import { DisableUserCard } from "@/components/mdr/disable-user-card";
import { IsolateCard } from "@/components/mdr/isolate-card";
import { LiveData } from "@/components/mdr/live-data";
import { Metrics } from "@/components/mdr/metrics";
import { QuarantineEmailCard } from "@/components/mdr/quarantine-email-card";
import { RecentActions } from "@/components/mdr/recent-actions";
import { ServiceHealth } from "@/components/mdr/service-health";
import { SimulationBanner } from "@/components/mdr/simulation-banner";
import { ThemeToggle } from "@/components/mdr/theme-toggle";
import { METRICS_KEY, PAGE_SIZE, STATUS_KEY, actionsKey } from "@/components/mdr/api";
import { tenantsOf } from "@/app/_lib/tenants";
import { pageIdentity, passwordChangePath } from "@/lib/auth/page-identity";
import { hasRole } from "@/lib/auth/roles";
import { getContext } from "@/lib/mdr/context";
import { listActions } from "@/lib/mdr/list-actions";
import { getMetrics } from "@/lib/mdr/metrics";
import { ListActionsQuery } from "@/lib/mdr/schemas";
import { getServiceStatus } from "@/lib/mdr/service-status";
import { visibleTenants } from "@/lib/mdr/tenant";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Response actions · MDR" };

export default async function MdrPage() {
  const me = await pageIdentity();
  if (!me) redirect("/login?next=/mdr");
  if (me.mustChangePassword) redirect(passwordChangePath("/mdr"));
  const canAct = hasRole(me.role, "responder");
  const ctx = getContext(me);
  const simulation = ctx.config.mode === "simulation";
  const status = await getServiceStatus(ctx);
  const actions = listActions({ ctx, query: ListActionsQuery.parse({ limit: PAGE_SIZE }) });
  const metrics = getMetrics({ ctx, hours: 24 });
  const tenants = tenantsOf(visibleTenants(ctx));
  const examples = ctx.providers.examples;
  const fallback = { [actionsKey()]: actions, [STATUS_KEY]: status, [METRICS_KEY]: metrics };

  return (
    <IdentityProvider value={{ name: me.name, role: me.role }}>
    <LiveData fallback={fallback} now={ctx.now()}>
      <a
        href="#response-actions"
        className="sr-only z-50 rounded-md bg-primary px-3 py-2 text-sm text-primary-foreground focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to response actions
      </a>
      <header className="border-b bg-card">
        <div className="mx-auto flex max-w-[1600px] items-center gap-3 px-4 py-2.5">
          <ShieldHalfIcon className="size-5 text-primary" aria-hidden />
          <h1 className="text-base font-semibold tracking-tight">MDR Response Actions</h1>
          <span className="hidden text-xs text-muted-foreground sm:inline">
            {tenants.length === 1 ? tenants[0]!.name : `${tenants.length} tenants`}
          </span>
          <nav aria-label="Links" className="ml-auto flex items-center gap-1">
            {hasRole(me.role, "admin") && (
              <a
                href="/admin"
                className="rounded-md px-2 py-1 text-xs text-muted-foreground hover:bg-accent hover:text-accent-foreground"
              >
                Admin
              </a>
            )}
            <a
              href="/api/v1/openapi.json"
              className="rounded-md px-2 py-1 text-xs text-muted-foreground hover:bg-accent hover:text-accent-foreground"
            >
              API
            </a>
            <ThemeToggle />
            <UserMenu />
          </nav>
        </div>
      </header>
      {simulation && <SimulationBanner />}
      <div className="mx-auto flex max-w-[1600px] flex-col gap-5 px-4 py-5 lg:flex-row lg:items-start">
        <aside
          aria-label="Service health"
          data-testid="sidebar"
          className="flex shrink-0 flex-col gap-4 lg:sticky lg:top-5 lg:order-last lg:w-72"
        >
          <ServiceHealth />
        </aside>
        <main className="flex min-w-0 flex-1 flex-col gap-6">
          <Metrics />
          <section id="response-actions" aria-labelledby="response-actions-title" className="flex flex-col gap-3 scroll-mt-4">
            <h2 id="response-actions-title" className="text-base font-semibold">
              Contain
            </h2>
            {canAct ? (
              <div className="grid gap-4 xl:grid-cols-2">
                <IsolateCard tenants={tenants} examples={examples} />
                <BlockIpCard tenants={tenants} />
                <DisableUserCard tenants={tenants} examples={examples} />
                <QuarantineEmailCard tenants={tenants} examples={examples} />
              </div>
            ) : (
              <p data-testid="viewer-note" className="rounded-md border bg-card px-4 py-3 text-sm text-muted-foreground">
                You are signed in as <span className="font-medium text-foreground">{me.name}</span> with the viewer
                role: you can follow actions and service health, but not execute or undo actions. Ask an admin for
                the responder role.
              </p>
            )}
          </section>
          <RecentActions />
        </main>
      </div>
    </LiveData>
    </IdentityProvider>
  );
}
