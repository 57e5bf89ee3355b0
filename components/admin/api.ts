// The admin page's side of the JSON API: the SWR keys the server renders first, the response
// types (taken from the very functions the routes answer with), and sending a change with the
// server's problem+json turned back into a typed error.
import type { toApiAuditEvent } from "@/lib/auth/audit";
import type { toApiToken } from "@/lib/auth/tokens";
import type { toApiUser } from "@/lib/auth/users";
import type { toApiProtectedAsset } from "@/lib/mdr/protected-assets";
import { ApiError, type ProblemBody } from "@/components/mdr/api";

export type ApiUser = ReturnType<typeof toApiUser>;
export type ApiToken = ReturnType<typeof toApiToken>;
export type NewApiToken = ApiToken & { token: string };
export type ApiProtectedAsset = ReturnType<typeof toApiProtectedAsset>;
export type ApiAuditEvent = ReturnType<typeof toApiAuditEvent>;

export interface UserList {
  users: ApiUser[];
}
export interface TokenList {
  tokens: ApiToken[];
}
export interface ProtectedAssetList {
  protected_assets: ApiProtectedAsset[];
}
export interface AuditList {
  events: ApiAuditEvent[];
  next_cursor: string | null;
}

export const AUDIT_LIMIT = 50;
export const PROTECTED_ASSETS_KEY = "/api/v1/mdr/protected-assets";
export const TOKENS_KEY = "/api/v1/admin/tokens";
export const USERS_KEY = "/api/v1/admin/users";
export const AUDIT_KEY = `/api/v1/admin/audit?limit=${AUDIT_LIMIT}`;

async function problemOf(res: Response): Promise<ApiError> {
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
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as T;
}
