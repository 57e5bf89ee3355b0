// Shared by the API tests: calling the server, and the expected shapes of whole response bodies
// (actions and RFC 9457 problems) with matchers only where a value is made by the server.
import { expect } from "vitest";
import { SIM_TENANT_ID } from "@/lib/mdr/providers/simulation";
import type { TestServer } from "../support/server";

export const TENANT = SIM_TENANT_ID;
export const HOUR_MS = 3_600_000;

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const ACTION_ID = /^act_[0-9A-HJKMNP-TV-Z]{26}$/;
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const anyIso = () => expect.stringMatching(ISO);
export const anyActionId = () => expect.stringMatching(ACTION_ID);

/** The routes that take a JSON body, each with a body it accepts. */
export const POST_ROUTES = {
  "/api/v1/mdr/isolate": { hostname: "ws-0142" },
  "/api/v1/mdr/block-ip": { ip: "185.220.101.34" },
  "/api/v1/mdr/disable-user": { upn: "alice@contoso.com" },
  "/api/v1/mdr/quarantine-email": {
    message_id: "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>",
    user_principal_name: "alice@contoso.com",
  },
} as const;

/** A parsed JSON answer: the tests assert on its whole shape, so it is left loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
}

/** Sends a request and reads the whole answer; the body is parsed when it is JSON. */
export async function call(server: TestServer, pathname: string, init?: RequestInit): Promise<Reply> {
  const res = await server.fetch(pathname, init);
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, body: /\bjson\b/.test(type) && text !== "" ? JSON.parse(text) : text };
}

export async function post(server: TestServer, pathname: string, body: unknown): Promise<Reply> {
  return call(server, pathname, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export const get = (server: TestServer, pathname: string): Promise<Reply> => call(server, pathname);

/** One action with its timeline, or fails the test. */
export async function detail(server: TestServer, id: string): Promise<Json> {
  const r = await get(server, `/api/v1/mdr/actions/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Every action in the audit log, newest first, walking all pages. */
export async function allActions(server: TestServer, query = ""): Promise<Json[]> {
  const out: Json[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams(query);
    qs.set("limit", "200");
    if (cursor) qs.set("cursor", cursor);
    const r = await get(server, `/api/v1/mdr/actions?${qs}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...r.body.actions);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

export const countActions = async (server: TestServer): Promise<number> => (await allActions(server)).length;

/** An action body: every member, with the defaults of a fresh row; `over` replaces members. */
export function action(over: Record<string, unknown>): Record<string, unknown> {
  return {
    id: anyActionId(),
    type: expect.any(String),
    status: expect.any(String),
    target: expect.any(String),
    tenant_id: TENANT,
    provider: expect.any(String),
    mode: "simulation",
    parameters: expect.any(Object),
    reason: null,
    requested_by: "token:tests",
    provider_ref: null,
    result: null,
    error: null,
    active: false,
    created_at: anyIso(),
    updated_at: anyIso(),
    completed_at: null,
    expires_at: null,
    reverts: null,
    reverted_by: null,
    ...over,
  };
}

const TITLES = {
  "malformed-json": [400, "Malformed JSON"],
  "malformed-path": [400, "Malformed path"],
  unauthorized: [401, "Unauthorized"],
  forbidden: [403, "Forbidden"],
  "password-change-required": [403, "Password change required"],
  "protected-asset": [403, "Protected asset"],
  "tenant-forbidden": [403, "Tenant outside your scope"],
  "not-found": [404, "Not found"],
  "method-not-allowed": [405, "Method not allowed"],
  "ambiguous-target": [409, "Ambiguous target"],
  conflict: [409, "Conflict"],
  "payload-too-large": [413, "Payload too large"],
  "unsupported-media-type": [415, "Unsupported media type"],
  "validation-failed": [422, "Validation failed"],
  "rate-limited": [429, "Too many requests"],
  internal: [500, "Internal server error"],
  "provider-error": [502, "Provider error"],
  "provider-unavailable": [503, "Provider unavailable"],
  "provider-timeout": [504, "Provider timeout"],
} as const;

export type ProblemType = keyof typeof TITLES;

/** A whole problem+json body. */
export function problem(
  type: ProblemType,
  detail: string,
  extra: { errors?: { path: string; message: string }[] } & Record<string, unknown> = {},
): Record<string, unknown> {
  const [status, title] = TITLES[type];
  return {
    type: `urn:mdr:problem:${type}`,
    title,
    status,
    detail,
    errors: [],
    request_id: expect.stringMatching(GUID),
    ...extra,
  };
}

/** A 422 for one field of a JSON body. */
export function invalidBody(path: string, message: string): Record<string, unknown> {
  return problem("validation-failed", `The request body is invalid: ${path}: ${message}`, {
    errors: [{ path, message }],
  });
}

/** A 422 for one query parameter. */
export function invalidQuery(path: string, message: string): Record<string, unknown> {
  return problem("validation-failed", `The request query is invalid: ${path}: ${message}`, {
    errors: [{ path, message }],
  });
}

/** Asserts a problem answer: status, content type, request id header and the whole body. */
export function expectProblem(reply: Reply, expected: Record<string, unknown>): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status: expected.status, body: expected });
  expect(reply.headers.get("content-type")).toBe("application/problem+json");
  expect(reply.headers.get("x-request-id")).toBe(reply.body.request_id);
}

/** Asserts a created/accepted action answer: status, Location, JSON and the whole body. */
export function expectAction(reply: Reply, status: 201 | 202, expected: Record<string, unknown>): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: expected });
  expect(reply.headers.get("content-type")).toBe("application/json");
  expect(reply.headers.get("location")).toBe(`/api/v1/mdr/actions/${reply.body.id}`);
  expect(reply.headers.get("x-request-id")).toMatch(GUID);
}

/** The detail of an action as [status, message] pairs, after checking every `at` is a time in order. */
export function steps(detailBody: { timeline: { at: string; status: string; message: string }[] }): [string, string][] {
  const times = detailBody.timeline.map((e) => e.at);
  for (const t of times) expect(t).toMatch(ISO);
  expect([...times].sort()).toEqual(times);
  return detailBody.timeline.map((e) => [e.status, e.message]);
}

/** An action detail without its timeline: what the list and POST answers show. */
export function withoutTimeline(d: Record<string, unknown>): Record<string, unknown> {
  const { timeline: _timeline, ...rest } = d;
  return rest;
}

/** What a Defender block's timeline says it did: the indicator is submitted, and devices enforce it later. */
export const defenderSubmitted = (ip: string, ref: string, until: string): string =>
  `Submitted ${ip} to Defender for Endpoint (IP indicator) as a Block IP indicator (${ref}) until ${until}: devices enforce it only with network protection in block mode and Custom network indicators on (Settings > Endpoints > General > Advanced features); it can take up to 48 hours to reach them, usually under 2`;
