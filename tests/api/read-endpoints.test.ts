// The read side through HTTP on a fresh server with a known set of actions: the audit log
// (filters, pages), one action, metrics, status, the OpenAPI document, and unknown paths.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_PHISHING_MESSAGE } from "@/lib/mdr/providers/simulation";
import { type TestServer, eventually, startServer } from "../support/server";
import {
  HOUR_MS,
  type Json,
  TENANT,
  action,
  anyIso,
  call,
  detail,
  expectProblem,
  get,
  invalidQuery,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";

let server: TestServer;
/** The known actions, by name, in the order they were made. */
const made: Record<string, string> = {};
let ids: string[] = [];
/** Every action as GET /actions/{id} shows it, newest first, once the set is settled. */
let details: Json[] = [];
/** The problem answers the refused actions of the set got. */
const problems: Json[] = [];

async function make(name: string, pathname: string, body: unknown, status: number): Promise<void> {
  const r = await post(server, pathname, body);
  expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(status);
  made[name] = r.body.id ?? r.body.action_id;
  if (status >= 400) problems.push(r.body);
}

beforeAll(async () => {
  server = await startServer({}, "read-endpoints");
  await make("block_defender", "/api/v1/mdr/block-ip", { ip: "185.220.101.34", reason: "Tor exit" }, 201);
  await make("block_nsg", "/api/v1/mdr/block-ip", { ip: "185.220.101.0/24", firewall_type: "azure_nsg", tenant_id: TENANT }, 201);
  await make("disable_alice", "/api/v1/mdr/disable-user", { upn: "alice@contoso.com" }, 201);
  await make("isolate_unknown", "/api/v1/mdr/isolate", { hostname: "nope-host" }, 404);
  await make(
    "quarantine_alice",
    "/api/v1/mdr/quarantine-email",
    { message_id: SIM_PHISHING_MESSAGE.internetMessageId, user_principal_name: "alice@contoso.com" },
    201,
  );
  await make("isolate_ws", "/api/v1/mdr/isolate", { hostname: "ws-0142" }, 202);
  await make("block_aws", "/api/v1/mdr/block-ip", { ip: "194.26.192.0/24", firewall_type: "aws_sg" }, 201);
  await make("isolate_ambiguous", "/api/v1/mdr/isolate", { hostname: "ws-finance-07" }, 409);
  await make("disable_unknown", "/api/v1/mdr/disable-user", { upn: "nobody@contoso.com" }, 404);
  await eventually(
    async () => ((await detail(server, made.isolate_ws!)).status === "succeeded" ? true : undefined),
    15_000,
    "the isolation to succeed",
  );
  ids = Object.values(made).reverse();
  details = await Promise.all(ids.map((id) => detail(server, id)));
});
afterAll(async () => {
  await server?.stop();
});

const listed = () => details.map(withoutTimeline);
const idsOf = (...names: string[]) => names.map((n) => made[n]);

describe("GET /api/v1/mdr/actions", () => {
  it("lists every action newest first, each as its detail shows it", async () => {
    const r = await get(server, "/api/v1/mdr/actions");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.body).toEqual({ actions: listed(), next_cursor: null });
    expect(r.body.actions.map((a: { id: string }) => a.id)).toEqual(ids);
    const times = r.body.actions.map((a: { created_at: string }) => a.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  const filters: [string, string, () => string[]][] = [
    ["type", "type=block_ip", () => idsOf("block_aws", "block_nsg", "block_defender") as string[]],
    ["status", "status=rejected", () => idsOf("disable_unknown", "isolate_ambiguous", "isolate_unknown") as string[]],
    ["type and status", "type=isolate_endpoint&status=succeeded", () => idsOf("isolate_ws") as string[]],
    ["a type with no actions", "type=release_endpoint", () => []],
    ["target (an address)", "target=185.220.101.34", () => idsOf("block_defender") as string[]],
    ["target (a UPN)", "target=alice@contoso.com", () => idsOf("disable_alice") as string[]],
    [
      "target (a Message-ID)",
      `target=${encodeURIComponent(SIM_PHISHING_MESSAGE.internetMessageId)}`,
      () => idsOf("quarantine_alice") as string[],
    ],
    ["tenant_id (any case)", `tenant_id=${TENANT.toUpperCase()}`, () => ids],
    ["another tenant", "tenant_id=fabrikam.onmicrosoft.com", () => []],
  ];
  it.each(filters)("filters by %s", async (_name, query, expected) => {
    const r = await get(server, `/api/v1/mdr/actions?${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const want = expected();
    expect(r.body).toEqual({ actions: listed().filter((a) => want.includes(a.id as string)), next_cursor: null });
    expect(r.body.actions).toHaveLength(want.length);
  });

  /** since/until against the creation time of the fifth action made. */
  const pivot = () => details.find((d) => d.id === made.quarantine_alice).created_at as string;
  const withOffset = (iso: string) => {
    // The same instant written at +02:00.
    const t = new Date(Date.parse(iso) + 2 * HOUR_MS).toISOString().replace("Z", "+02:00");
    expect(Date.parse(t)).toBe(Date.parse(iso));
    return t;
  };
  const times: [string, () => string, (createdAt: number, at: number) => boolean][] = [
    ["since", () => `since=${pivot()}`, (c, at) => c >= at],
    ["until", () => `until=${pivot()}`, (c, at) => c <= at],
    ["since and until the same instant", () => `since=${pivot()}&until=${pivot()}`, (c, at) => c === at],
    ["since with an offset", () => `since=${encodeURIComponent(withOffset(pivot()))}`, (c, at) => c >= at],
    ["until before everything", () => "until=2020-01-01T00:00:00Z", () => false],
    ["since after everything", () => "since=2999-01-01T00:00:00Z", () => false],
  ];
  it.each(times)("filters by %s (to the millisecond, inclusive)", async (name, query, keep) => {
    const at = Date.parse(pivot());
    const r = await get(server, `/api/v1/mdr/actions?${query()}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const want = listed().filter((a) => keep(Date.parse(a.created_at as string), at));
    expect(r.body).toEqual({ actions: want, next_cursor: null });
    if (name.startsWith("since and until")) expect(want.map((a) => a.id)).toContain(made.quarantine_alice);
  });

  it.each([1, 2, 4, 8, 9, 200])("walks every page with limit=%i: all actions once, in order", async (limit) => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r = await get(server, `/api/v1/mdr/actions?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const start = seen.length;
      expect(r.body.actions).toEqual(listed().slice(start, start + limit));
      seen.push(...r.body.actions.map((a: { id: string }) => a.id));
      sizes.push(r.body.actions.length);
      cursor = r.body.next_cursor;
      if (cursor === null) break;
      expect(cursor).toBe(seen.at(-1));
    }
    expect(seen).toEqual(ids);
    expect(new Set(seen).size).toBe(ids.length);
    const full = Math.floor(ids.length / limit);
    const rest = ids.length % limit;
    expect(sizes).toEqual([...Array(full).fill(limit), ...(rest ? [rest] : [])]);
  });

  it("pages a filtered list", async () => {
    const first = await get(server, "/api/v1/mdr/actions?type=block_ip&limit=2");
    expect(first.body).toEqual({
      actions: listed().filter((a) => idsOf("block_aws", "block_nsg").includes(a.id as string)),
      next_cursor: made.block_nsg,
    });
    const second = await get(server, `/api/v1/mdr/actions?type=block_ip&limit=2&cursor=${made.block_nsg}`);
    expect(second.body).toEqual({ actions: listed().filter((a) => a.id === made.block_defender), next_cursor: null });
  });

  const refusals: [string, string, Record<string, unknown>][] = [
    ["limit=0", "limit=0", invalidQuery("limit", "must be between 1 and 200")],
    ["limit=201", "limit=201", invalidQuery("limit", "must be between 1 and 200")],
    ["limit=-1", "limit=-1", invalidQuery("limit", "must be between 1 and 200")],
    // A value that is there but not a number is not a missing one: it must not answer "is required".
    ["limit=abc", "limit=abc", invalidQuery("limit", "Invalid input: expected number, received NaN")],
    ["an unknown parameter", "page=2", invalidQuery("page", "is not a known field")],
    ["a misspelt parameter", "Type=block_ip", invalidQuery("Type", "is not a known field")],
    [
      "a repeated parameter",
      "type=block_ip&type=disable_user",
      problem("validation-failed", "The request query is invalid: type: is given more than once", {
        errors: [{ path: "type", message: "is given more than once" }],
      }),
    ],
    ["a cursor that is not an action id", "cursor=abc", invalidQuery("cursor", "must be an action id like act_01J...")],
    [
      "an unknown type",
      "type=reboot",
      invalidQuery(
        "type",
        'Invalid option: expected one of "isolate_endpoint"|"release_endpoint"|"block_ip"|"unblock_ip"|"change_expiry"|"disable_user"|"enable_user"|"quarantine_email"|"restore_email"',
      ),
    ],
    [
      "an unknown status",
      "status=done",
      invalidQuery("status", 'Invalid option: expected one of "queued"|"pending"|"in_progress"|"succeeded"|"failed"|"rejected"'),
    ],
    ["a bad tenant_id", "tenant_id=contoso", invalidQuery("tenant_id", "must be a tenant GUID or domain name")],
    ["since not a time", "since=yesterday", invalidQuery("since", "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z")],
    ["until not a time", "until=2026-13-01T00:00:00Z", invalidQuery("until", "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z")],
    [
      "until before since",
      "since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
      invalidQuery("until", "must not be before since"),
    ],
  ];
  it.each(refusals)("refuses %s: 422", async (_name, query, expected) => {
    expectProblem(await get(server, `/api/v1/mdr/actions?${query}`), expected);
  });
});

describe("GET /api/v1/mdr/actions/{id}", () => {
  it("shows an action with its whole timeline", async () => {
    const d = await detail(server, made.isolate_ws!);
    expect(d).toEqual({
      ...action({
        id: made.isolate_ws,
        type: "isolate_endpoint",
        status: "succeeded",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        provider_ref: expect.any(String),
        result: {
          machine_id: "792546cf2e567740bf14f0c192a6163af1c517a6",
          computer_dns_name: "ws-0142.corp.contoso.com",
          machine_action_status: "Succeeded",
        },
        active: true,
        completed_at: anyIso(),
      }),
      timeline: [
        { at: d.created_at, status: "pending", message: "Requested by token:tests" },
        {
          at: anyIso(),
          status: "pending",
          message: "Resolved to device 792546cf2e567740bf14f0c192a6163af1c517a6 (ws-0142.corp.contoso.com)",
        },
        {
          at: anyIso(),
          status: "in_progress",
          message: `Defender accepted the isolation: machine action ${d.provider_ref} is Pending`,
        },
        { at: anyIso(), status: "in_progress", message: "Defender: machine action is InProgress" },
        { at: d.completed_at, status: "succeeded", message: "Defender: isolation Succeeded" },
      ],
    });
    steps(d);
  });

  it("shows a rejected action with what was refused", async () => {
    const d = await detail(server, made.isolate_unknown!);
    const message = "[Defender] No device named nope-host is known to Defender for Endpoint";
    expect(d).toEqual({
      ...action({
        id: made.isolate_unknown,
        type: "isolate_endpoint",
        status: "rejected",
        target: "nope-host",
        provider: "defender",
        parameters: { hostname: "nope-host", machine_id: null, isolation_type: "Full" },
        error: message,
        completed_at: d.updated_at,
      }),
      timeline: [
        { at: d.created_at, status: "pending", message: "Requested by token:tests" },
        { at: d.completed_at, status: "rejected", message },
      ],
    });
  });

  it("an unknown id: 404", async () => {
    const id = "act_01ARZ3NDEKTSV4RRFFQ69G5FAV";
    expectProblem(await get(server, `/api/v1/mdr/actions/${id}`), problem("not-found", `No action ${id}.`));
  });

  it.each(["abc", "act_123", "act_01arz3ndektsv4rrffq69g5fav", "act_01ARZ3NDEKTSV4RRFFQ69G5FAU", "ACT_01ARZ3NDEKTSV4RRFFQ69G5FAV"])(
    "a malformed id %s: 422 on id",
    async (id) => {
      expectProblem(
        await get(server, `/api/v1/mdr/actions/${id}`),
        problem("validation-failed", "id: must be an action id like act_01J...", {
          errors: [{ path: "id", message: "must be an action id like act_01J..." }],
        }),
      );
    },
  );
});

describe("GET /api/v1/mdr/metrics", () => {
  /** Nearest-rank percentile of the known set's completion times, from the rows themselves. */
  function completionTimes() {
    const ms = details
      .filter((d) => d.status === "succeeded")
      .map((d) => Date.parse(d.completed_at) - Date.parse(d.created_at))
      .sort((a, b) => a - b);
    const rank = (p: number) => ms[Math.max(1, Math.ceil((p / 100) * ms.length)) - 1];
    return { median: rank(50), p90: rank(90) };
  }

  const zeroStatuses = { queued: 0, pending: 0, in_progress: 0, succeeded: 0, failed: 0, rejected: 0 };

  it.each([24, 1, 168])("counts the known set exactly (hours=%i)", async (hours) => {
    const r = await get(server, hours === 24 ? "/api/v1/mdr/metrics" : `/api/v1/mdr/metrics?hours=${hours}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const m = r.body;
    expect(m).toEqual({
      window: { hours, since: anyIso(), until: anyIso() },
      total: 9,
      by_type: {
        isolate_endpoint: 3,
        release_endpoint: 0,
        block_ip: 3,
        unblock_ip: 0,
        change_expiry: 0,
        disable_user: 2,
        enable_user: 0,
        quarantine_email: 1,
        restore_email: 0,
      },
      by_status: { queued: 0, pending: 0, in_progress: 0, succeeded: 6, failed: 0, rejected: 3 },
      by_type_and_status: {
        isolate_endpoint: { ...zeroStatuses, succeeded: 1, rejected: 2 },
        release_endpoint: zeroStatuses,
        block_ip: { ...zeroStatuses, succeeded: 3 },
        unblock_ip: zeroStatuses,
        change_expiry: zeroStatuses,
        disable_user: { ...zeroStatuses, succeeded: 1, rejected: 1 },
        enable_user: zeroStatuses,
        quarantine_email: { ...zeroStatuses, succeeded: 1 },
        restore_email: zeroStatuses,
      },
      success_rate: 1,
      time_to_completion_ms: completionTimes(),
      contained_now: { isolated_endpoints: 1, active_ip_blocks: 3, disabled_users: 1 },
      per_hour: Array.from({ length: hours }, (_, i) => ({
        hour: new Date(Date.parse(m.window.since) + i * HOUR_MS).toISOString(),
        count: i === hours - 1 ? 9 : 0,
      })),
    });
    expect(Date.parse(m.window.until) - Date.parse(m.window.since)).toBe(hours * HOUR_MS);
    expect(Date.parse(m.window.until)).toBeGreaterThanOrEqual(Date.parse(details[0].updated_at));
  });

  it.each([
    ["hours=0", invalidQuery("hours", "must be between 1 and 168")],
    ["hours=169", invalidQuery("hours", "must be between 1 and 168")],
    ["hours=x", invalidQuery("hours", "Invalid input: expected number, received NaN")],
    ["days=1", invalidQuery("days", "is not a known field")],
    [
      "hours=1&hours=2",
      problem("validation-failed", "The request query is invalid: hours: is given more than once", {
        errors: [{ path: "hours", message: "is given more than once" }],
      }),
    ],
  ])("refuses %s: 422", async (query, expected) => {
    expectProblem(await get(server, `/api/v1/mdr/metrics?${query}`), expected);
  });
});

describe("GET /api/v1/mdr/status", () => {
  it("is healthy in simulation, every service up", async () => {
    const r = await get(server, "/api/v1/mdr/status");
    const up = { status: "up", latency_ms: expect.any(Number), error: null };
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: {
        status: "healthy",
        mode: "simulation",
        checked_at: anyIso(),
        services: { defender: up, graph: up, azure_nsg: up, aws: up, aws_waf: up },
      },
    });
    for (const s of Object.values(r.body.services) as { latency_ms: number }[]) {
      expect(s.latency_ms).toBeGreaterThanOrEqual(0);
    }
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(Math.abs(Date.parse(r.body.checked_at) - Date.now())).toBeLessThan(60_000);
  });
});

describe("GET /api/v1/openapi.json", () => {
  const PATHS = {
    "/api/v1/mdr/isolate": ["post"],
    "/api/v1/mdr/block-ip": ["post"],
    "/api/v1/mdr/disable-user": ["post"],
    "/api/v1/mdr/quarantine-email": ["post"],
    "/api/v1/mdr/actions": ["get"],
    "/api/v1/mdr/actions/export": ["get"],
    "/api/v1/mdr/actions/{id}": ["get", "patch"],
    "/api/v1/mdr/actions/{id}/revert": ["post"],
    "/api/v1/mdr/bulk/{id}": ["get"],
    "/api/v1/mdr/bulk/{id}/revert": ["post"],
    "/api/v1/mdr/status": ["get"],
    "/api/v1/mdr/metrics": ["get"],
    "/api/v1/mdr/protected-assets": ["get", "post"],
    "/api/v1/mdr/protected-assets/{id}": ["delete"],
    "/api/v1/auth/login": ["post"],
    "/api/v1/auth/logout": ["post"],
    "/api/v1/auth/me": ["get"],
    "/api/v1/auth/password": ["post"],
    "/api/v1/admin/users": ["get", "post"],
    "/api/v1/admin/users/{username}": ["patch"],
    "/api/v1/admin/tokens": ["get", "post"],
    "/api/v1/admin/tokens/{id}": ["delete"],
    "/api/v1/admin/audit": ["get"],
    "/api/v1/admin/audit/verify": ["get"],
    "/api/v1/admin/audit/export": ["get"],
  };
  const ACTION_POSTS = ["/api/v1/mdr/isolate", "/api/v1/mdr/block-ip", "/api/v1/mdr/disable-user", "/api/v1/mdr/quarantine-email"];
  const REQUESTS = [
    "IsolateRequest",
    "BlockIpRequest",
    "DisableUserRequest",
    "QuarantineEmailRequest",
    "RevertRequest",
    "BulkIsolateRequest",
    "BulkBlockIpRequest",
    "BulkDisableUserRequest",
    "BulkQuarantineEmailRequest",
    "ChangeExpiryRequest",
  ];
  const AUTH_REQUESTS = ["SignInRequest", "ChangePasswordRequest", "CreateUserRequest", "UpdateUserRequest", "CreateTokenRequest", "ProtectedAssetInput"];

  let doc: Json;
  beforeAll(async () => {
    const r = await get(server, "/api/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    doc = r.body;
  });

  it("is OpenAPI 3.1.0 with every API path and its methods", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toEqual({ title: "MDR Response Actions", version: "1.0.0", description: expect.any(String) });
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(PATHS).sort());
    for (const [path, methods] of Object.entries(PATHS)) expect(Object.keys(doc.paths[path]), path).toEqual(methods);
  });

  it("has the component schemas, and every $ref resolves", () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      [...REQUESTS, ...AUTH_REQUESTS, "Action", "ActionDetail", "ActionList", "BulkResponse", "BulkStatus", "StatusResponse", "MetricsResponse", "Problem"].sort(),
    );
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = /#\/components\/schemas\/([^"]+)"/.exec(ref)?.[1];
      expect(name && doc.components.schemas[name], ref).toBeTruthy();
    }
  });

  it("every operation but sign-in needs a credential: bearer token or session cookie; each names its least role", () => {
    expect(doc.security).toEqual([{ bearerToken: [] }, { sessionCookie: [] }]);
    expect(doc.components.securitySchemes).toEqual({
      bearerToken: { type: "http", scheme: "bearer", description: expect.any(String) },
      sessionCookie: { type: "apiKey", in: "cookie", name: "mdr_session", description: expect.any(String) },
    });
    const roles: Record<string, string> = {};
    for (const [path, ops] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(ops)) {
        roles[`${method.toUpperCase()} ${path}`] = op["x-required-role"] ?? (op.security?.length === 0 ? "public" : "?");
        if (op.security?.length !== 0) expect(op.responses["401"], `${method} ${path}`).toBeDefined();
      }
    }
    expect(roles).toEqual({
      "POST /api/v1/mdr/isolate": "responder",
      "POST /api/v1/mdr/block-ip": "responder",
      "POST /api/v1/mdr/disable-user": "responder",
      "POST /api/v1/mdr/quarantine-email": "responder",
      "GET /api/v1/mdr/actions": "viewer",
      "GET /api/v1/mdr/actions/export": "viewer",
      "GET /api/v1/mdr/actions/{id}": "viewer",
      "PATCH /api/v1/mdr/actions/{id}": "responder",
      "POST /api/v1/mdr/actions/{id}/revert": "responder",
      "GET /api/v1/mdr/bulk/{id}": "viewer",
      "POST /api/v1/mdr/bulk/{id}/revert": "responder",
      "GET /api/v1/mdr/status": "viewer",
      "GET /api/v1/mdr/metrics": "viewer",
      "GET /api/v1/mdr/protected-assets": "viewer",
      "POST /api/v1/mdr/protected-assets": "admin",
      "DELETE /api/v1/mdr/protected-assets/{id}": "admin",
      "POST /api/v1/auth/login": "public",
      "POST /api/v1/auth/logout": "viewer",
      "GET /api/v1/auth/me": "viewer",
      "POST /api/v1/auth/password": "viewer",
      "GET /api/v1/admin/users": "admin",
      "POST /api/v1/admin/users": "admin",
      "PATCH /api/v1/admin/users/{username}": "admin",
      "GET /api/v1/admin/tokens": "admin",
      "POST /api/v1/admin/tokens": "admin",
      "DELETE /api/v1/admin/tokens/{id}": "admin",
      "GET /api/v1/admin/audit": "admin",
      "GET /api/v1/admin/audit/verify": "admin",
      "GET /api/v1/admin/audit/export": "admin",
    });
  });

  it.each(REQUESTS)("%s rejects additional properties", (name) => {
    expect(doc.components.schemas[name]).toMatchObject({ type: "object", additionalProperties: false });
  });

  it("documents each action POST's answers, problems as application/problem+json", () => {
    for (const path of ACTION_POSTS) {
      const op = doc.paths[path].post;
      // Every action route also takes a list (hostnames, ips, upns), answered with 207.
      const bulk = ["207"];
      expect(Object.keys(op.responses).sort(), path).toEqual(
        ["201", "202", ...bulk, "400", "401", "403", "404", "409", "413", "415", "422", "429", "502", "503", "504"].sort(),
      );
      expect(op["x-required-role"], path).toBe("responder");
      expect(op.responses["422"].content).toEqual({
        "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
      });
    }
  });

  it("the request schemas name the fields the routes take", () => {
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties).sort();
    expect(props("IsolateRequest")).toEqual(["hostname", "isolation_type", "machine_id", "reason", "tenant_id"]);
    expect(props("BlockIpRequest")).toEqual(["duration_hours", "firewall_type", "ip", "priority", "reason", "tenant_id"]);
    expect(props("DisableUserRequest")).toEqual(["reason", "revoke_sessions", "tenant_id", "upn"]);
    expect(props("QuarantineEmailRequest")).toEqual(["action", "message_id", "reason", "tenant_id", "user_principal_name"]);
    expect(doc.components.schemas.BlockIpRequest.required).toEqual(["ip"]);
    expect(props("BulkIsolateRequest")).toEqual(["hostnames", "isolation_type", "reason", "tenant_id"]);
    expect(props("BulkBlockIpRequest")).toEqual(["duration_hours", "firewall_type", "ips", "reason", "tenant_id"]);
    expect(doc.components.schemas.BulkBlockIpRequest.properties.ips).toMatchObject({ type: "array", minItems: 1, maxItems: 500 });
    expect(props("BulkDisableUserRequest")).toEqual(["reason", "revoke_sessions", "tenant_id", "upns"]);
    expect(props("BulkQuarantineEmailRequest")).toEqual(["action", "message_id", "reason", "tenant_id", "upns"]);
    expect(doc.components.schemas.BulkDisableUserRequest.properties.upns).toMatchObject({ type: "array", minItems: 1, maxItems: 500 });
    expect(doc.components.schemas.BulkQuarantineEmailRequest.required.sort()).toEqual(["message_id", "upns"]);
    expect(props("ChangeExpiryRequest")).toEqual(["expires_at", "reason"]);
    expect(doc.paths["/api/v1/mdr/block-ip"].post.requestBody.content["application/json"].schema).toEqual({
      oneOf: [{ $ref: "#/components/schemas/BlockIpRequest" }, { $ref: "#/components/schemas/BulkBlockIpRequest" }],
    });
    for (const [route, single, bulk] of [
      ["disable-user", "DisableUserRequest", "BulkDisableUserRequest"],
      ["quarantine-email", "QuarantineEmailRequest", "BulkQuarantineEmailRequest"],
    ]) {
      const post = doc.paths[`/api/v1/mdr/${route}`].post;
      expect(post.requestBody.content["application/json"].schema).toEqual({
        oneOf: [{ $ref: `#/components/schemas/${single}` }, { $ref: `#/components/schemas/${bulk}` }],
      });
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["201", "202", "207"]));
      expect(post.responses["207"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/BulkResponse" });
    }
  });

  it("the Action schema describes exactly the members an action answer has", () => {
    const schema = doc.components.schemas.Action;
    const body = withoutTimeline(details[0]);
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(body).sort());
    expect([...schema.required].sort()).toEqual(Object.keys(body).sort());
    expect(Object.keys(doc.components.schemas.ActionDetail.properties).sort()).toEqual(Object.keys(details[0]).sort());
  });

  it("the Problem schema describes every member a problem answer has (action_id, action_status, candidates)", () => {
    const schema = doc.components.schemas.Problem;
    expect(problems.map((p) => p.status)).toEqual([404, 409, 404]);
    for (const p of problems) {
      for (const key of Object.keys(p)) expect(schema.properties, `Problem.${key}`).toHaveProperty(key);
      for (const key of schema.required) expect(p, `${key} is required`).toHaveProperty(key);
    }
    expect(schema.properties.action_status).toEqual({
      type: "string",
      enum: ["queued", "pending", "in_progress", "succeeded", "failed", "rejected"],
    });
    const candidate = schema.properties.candidates.items;
    expect(Object.keys(candidate.properties).sort()).toEqual(["id", "last_seen", "name"]);
  });

  it("the query parameters are those the list and metrics routes take", () => {
    const names = (path: string) => doc.paths[path].get.parameters.map((p: { name: string }) => p.name).sort();
    expect(names("/api/v1/mdr/actions")).toEqual(["cursor", "limit", "since", "status", "target", "tenant_id", "type", "until"]);
    expect(names("/api/v1/mdr/actions/export")).toEqual(["format", "since", "status", "target", "tenant_id", "type", "until"]);
    expect(names("/api/v1/admin/audit/export")).toEqual(["event", "format", "since", "until"]);
    expect(names("/api/v1/mdr/metrics")).toEqual(["hours"]);
  });
});

describe("unknown paths and methods", () => {
  it.each([
    ["GET", "/api/v1/mdr/nope"],
    ["GET", "/api/nope"],
    ["POST", "/api/v1/mdr/isolate-endpoint"],
    ["DELETE", "/api/v1/mdr/actions/act_01ARZ3NDEKTSV4RRFFQ69G5FAV/timeline"],
    ["GET", "/api/v2/mdr/actions"],
  ])("%s %s: 404 problem+json", async (method, path) => {
    expectProblem(await call(server, path, { method }), problem("not-found", `No API route ${path}.`));
  });

  it.each(["/api/v1/auth/oidc/login", "/api/v1/auth/oidc/callback"])("GET %s without single sign-on configured: 404 problem+json", async (path) => {
    const r = await call(server, `${path}?next=/mdr`, { headers: { authorization: "" } });
    expectProblem(r, problem("not-found", "Single sign-on is not configured (MDR_OIDC_ISSUER, MDR_OIDC_CLIENT_ID)."));
  });

  it.each([
    ["/api/v1/mdr/actions", "POST"],
    ["/api/v1/mdr/status", "PUT"],
    ["/api/v1/mdr/metrics", "PATCH"],
    ["/api/v1/openapi.json", "POST"],
  ])("%s with %s: 405 with Allow: GET", async (path, method) => {
    const r = await call(server, path, { method });
    expectProblem(r, problem("method-not-allowed", `${method} is not allowed here; use GET.`));
    expect(r.headers.get("allow")).toBe("GET");
  });

  it.each(["DELETE", "POST", "PUT"])("an action with %s: 405 with Allow: GET, PATCH", async (method) => {
    const r = await call(server, "/api/v1/mdr/actions/act_01ARZ3NDEKTSV4RRFFQ69G5FAV", { method });
    expectProblem(r, problem("method-not-allowed", `${method} is not allowed here; use GET or PATCH.`));
    expect(r.headers.get("allow")).toBe("GET, PATCH");
  });

  it("none of the above added an action", async () => {
    expect((await get(server, "/api/v1/mdr/actions?limit=200")).body.actions).toHaveLength(ids.length);
  });
});

// Last: adds actions, so everything above sees only the known set.
describe("the default page size", () => {
  it("is 50", async () => {
    for (let i = 0; i < 45; i++) {
      const r = await post(server, "/api/v1/mdr/isolate", { hostname: `gone-${i}` });
      expect(r.status).toBe(404);
    }
    const first = await get(server, "/api/v1/mdr/actions");
    expect(first.body.actions).toHaveLength(50);
    expect(first.body.next_cursor).toBe(first.body.actions[49].id);
    const rest = await get(server, `/api/v1/mdr/actions?cursor=${first.body.next_cursor}`);
    expect(rest.body).toEqual({ actions: listed().slice(-4), next_cursor: null });
  });
});
