"use client";

// The page's live data: SWR over the read endpoints, typed by the API's response schemas.
// The server renders the first page of each (SWRConfig fallback); these take over polling.
import useSWR from "swr";
import type { ActionDetail, ActionList, BulkStatus, MetricsResponse, StatusResponse } from "@/lib/mdr/schemas";
import { type ActionsFilter, METRICS_KEY, STATUS_KEY, actionsKey, bulkKey, fetchJson } from "./api";
import { FINAL_STATUSES } from "./labels";

export const ACTIONS_REFRESH_MS = 2000;
export const STATUS_REFRESH_MS = 5000;
export const METRICS_REFRESH_MS = 5000;

export function useActions(filter: ActionsFilter) {
  return useSWR<ActionList>(actionsKey(filter), fetchJson, {
    refreshInterval: ACTIONS_REFRESH_MS,
    keepPreviousData: true,
  });
}

export function useServiceStatus() {
  return useSWR<StatusResponse>(STATUS_KEY, fetchJson, { refreshInterval: STATUS_REFRESH_MS });
}

export function useMetrics() {
  return useSWR<MetricsResponse>(METRICS_KEY, fetchJson, { refreshInterval: METRICS_REFRESH_MS });
}

/** One action with its timeline; polled while it can still change. */
export function useActionDetail(id: string | null) {
  return useSWR<ActionDetail>(id ? `/api/v1/mdr/actions/${id}` : null, fetchJson, {
    refreshInterval: (data) => (data && FINAL_STATUSES.includes(data.status) ? 0 : ACTIONS_REFRESH_MS),
  });
}

/** Whether some target of the bulk is still queued or under way (or it was not read yet). */
export const bulkRunning = (b: BulkStatus | undefined) => !b || ["queued", "pending", "in_progress"].some((s) => (b.counts[s] ?? 0) > 0);

/** A bulk's progress; polled (every `ms`) while some target is queued or under way. */
export function useBulkStatus(id: string | null, ms = ACTIONS_REFRESH_MS) {
  return useSWR<BulkStatus>(id ? bulkKey(id) : null, fetchJson, {
    refreshInterval: (latest) => (bulkRunning(latest) ? ms : 0),
  });
}
