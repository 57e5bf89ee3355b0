"use client";

// The audit log as it happens: newest first, filtered, a page at a time; polled so a running
// action moves from pending to in progress to succeeded in place.
import { ChevronDownIcon, ChevronLeftIcon, ChevronRightIcon, LayersIcon, WifiOffIcon } from "lucide-react";
import dynamic from "next/dynamic";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { NativeSelect } from "@/components/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ACTION_STATUSES, ACTION_TYPES, type ActionStatus } from "@/lib/mdr/enums";
import type { Action } from "@/lib/mdr/schemas";
import { PAGE_SIZE } from "./api";
import { ACTIONS_REFRESH_MS, useActions, useBulkStatus } from "./hooks";
import { PROVIDER_LABELS, STATUS_LABELS, TYPE_LABELS } from "./labels";
import { StatusBadge } from "./status-badge";
import { RelativeTime } from "./time";

const ALL = "all";

// Closed until a row is chosen: the drawer (and its undo) loads after the first paint, not with it.
const ActionDrawer = dynamic(() => import("./action-drawer").then((m) => m.ActionDrawer), { ssr: false });

export function RecentActions() {
  const [type, setType] = useState<string>(ALL);
  const [status, setStatus] = useState<string>(ALL);
  /** Cursors of the pages walked through; the last is the current page's. */
  const [cursors, setCursors] = useState<string[]>([]);
  const [selected, setSelected] = useState<Action | null>(null);
  /** Bulk groups shown open, by key. */
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const { data, error } = useActions({
    type: type === ALL ? undefined : type,
    status: status === ALL ? undefined : status,
    cursor: cursors.at(-1),
  });
  const actions = data?.actions ?? [];
  const filtered = type !== ALL || status !== ALL;

  const resetTo = (set: (v: string) => void) => (v: string) => {
    set(v);
    setCursors([]);
  };

  return (
    <section aria-labelledby="recent-actions-title" className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <h2 id="recent-actions-title" className="text-base font-semibold">
          Recent actions
        </h2>
        {error ? (
          <Badge variant="warning">
            <WifiOffIcon aria-hidden /> Connection lost, retrying
          </Badge>
        ) : (
          <span className="flex items-center gap-1.5 text-xs text-muted-foreground">
            <span className="size-1.5 animate-pulse rounded-full bg-success" aria-hidden />
            Live, every {ACTIONS_REFRESH_MS / 1000} s
          </span>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <NativeSelect size="sm" className="w-40" aria-label="Filter by type" value={type} onChange={(e) => resetTo(setType)(e.target.value)}>
            <option value={ALL}>All types</option>
            {ACTION_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </NativeSelect>
          <NativeSelect size="sm" className="w-36" aria-label="Filter by status" value={status} onChange={(e) => resetTo(setStatus)(e.target.value)}>
            <option value={ALL}>All statuses</option>
            {ACTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s].label}
              </option>
            ))}
          </NativeSelect>
        </div>
      </div>
      <Card className="overflow-hidden">
        <Table data-testid="actions-table" aria-labelledby="recent-actions-title">
          <TableHeader className="bg-muted/50">
            <TableRow className="hover:bg-transparent">
              <TableHead className="w-20 pl-4">Time</TableHead>
              <TableHead>Type</TableHead>
              <TableHead>Target</TableHead>
              <TableHead>Status</TableHead>
              <TableHead>Requested by</TableHead>
              <TableHead>Provider</TableHead>
              <TableHead className="pr-4">Reason</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {actions.length === 0 ? (
              <TableRow className="hover:bg-transparent">
                <TableCell colSpan={7} className="py-10 text-center text-sm text-muted-foreground">
                  {filtered
                    ? "No actions match these filters."
                    : "No actions yet. Contain a host, an IP, a user or an email with the cards above; each step lands here."}
                </TableCell>
              </TableRow>
            ) : (
              groupByBulk(actions).map((entry) =>
                entry.kind === "action" ? (
                  <ActionRow key={entry.action.id} action={entry.action} onSelect={setSelected} />
                ) : (
                  <BulkRows
                    key={entry.key}
                    group={entry}
                    expanded={expanded.has(entry.key)}
                    onToggle={() => toggle(entry.key)}
                    onSelect={setSelected}
                  />
                ),
              )
            )}
          </TableBody>
        </Table>
        <div className="flex items-center justify-between gap-2 border-t px-4 py-2 text-xs text-muted-foreground">
          <span>
            Page {cursors.length + 1} · {actions.length} of up to {PAGE_SIZE} · newest first
          </span>
          <div className="flex gap-1.5">
            <Button
              size="xs"
              variant="outline"
              disabled={cursors.length === 0}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              <ChevronLeftIcon aria-hidden /> Newer
            </Button>
            <Button
              size="xs"
              variant="outline"
              disabled={!data?.next_cursor}
              onClick={() => data?.next_cursor && setCursors((c) => [...c, data.next_cursor!])}
            >
              Older <ChevronRightIcon aria-hidden />
            </Button>
          </div>
        </div>
      </Card>
      <ActionDrawer action={selected} onClose={() => setSelected(null)} />
    </section>
  );
}

/** A row of the table: an action of its own, or the consecutive actions of one bulk request. */
type Entry =
  | { kind: "action"; action: Action }
  | { kind: "bulk"; key: string; bulkId: string; actions: Action[] };

const bulkIdOf = (a: Action): string | null => (typeof a.parameters.bulk_id === "string" ? a.parameters.bulk_id : null);

/** Consecutive actions of the same bulk become one group (a bulk split by other actions or pages: one group per run). */
function groupByBulk(actions: readonly Action[]): Entry[] {
  const entries: Entry[] = [];
  for (const action of actions) {
    const bulkId = bulkIdOf(action);
    const last = entries.at(-1);
    if (bulkId && last?.kind === "bulk" && last.bulkId === bulkId) last.actions.push(action);
    else if (bulkId) entries.push({ kind: "bulk", key: `${bulkId} ${action.id}`, bulkId, actions: [action] });
    else entries.push({ kind: "action", action });
  }
  return entries;
}

function ActionRow({
  action: a,
  onSelect,
  inBulk,
  rowId,
}: {
  action: Action;
  onSelect: (a: Action) => void;
  /** The bulk it is shown under, when it is. */
  inBulk?: string;
  rowId?: string;
}) {
  return (
    <TableRow
      id={rowId}
      data-testid="action-row"
      data-action-id={a.id}
      data-status={a.status}
      data-bulk-id={inBulk}
      onClick={() => onSelect(a)}
      className={inBulk ? "cursor-pointer bg-muted/30" : "cursor-pointer"}
    >
      <TableCell className="pl-4 text-xs text-muted-foreground">
        <RelativeTime iso={a.created_at} />
      </TableCell>
      <TableCell className={inBulk ? "pl-7" : undefined}>
        <button
          type="button"
          className="rounded-sm text-left font-medium whitespace-nowrap hover:underline focus-visible:outline-2 focus-visible:outline-ring"
          aria-label={`${TYPE_LABELS[a.type]} ${a.target}: open details`}
          onClick={(e) => {
            e.stopPropagation();
            onSelect(a);
          }}
        >
          {TYPE_LABELS[a.type]}
        </button>
      </TableCell>
      <TableCell className="max-w-56">
        <span className="block truncate font-mono text-xs" title={a.target}>
          {a.target}
        </span>
      </TableCell>
      <TableCell>
        <StatusBadge status={a.status} />
      </TableCell>
      <WhoWhereWhy action={a} />
    </TableRow>
  );
}

/**
 * A bulk as one row: its size and its targets' statuses (the whole bulk's, read from GET /bulk/{id};
 * the rows on this page until then), opened to show its actions on this page.
 */
function BulkRows({
  group,
  expanded,
  onToggle,
  onSelect,
}: {
  group: Extract<Entry, { kind: "bulk" }>;
  expanded: boolean;
  onToggle: () => void;
  onSelect: (a: Action) => void;
}) {
  const { data } = useBulkStatus(group.bulkId);
  const first = group.actions[0]!;
  const here = group.actions.length;
  const total = data?.total ?? here;
  const counts: Partial<Record<ActionStatus, number>> = {};
  if (data) for (const [s, n] of Object.entries(data.counts)) counts[s as ActionStatus] = n;
  else for (const a of group.actions) counts[a.status] = (counts[a.status] ?? 0) + 1;
  const statuses = ACTION_STATUSES.filter((s) => counts[s]);
  const membersId = `bulk-rows-${first.id}`;
  const label = `${TYPE_LABELS[first.type]}, bulk of ${total} targets`;
  return (
    <>
      <TableRow data-testid="bulk-row" data-bulk-id={group.bulkId} onClick={onToggle} className="cursor-pointer">
        <TableCell className="pl-4 text-xs text-muted-foreground">
          <RelativeTime iso={first.created_at} />
        </TableCell>
        <TableCell>
          <button
            type="button"
            aria-expanded={expanded}
            aria-controls={expanded ? group.actions.map((a) => `${membersId}-${a.id}`).join(" ") : undefined}
            aria-label={`${label}: ${expanded ? "hide" : "show"} its actions`}
            className="flex items-center gap-1 rounded-sm text-left font-medium whitespace-nowrap hover:underline focus-visible:outline-2 focus-visible:outline-ring"
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
          >
            {expanded ? <ChevronDownIcon className="size-3.5" aria-hidden /> : <ChevronRightIcon className="size-3.5" aria-hidden />}
            {TYPE_LABELS[first.type]}
          </button>
        </TableCell>
        <TableCell className="max-w-56">
          <span className="flex items-center gap-1.5">
            <Badge variant="outline" data-testid="bulk-marker">
              <LayersIcon aria-hidden /> Bulk · {total}
            </Badge>
            {here < total && <span className="text-xs whitespace-nowrap text-muted-foreground">{here} here</span>}
          </span>
        </TableCell>
        <TableCell>
          <span className="flex flex-wrap items-center gap-1" data-testid="bulk-statuses">
            {statuses.map((s) => (
              <span key={s} className="flex items-center gap-0.5 text-xs tabular-nums" data-status={s}>
                {counts[s]}{" "}
                <StatusBadge status={s} />
              </span>
            ))}
          </span>
        </TableCell>
        <WhoWhereWhy action={first} />
      </TableRow>
      {expanded &&
        group.actions.map((a) => <ActionRow key={a.id} rowId={`${membersId}-${a.id}`} action={a} onSelect={onSelect} inBulk={group.bulkId} />)}
    </>
  );
}

/** An action's last three cells: who asked, where it went, and why (a bulk's row shows its first action's). */
function WhoWhereWhy({ action }: { action: Pick<Action, "requested_by" | "provider" | "reason"> }) {
  return (
    <>
      <TableCell className="text-xs whitespace-nowrap">{action.requested_by}</TableCell>
      <TableCell className="text-xs whitespace-nowrap">{PROVIDER_LABELS[action.provider]}</TableCell>
      <TableCell className="max-w-64 pr-4">
        <span className="block truncate text-xs text-muted-foreground" title={action.reason ?? undefined}>
          {action.reason ?? "—"}
        </span>
      </TableCell>
    </>
  );
}
