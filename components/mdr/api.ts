// The page's side of the JSON API: typed reads for SWR, and posting an action with the
// server's problem+json turned back into a typed error.
import type { z } from "zod";
import type { Action, Problem } from "@/lib/mdr/schemas";

export type ProblemBody = z.infer<typeof Problem>;

export const PAGE_SIZE = 20;
export const STATUS_KEY = "/api/v1/mdr/status";
export const METRICS_KEY = "/api/v1/mdr/metrics?hours=24";
export const ACTIONS_PATH = "/api/v1/mdr/actions";

export interface ActionsFilter {
  type?: string;
  status?: string;
  cursor?: string;
}

/** The SWR key (and URL) of one page of the audit log; the server renders the first one. */
export function actionsKey(filter: ActionsFilter = {}): string {
  const qs = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filter.type) qs.set("type", filter.type);
  if (filter.status) qs.set("status", filter.status);
  if (filter.cursor) qs.set("cursor", filter.cursor);
  return `${ACTIONS_PATH}?${qs}`;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody | null,
  ) {
    super(problem?.detail ?? `The server answered ${status}.`);
    this.name = "ApiError";
  }
}

async function readProblem(res: Response): Promise<ApiError> {
  let problem: ProblemBody | null = null;
  try {
    const body = (await res.json()) as ProblemBody;
    if (body && typeof body === "object" && typeof body.status === "number") {
      problem = { ...body, errors: Array.isArray(body.errors) ? body.errors : [] };
    }
  } catch {
    // not JSON: a proxy's error page
  }
  return new ApiError(res.status, problem);
}

export async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
  if (!res.ok) throw await readProblem(res);
  return (await res.json()) as T;
}

/** Sends a change (same origin: the session cookie and our Origin go with it); resolves with the answer's JSON. */
export async function sendJson<T>(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: "application/json" } : { "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, {
      type: "about:blank",
      title: "Network error",
      status: 0,
      detail: `The request did not reach the server: ${(err as Error).message}`,
      errors: [],
      request_id: "",
    });
  }
  if (!res.ok) throw await readProblem(res);
  return (await res.json()) as T;
}

/**
 * POSTs an action request; resolves with the recorded action (201 done, 202 still running), or
 * for a list of targets with the bulk's answer (207 every target final, 202 some queued).
 */
export function postAction<T = Action>(path: string, body: Record<string, unknown>): Promise<T> {
  return sendJson<T>("POST", path, body);
}

/** GET /bulk/{id}: the SWR key (and URL) of a bulk's progress. */
export const bulkKey = (id: string) => `/api/v1/mdr/bulk/${id}`;
