"use client";

// The last 24 hours at a glance: how much was done, how well, how fast, and what is held now.
import { BanIcon, MonitorOffIcon, UserXIcon } from "lucide-react";
import type { ReactNode } from "react";
import { Card } from "@/components/ui/card";
import { ACTION_TYPES } from "@/lib/mdr/enums";
import type { MetricsResponse } from "@/lib/mdr/schemas";
import { useMetrics } from "./hooks";
import { TYPE_LABELS } from "./labels";
import { formatDuration } from "./time";

function Stat({ label, testId, children, className }: { label: string; testId: string; children: ReactNode; className?: string }) {
  return (
    <Card data-testid={testId} className={`gap-1 px-4 py-3 ${className ?? ""}`}>
      <h3 className="text-xs font-medium text-muted-foreground">{label}</h3>
      {children}
    </Card>
  );
}

/** 24 bars, one per hour, oldest left; a text summary for assistive technology. */
function PerHourChart({ perHour }: { perHour: MetricsResponse["per_hour"] }) {
  const max = Math.max(1, ...perHour.map((h) => h.count));
  const peak = perHour.reduce((a, b) => (b.count > a.count ? b : a), perHour[0] ?? { hour: "", count: 0 });
  const total = perHour.reduce((n, h) => n + h.count, 0);
  const W = 240;
  const H = 40;
  const gap = 2;
  const bw = (W - gap * (perHour.length - 1)) / Math.max(1, perHour.length);
  const summary =
    total === 0
      ? "Actions per hour, last 24 hours: none."
      : `Actions per hour, last 24 hours: ${total} in all, at most ${peak.count} in the hour from ${peak.hour.slice(11, 16)} UTC.`;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="h-10 w-full" preserveAspectRatio="none" role="img" aria-label={summary} data-testid="per-hour-chart">
      {perHour.map((h, i) => {
        const bh = h.count === 0 ? 1.5 : Math.max(3, (h.count / max) * H);
        return (
          <rect
            key={h.hour}
            x={i * (bw + gap)}
            y={H - bh}
            width={bw}
            height={bh}
            rx={1}
            className={h.count === 0 ? "fill-border" : "fill-chart"}
          >
            <title>{`${h.hour.slice(11, 16)} UTC: ${h.count}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

export function Metrics() {
  const { data } = useMetrics();
  if (!data) return null;
  const byType = ACTION_TYPES.filter((t) => data.by_type[t] > 0);
  const byTypeText =
    byType.length === 0 ? "No actions yet" : byType.map((t) => `${TYPE_LABELS[t]} ${data.by_type[t]}`).join(" · ");
  const rate = data.success_rate;
  return (
    <section aria-labelledby="metrics-title" className="flex flex-col gap-2">
      <h2 id="metrics-title" className="sr-only">
        Response metrics, last 24 hours
      </h2>
      <div className="grid grid-cols-2 gap-3 xl:grid-cols-[minmax(0,1.6fr)_minmax(0,1fr)_minmax(0,1fr)_minmax(0,1.3fr)]">
        <Stat label="Actions · 24 h" testId="metric-total" className="col-span-2 xl:col-span-1">
          <div className="flex items-end gap-4">
            <p className="text-2xl font-semibold tabular-nums" data-testid="metric-total-value">
              {data.total}
            </p>
            <div className="min-w-0 flex-1 pb-1">
              <PerHourChart perHour={data.per_hour} />
            </div>
          </div>
          <p className="truncate text-xs text-muted-foreground" data-testid="metric-by-type" title={byTypeText}>
            {byTypeText}
          </p>
        </Stat>
        <Stat label="Success rate" testId="metric-success-rate">
          <p className="text-2xl font-semibold tabular-nums">{rate === null ? "—" : `${Math.round(rate * 1000) / 10}%`}</p>
          <p className="text-xs text-muted-foreground">
            {data.by_status.succeeded} succeeded · {data.by_status.failed} failed
          </p>
        </Stat>
        <Stat label="Median time to contain" testId="metric-ttc">
          <p className="text-2xl font-semibold tabular-nums">{formatDuration(data.time_to_completion_ms.median)}</p>
          <p className="text-xs text-muted-foreground">p90 {formatDuration(data.time_to_completion_ms.p90)}</p>
        </Stat>
        <Stat label="Contained now" testId="metric-contained" className="col-span-2 xl:col-span-1">
          <ul className="grid grid-cols-3 gap-2 xl:grid-cols-1 xl:gap-0.5">
            <Contained icon={<MonitorOffIcon />} label="Isolated endpoints" value={data.contained_now.isolated_endpoints} testId="contained-endpoints" />
            <Contained icon={<BanIcon />} label="Active IP blocks" value={data.contained_now.active_ip_blocks} testId="contained-blocks" />
            <Contained icon={<UserXIcon />} label="Disabled users" value={data.contained_now.disabled_users} testId="contained-users" />
          </ul>
        </Stat>
      </div>
    </section>
  );
}

function Contained({ icon, label, value, testId }: { icon: ReactNode; label: string; value: number; testId: string }) {
  return (
    <li className="flex items-center gap-2 text-xs" data-testid={testId}>
      <span className="text-muted-foreground [&_svg]:size-3.5" aria-hidden>
        {icon}
      </span>
      <span className="flex-1 text-muted-foreground">{label}</span>
      <span className="font-mono text-sm font-semibold tabular-nums" data-testid={`${testId}-value`}>
        {value}
      </span>
    </li>
  );
}
