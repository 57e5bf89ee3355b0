"use client";

// Health of each outside service, polled: an analyst sees at once whether an action can work.
import { ActivityIcon, CircleCheckIcon, CircleMinusIcon, CircleXIcon, TriangleAlertIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader } from "@/components/ui/card";
import { type Service, SERVICE_KEYS } from "@/lib/mdr/providers/facts";
import type { StatusResponse } from "@/lib/mdr/schemas";
import { cn } from "@/lib/utils";
import { STATUS_REFRESH_MS, useServiceStatus } from "./hooks";
import { SERVICE_LABELS } from "./labels";
import { RelativeTime } from "./time";

const OVERALL: Record<StatusResponse["status"], { label: string; tone: "success" | "warning" | "danger"; Icon: typeof ActivityIcon }> = {
  healthy: { label: "Healthy", tone: "success", Icon: CircleCheckIcon },
  degraded: { label: "Degraded", tone: "warning", Icon: TriangleAlertIcon },
  unhealthy: { label: "Unhealthy", tone: "danger", Icon: CircleXIcon },
};

const SERVICE_STATE = {
  up: { label: "Up", className: "text-success", Icon: CircleCheckIcon },
  down: { label: "Down", className: "text-danger", Icon: CircleXIcon },
  not_configured: { label: "Not configured", className: "text-muted-foreground", Icon: CircleMinusIcon },
} as const;

export function ServiceHealth() {
  const { data, error } = useServiceStatus();
  const overall = data ? OVERALL[data.status] : null;
  return (
    <Card data-testid="service-health">
      <CardHeader className="flex-row items-center justify-between gap-2 pb-1">
        <h2 id="service-health-title" className="flex items-center gap-2 text-sm font-semibold">
          <ActivityIcon className="size-4 text-muted-foreground" aria-hidden />
          Service health
        </h2>
        {overall && (
          <Badge variant={overall.tone} data-testid="overall-status" data-status={data!.status}>
            <overall.Icon aria-hidden />
            {overall.label}
          </Badge>
        )}
      </CardHeader>
      <CardContent className="pt-2">
        {error && (
          <p className="mb-2 flex items-center gap-1.5 rounded-md bg-warning-soft px-2 py-1.5 text-xs text-warning">
            <TriangleAlertIcon className="size-3.5" aria-hidden /> Status unavailable, retrying
          </p>
        )}
        {/* Beside each other when the sidebar sits above the content (narrow screens), stacked in it. */}
        <ul aria-labelledby="service-health-title" className="grid gap-x-6 sm:grid-cols-2 lg:grid-cols-1">
          {SERVICE_KEYS.map((s: Service) => {
            const h = data?.services[s];
            const state = h ? SERVICE_STATE[h.status] : null;
            return (
              <li key={s} data-testid={`service-${s}`} data-status={h?.status} className="flex flex-col gap-0.5 border-b py-2 last:border-b-0 sm:[&:nth-last-child(2):nth-child(odd)]:border-b-0 lg:[&:nth-last-child(2):nth-child(odd)]:border-b">
                <div className="flex items-center justify-between gap-2">
                  <span className="text-sm font-medium">{SERVICE_LABELS[s]}</span>
                  {state && (
                    <span className={cn("flex items-center gap-1 text-xs font-medium", state.className)}>
                      <state.Icon className="size-3.5" aria-hidden />
                      {state.label}
                    </span>
                  )}
                </div>
                <div className="flex items-center justify-between gap-2 text-xs text-muted-foreground">
                  <span className="font-mono tabular-nums">{h?.latency_ms != null ? `${h.latency_ms} ms` : "—"}</span>
                  {data && (
                    <span>
                      checked <RelativeTime iso={data.checked_at} />
                    </span>
                  )}
                </div>
                {h?.error && h.status === "down" && (
                  <p className="truncate text-xs text-danger" title={h.error}>
                    {h.error}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
        <p className="mt-2 text-[0.6875rem] text-muted-foreground">
          {data?.mode === "simulation" ? "Simulated tenant" : "Live"} · checked every {STATUS_REFRESH_MS / 1000} s
        </p>
      </CardContent>
    </Card>
  );
}
