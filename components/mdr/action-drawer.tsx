"use client";

// One action in full: parameters, what the provider answered, the error, and its timeline.
import { CircleAlertIcon } from "lucide-react";
import type { ReactNode } from "react";
import { Sheet, SheetContent, SheetDescription, SheetHeader, SheetTitle } from "@/components/ui/sheet";
import type { Action, ActionDetail } from "@/lib/mdr/schemas";
import { cn } from "@/lib/utils";
import { useActionDetail } from "./hooks";
import { PROVIDER_LABELS, TYPE_LABELS } from "./labels";
import { StatusBadge } from "./status-badge";
import { RelativeTime, exactUtc } from "./time";
import { UndoAction } from "./undo-action";

function Row({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="grid grid-cols-[9rem_minmax(0,1fr)] gap-3 py-1.5 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className={cn("min-w-0 break-words", mono && "font-mono text-xs leading-5")}>{children}</dd>
    </div>
  );
}

const show = (v: unknown): string =>
  v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);

function Values({ title, values, testId }: { title: string; values: Record<string, unknown> | null; testId: string }) {
  const entries = Object.entries(values ?? {});
  return (
    <section className="flex flex-col gap-1" data-testid={testId}>
      <h3 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">{title}</h3>
      {entries.length === 0 ? (
        <p className="text-sm text-muted-foreground">None</p>
      ) : (
        <dl className="divide-y rounded-md border px-3">
          {entries.map(([k, v]) => (
            <Row key={k} label={k} mono>
              {show(v)}
            </Row>
          ))}
        </dl>
      )}
    </section>
  );
}

function Timeline({ events }: { events: ActionDetail["timeline"] | undefined }) {
  return (
    <section className="flex flex-col gap-2" data-testid="action-timeline">
      <h3 className="text-xs font-semibold tracking-wide text-muted-foreground uppercase">Timeline</h3>
      {!events ? (
        <p className="text-sm text-muted-foreground">Loading the timeline…</p>
      ) : (
        <ol className="relative flex flex-col gap-3 border-l pl-4">
          {events.map((e, i) => (
            <li key={i} className="relative">
              <span className="absolute top-1.5 -left-[calc(1rem+4.5px)] size-2 rounded-full bg-muted-foreground/60 ring-4 ring-popover" aria-hidden />
              <div className="flex flex-wrap items-center gap-2">
                <span className="font-mono text-xs text-muted-foreground">{exactUtc(e.at)}</span>
                <StatusBadge status={e.status} />
              </div>
              <p className="mt-1 text-sm break-words">{e.message}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function ActionDrawer({ action, onClose }: { action: Action | null; onClose: () => void }) {
  const { data } = useActionDetail(action?.id ?? null);
  const a: Action | undefined = data && data.id === action?.id ? data : (action ?? undefined);
  return (
    <Sheet open={action !== null} onOpenChange={(open) => !open && onClose()}>
      {a && (
        <SheetContent data-testid="action-drawer" aria-describedby={`drawer-target-${a.id}`}>
          <SheetHeader>
            <div className="flex flex-wrap items-center gap-2">
              <SheetTitle>{TYPE_LABELS[a.type]}</SheetTitle>
              <StatusBadge status={a.status} />
            </div>
            <SheetDescription id={`drawer-target-${a.id}`} className="font-mono text-sm break-all text-foreground">
              {a.target}
            </SheetDescription>
          </SheetHeader>
          {/* Focusable, so the details can be scrolled from the keyboard. */}
          <div
            tabIndex={0}
            role="region"
            aria-label="Action details"
            className="flex flex-1 flex-col gap-5 overflow-y-auto px-5 py-4 focus-visible:outline-2 focus-visible:-outline-offset-2"
          >
            {a.error && (
              <div
                data-testid="action-error"
                className="flex items-start gap-2 rounded-md border border-danger/30 bg-danger-soft px-3 py-2 text-sm text-danger"
              >
                <CircleAlertIcon className="mt-0.5 size-4 shrink-0" aria-hidden />
                <span className="break-words">{a.error}</span>
              </div>
            )}
            <dl className="divide-y">
              <Row label="Action ID" mono>
                {a.id}
              </Row>
              <Row label="Requested">
                <RelativeTime iso={a.created_at} /> <span className="font-mono text-xs text-muted-foreground">{exactUtc(a.created_at)}</span>
              </Row>
              <Row label="Completed">{a.completed_at ? <span className="font-mono text-xs">{exactUtc(a.completed_at)}</span> : "Not yet"}</Row>
              {a.expires_at && (
                <Row label="Expires">
                  <RelativeTime iso={a.expires_at} /> <span className="font-mono text-xs text-muted-foreground">{exactUtc(a.expires_at)}</span>
                </Row>
              )}
              <Row label="Provider">
                {PROVIDER_LABELS[a.provider]} <span className="text-muted-foreground">({a.mode})</span>
              </Row>
              <Row label="Provider reference" mono>
                <span data-testid="provider-ref">{a.provider_ref ?? "—"}</span>
              </Row>
              <Row label="Effect in place">{a.active ? "Yes" : "No"}</Row>
              <Row label="Requested by">{a.requested_by}</Row>
              <Row label="Reason">{a.reason ?? <span className="text-muted-foreground">None given</span>}</Row>
              <Row label="Tenant" mono>
                {a.tenant_id}
              </Row>
              {a.reverts && (
                <Row label="Reverts" mono>
                  {a.reverts}
                </Row>
              )}
              {a.reverted_by && (
                <Row label="Reverted by" mono>
                  {a.reverted_by}
                </Row>
              )}
            </dl>
            <UndoAction action={a} />
            <Values title="Parameters" values={a.parameters} testId="action-parameters" />
            <Values title="Provider result" values={a.result} testId="action-result" />
            <Timeline events={data && data.id === a.id ? data.timeline : undefined} />
          </div>
        </SheetContent>
      )}
    </Sheet>
  );
}
