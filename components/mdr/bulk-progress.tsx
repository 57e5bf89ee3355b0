"use client";

// A list's progress, under the card that sent it: GET /bulk/{id} polled until none of its targets is
// queued or under way. A bar (with its numbers in text beside it, never colour alone), the count per
// outcome, when the queued ones should have gone out, and each target that did not work with why.
// It stays until dismissed.
import { CircleCheckIcon, XIcon } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import type { ActionStatus } from "@/lib/mdr/enums";
import type { BulkStatus } from "@/lib/mdr/schemas";
import { OUTCOMES, type Outcome, outcomeLabel } from "./bulk-summary";
import { useBulkStatus } from "./hooks";
import { FINAL_STATUSES } from "./labels";
import { countOf } from "./target-list";
import { exactUtc, useNow } from "./time";
import type { SentBulk } from "./use-action-form";

export const BULK_REFRESH_MS = 1000;

/** Targets that did not work listed at most; the rest are counted. */
const SHOWN_FAILURES = 20;

/** The bar's segment of each outcome (the text beside it says the same). */
const SEGMENT: Record<Outcome, string> = {
  succeeded: "bg-success",
  in_progress: "bg-info",
  pending: "bg-neutral/60",
  queued: "bg-neutral/30",
  failed: "bg-danger",
  rejected: "bg-warning",
  refused: "bg-warning",
};

interface Target {
  target: string;
  outcome: Outcome;
  error: string | null;
}

/** The bulk as now known: the server's view once read, the answer's until then; targets refused before any row was written come from the answer. */
function targetsOf(sent: SentBulk, status: BulkStatus | undefined): Target[] {
  const refused = sent.answer.results
    .filter((r) => r.id === null)
    .map((r): Target => ({ target: r.target, outcome: "refused", error: r.error?.detail ?? null }));
  const rows = status
    ? status.results.map((r): Target => ({ target: r.target, outcome: r.status, error: r.error }))
    : sent.answer.results
        .filter((r) => r.id !== null)
        .map((r): Target => ({ target: r.target, outcome: r.status ?? "refused", error: r.error?.detail ?? null }));
  return [...rows, ...refused];
}

/** "in 40 s", "in 3 min": when the queued targets should have gone out (the exact time on hover). */
function EstimatedEnd({ iso }: { iso: string }) {
  const now = useNow();
  const ms = Date.parse(iso) - now;
  const s = Math.round(ms / 1000);
  const text = s < 2 ? "any moment" : s < 90 ? `in ${s} s` : s < 5400 ? `in ${Math.round(s / 60)} min` : `in ${Math.round(s / 3600)} h`;
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <time
          dateTime={iso}
          data-testid="bulk-estimate"
          className="cursor-default tabular-nums underline decoration-dotted decoration-muted-foreground/50 underline-offset-2"
        >
          {text}
          <span className="sr-only">, {exactUtc(iso)}</span>
        </time>
      </TooltipTrigger>
      <TooltipContent>{exactUtc(iso)}</TooltipContent>
    </Tooltip>
  );
}

export function BulkProgress({ sent, title, onDismiss }: { sent: SentBulk; title: string; onDismiss: () => void }) {
  const id = sent.answer.bulk_id;
  const { data } = useBulkStatus(id, BULK_REFRESH_MS);
  const targets = targetsOf(sent, data);
  const total = targets.length;
  const counts: Partial<Record<Outcome, number>> = {};
  for (const t of targets) counts[t.outcome] = (counts[t.outcome] ?? 0) + 1;
  const finished = targets.filter((t) => t.outcome === "refused" || FINAL_STATUSES.includes(t.outcome as ActionStatus)).length;
  const done = finished === total && data !== undefined;
  const notDone = targets.filter((t) => t.outcome === "failed" || t.outcome === "rejected" || t.outcome === "refused");
  const shown = OUTCOMES.filter((o) => counts[o]);
  const headingId = `bulk-${id}-title`;
  const summary = `${finished} of ${total} done`;

  return (
    <section
      aria-labelledby={headingId}
      data-testid="bulk-progress"
      data-bulk-id={id}
      data-done={done}
      className="mt-3 flex flex-col gap-2 rounded-md border bg-muted/40 p-3"
    >
      <div className="flex items-start gap-2">
        <div className="flex min-w-0 flex-1 flex-col">
          <h4 id={headingId} className="text-xs font-semibold">
            {title}: {countOf(total, sent.noun)}
          </h4>
          <span className="truncate font-mono text-[0.6875rem] text-muted-foreground">{id}</span>
        </div>
        <Button size="xs" variant="ghost" onClick={onDismiss} aria-label={`Dismiss the progress of ${id}`}>
          <XIcon aria-hidden />
          Dismiss
        </Button>
      </div>
      <div
        role="progressbar"
        aria-labelledby={headingId}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={finished}
        aria-valuetext={summary}
        className="flex h-2 w-full overflow-hidden rounded-full bg-muted"
      >
        {shown.map((o) => (
          <div key={o} className={SEGMENT[o]} style={{ width: `${((counts[o] ?? 0) / Math.max(total, 1)) * 100}%` }} />
        ))}
      </div>
      <p className="flex flex-wrap items-center gap-x-1.5 text-xs" data-testid="bulk-summary" aria-live="polite">
        {done && <CircleCheckIcon className="size-3.5 text-success" aria-hidden />}
        <span className="font-medium tabular-nums">{done ? `Done: ${finished} of ${total}` : summary}</span>
      </p>
      <ul className="flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-muted-foreground" aria-label="Targets per status">
        {shown.map((o) => (
          <li key={o} data-testid="bulk-count" data-outcome={o} className="flex items-center gap-1 tabular-nums">
            <span className={`size-2 rounded-full ${SEGMENT[o]}`} aria-hidden />
            <span className="font-medium text-foreground">{counts[o]}</span> {outcomeLabel(o, sent.done)}
          </li>
        ))}
      </ul>
      {data?.estimated_done_at && (counts.queued ?? 0) > 0 && (
        <p className="text-xs text-muted-foreground">
          The queued ones go out as the provider&apos;s rate limit allows: done <EstimatedEnd iso={data.estimated_done_at} />
        </p>
      )}
      {notDone.length > 0 && (
        <div className="flex flex-col gap-1">
          <h5 className="text-xs font-semibold text-danger">Not done ({notDone.length})</h5>
          <ul className="flex flex-col gap-0.5 text-xs">
            {notDone.slice(0, SHOWN_FAILURES).map((t) => (
              <li key={t.target} data-testid="bulk-failure" className="break-words">
                <span className="font-mono font-medium">{t.target}</span> ({outcomeLabel(t.outcome, sent.done)})
                {t.error ? `: ${t.error}` : ""}
              </li>
            ))}
            {notDone.length > SHOWN_FAILURES && <li>and {notDone.length - SHOWN_FAILURES} more (in the table below)</li>}
          </ul>
        </div>
      )}
    </section>
  );
}
