// Who may call what, against the production server. Two kinds of test:
//
// - One per route (the ROUTES table, which must list every route file under app/api): each method
//   is asked with the credential just below its least role (no credential for a viewer route: a
//   401; the next role down otherwise: a 403 naming the role) and with exactly that role (its 2xx,
//   with a valid body, or its 404/405/409 problem). This proves each route file is wrapped and
//   declares the right role; a method a route does not serve answers 405 with its Allow.
// - One per rule of the wrapper (lib/http/route.ts, lib/http/auth.ts), on one representative route:
//   each kind of bad credential is a 401 with its challenge whatever the token's role, a role too
//   low a 403 without one, a higher role has the lower ones' rights, an unserved method is a 405 for
//   every role, a public route takes any credential. CSRF on cookie writes and ended sessions are in
//   auth-flows.test.ts ("CSRF: ...", "sign-out", "users").
//
// Refusals are whole problem+json documents and write nothing. Also: the pages without a session.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "@/lib/auth/enums";
import { type TestServer, mintToken, startServer } from "../support/server";
import { ACTION_ID, GUID, type Reply, post } from "./helpers";
import {
  DbProbe,
  NO_CREDENTIALS,
  bearer,
  expectProblemReply,
  expectUnauthorized,
  problemOf,
  raw,
  signIn,
} from "./auth-helpers";

const ADMIN_PASSWORD = "matrix admin password";
const USER_PASSWORD = "matrix user password";

let server: TestServer;
let probe: DbProbe;
const tokens = {} as Record<Role | "expired" | "revoked", string>;
/** Made before the matrix runs, used up by it: one per right-role request that needs its own. */
const pool = { blocks: [] as string[], tokenIds: [] as string[], assetIds: [] as string[] };
/** The block that GET and PATCH /actions/{id} act on (never reverted). */
let someActionId = "";

beforeAll(async () => {
  server = await startServer({ MDR_ADMIN_PASSWORD: ADMIN_PASSWORD, MDR_ACTOR_RATE_LIMIT: "0" }, "auth-matrix");
  probe = new DbProbe(server.dbPath);
  for (const role of ["viewer", "responder", "admin"] as const) tokens[role] = mintToken(server.dbPath, `m-${role}`, role);
  // Expired a second ago (the API refuses to make one in the past; the CLI's path, createToken, does not check).
  tokens.expired = mintToken(server.dbPath, "m-expired", "admin", Date.now() - 1000);
  tokens.revoked = mintToken(server.dbPath, "m-revoked", "admin");
  const list = await raw(server, "/api/v1/admin/tokens", { headers: bearer(server.token) });
  const revokedId = list.body.tokens.find((t: { name: string }) => t.name === "m-revoked").id;
  const revoked = await raw(server, `/api/v1/admin/tokens/${revokedId}`, { method: "DELETE", headers: bearer(server.token) });
  expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);

  // Things the right-role requests act on: one block to read and move, one to revert, a token to
  // revoke, a protected asset to remove.
  for (let i = 0; i < 2; i++) {
    const r = await post(server, "/api/v1/mdr/block-ip", { ip: `185.220.102.${i + 1}`, reason: "matrix setup" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    pool.blocks.push(r.body.id);
  }
  someActionId = pool.blocks.shift()!;
  const victim = await post(server, "/api/v1/admin/tokens", { name: "victim", role: "viewer" });
  expect(victim.status).toBe(201);
  pool.tokenIds.push(victim.body.id);
  const asset = await post(server, "/api/v1/mdr/protected-assets", { kind: "hostname", pattern: "matrix-victim" });
  expect(asset.status).toBe(201);
  pool.assetIds.push(asset.body.id);
  for (const name of ["matrix-user", "patch-me"]) {
    const r = await post(server, "/api/v1/admin/users", { username: name, role: "viewer", password: USER_PASSWORD });
    expect(r.status).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  probe?.close();
  await server?.stop();
});

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

interface Served {
  /** The least role; `public` for sign-in only. */
  role: Role | "public";
  /** A fresh body for the right role's request (called once per request). */
  body?: () => unknown;
  /** A fresh path, when the right role's request needs its own target. */
  path?: () => string;
  /** What the right role gets, and what that request writes. */
  status: number;
  /** The problem's detail, for a 404 that is not "No API route" or a 409 that is not sign-out's. */
  detail?: string;
  actions?: number;
  audit?: number;
  /** The answer is another action than the one written (a PATCH answers with the block it changed). */
  answersOther?: boolean;
  /** The answer's content type, when not JSON (an export). */
  contentType?: string;
}

interface RouteSpec {
  /** The route file this row stands for. */
  file: string;
  path: string;
  served: Partial<Record<Method, Served>>;
}

let counter = 0;
const next = () => ++counter;

const TOKEN_ID = "tok_01JA0000000000000000000000";
const ASSET_ID = "pa_01JA0000000000000000000000";
const ACTION = "act_01JA0000000000000000000000";

const NDJSON = "application/x-ndjson; charset=utf-8";

const ROUTES: RouteSpec[] = [
  { file: "app/api/[...path]/route.ts", path: "/api/unknown", served: Object.fromEntries(METHODS.map((m) => [m, { role: "viewer", status: 404 }])) },
  { file: "app/api/[...path]/route.ts", path: "/api/v2/mdr/isolate", served: Object.fromEntries(METHODS.map((m) => [m, { role: "viewer", status: 404 }])) },
  { file: "app/api/v1/openapi.json/route.ts", path: "/api/v1/openapi.json", served: { GET: { role: "viewer", status: 200 } } },
  {
    file: "app/api/v1/auth/login/route.ts",
    path: "/api/v1/auth/login",
    served: { POST: { role: "public", status: 200, audit: 1, body: () => ({ username: "matrix-user", password: USER_PASSWORD }) } },
  },
  // Single sign-on is not configured on this server: both ends say so (to anyone; they are public).
  ...["login", "callback"].map((end) => ({
    file: `app/api/v1/auth/oidc/${end}/route.ts`,
    path: `/api/v1/auth/oidc/${end}`,
    served: { GET: { role: "public" as const, status: 404, detail: "Single sign-on is not configured (MDR_OIDC_ISSUER, MDR_OIDC_CLIENT_ID)." } },
  })),
  // A token is not a session: signing "out" with one is a 409 that says so.
  { file: "app/api/v1/auth/logout/route.ts", path: "/api/v1/auth/logout", served: { POST: { role: "viewer", status: 409 } } },
  { file: "app/api/v1/auth/me/route.ts", path: "/api/v1/auth/me", served: { GET: { role: "viewer", status: 200 } } },
  // Nor has a token a password to change (sign-in-hardening.test.ts changes a session's).
  {
    file: "app/api/v1/auth/password/route.ts",
    path: "/api/v1/auth/password",
    served: { POST: { role: "viewer", status: 409, detail: "This request carries an API token, not a session; a token has no password." } },
  },
  { file: "app/api/v1/admin/audit/route.ts", path: "/api/v1/admin/audit", served: { GET: { role: "admin", status: 200 } } },
  { file: "app/api/v1/admin/audit/verify/route.ts", path: "/api/v1/admin/audit/verify", served: { GET: { role: "admin", status: 200 } } },
  { file: "app/api/v1/admin/audit/export/route.ts", path: "/api/v1/admin/audit/export", served: { GET: { role: "admin", status: 200, contentType: NDJSON } } },
  {
    file: "app/api/v1/admin/tokens/route.ts",
    path: "/api/v1/admin/tokens",
    served: {
      GET: { role: "admin", status: 200 },
      POST: { role: "admin", status: 201, audit: 1, body: () => ({ name: `made-${next()}`, role: "viewer" }) },
    },
  },
  {
    file: "app/api/v1/admin/tokens/[id]/route.ts",
    path: `/api/v1/admin/tokens/${TOKEN_ID}`,
    served: { DELETE: { role: "admin", status: 200, audit: 1, path: () => `/api/v1/admin/tokens/${pool.tokenIds.shift()}` } },
  },
  {
    file: "app/api/v1/admin/users/route.ts",
    path: "/api/v1/admin/users",
    served: {
      GET: { role: "admin", status: 200 },
      POST: { role: "admin", status: 201, audit: 1, body: () => ({ username: `made-${next()}`, role: "viewer", password: USER_PASSWORD }) },
    },
  },
  {
    file: "app/api/v1/admin/users/[username]/route.ts",
    path: "/api/v1/admin/users/patch-me",
    served: { PATCH: { role: "admin", status: 200, audit: 1, body: () => ({ role: "responder" }) } },
  },
  { file: "app/api/v1/mdr/actions/route.ts", path: "/api/v1/mdr/actions", served: { GET: { role: "viewer", status: 200 } } },
  { file: "app/api/v1/mdr/actions/export/route.ts", path: "/api/v1/mdr/actions/export", served: { GET: { role: "viewer", status: 200, contentType: NDJSON } } },
  {
    file: "app/api/v1/mdr/actions/[id]/route.ts",
    path: `/api/v1/mdr/actions/${ACTION}`,
    served: {
      GET: { role: "viewer", status: 200, path: () => `/api/v1/mdr/actions/${someActionId}` },
      PATCH: {
        role: "responder",
        status: 200,
        // A change of expiry is an action of its own (change_expiry); the answer is the block.
        actions: 1,
        answersOther: true,
        path: () => `/api/v1/mdr/actions/${someActionId}`,
        body: () => ({ expires_at: new Date(Date.now() + 48 * 3_600_000 + next() * 1000).toISOString() }),
      },
    },
  },
  {
    file: "app/api/v1/mdr/actions/[id]/revert/route.ts",
    path: `/api/v1/mdr/actions/${ACTION}/revert`,
    served: {
      POST: {
        role: "responder",
        status: 201,
        actions: 1,
        path: () => `/api/v1/mdr/actions/${pool.blocks.shift()}/revert`,
        body: () => ({ reason: "matrix" }),
      },
    },
  },
  {
    file: "app/api/v1/mdr/bulk/[id]/route.ts",
    path: "/api/v1/mdr/bulk/blk_01JZ0000000000000000000000",
    served: { GET: { role: "viewer", status: 404, detail: "No bulk blk_01JZ0000000000000000000000." } },
  },
  {
    file: "app/api/v1/mdr/bulk/[id]/revert/route.ts",
    path: "/api/v1/mdr/bulk/blk_01JZ0000000000000000000000/revert",
    served: { POST: { role: "responder", status: 404, detail: "No bulk blk_01JZ0000000000000000000000.", body: () => ({}) } },
  },
  {
    file: "app/api/v1/mdr/isolate/route.ts",
    path: "/api/v1/mdr/isolate",
    served: { POST: { role: "responder", status: 202, actions: 1, body: () => ({ hostname: "ws-0143" }) } },
  },
  {
    file: "app/api/v1/mdr/block-ip/route.ts",
    path: "/api/v1/mdr/block-ip",
    served: { POST: { role: "responder", status: 201, actions: 1, body: () => ({ ip: `185.220.101.${next()}` }) } },
  },
  {
    file: "app/api/v1/mdr/disable-user/route.ts",
    path: "/api/v1/mdr/disable-user",
    served: {
      POST: { role: "responder", status: 201, actions: 1, body: () => ({ upn: "jdoe@contoso.com" }) },
    },
  },
  {
    file: "app/api/v1/mdr/quarantine-email/route.ts",
    path: "/api/v1/mdr/quarantine-email",
    served: {
      POST: {
        role: "responder",
        status: 201,
        actions: 1,
        body: () => ({
          message_id: "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>",
          user_principal_name: "alice@contoso.com",
        }),
      },
    },
  },
  { file: "app/api/v1/mdr/metrics/route.ts", path: "/api/v1/mdr/metrics", served: { GET: { role: "viewer", status: 200 } } },
  { file: "app/api/v1/mdr/status/route.ts", path: "/api/v1/mdr/status", served: { GET: { role: "viewer", status: 200 } } },
  {
    file: "app/api/v1/mdr/protected-assets/route.ts",
    path: "/api/v1/mdr/protected-assets",
    served: {
      GET: { role: "viewer", status: 200 },
      POST: { role: "admin", status: 201, audit: 1, body: () => ({ kind: "hostname", pattern: `matrix-${next()}-*` }) },
    },
  },
  {
    file: "app/api/v1/mdr/protected-assets/[id]/route.ts",
    path: `/api/v1/mdr/protected-assets/${ASSET_ID}`,
    served: { DELETE: { role: "admin", status: 200, audit: 1, path: () => `/api/v1/mdr/protected-assets/${pool.assetIds.shift()}` } },
  },
];

it("the table covers every route file under app/api", () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "route.ts") files.push(path.relative(process.cwd(), p));
    }
  };
  walk(path.join(process.cwd(), "app/api"));
  expect([...new Set(ROUTES.map((r) => r.file))].sort()).toEqual(files.sort());
  // Each route file's exported methods: the ones the table serves, the rest answer 405.
  for (const r of ROUTES) {
    const source = fs.readFileSync(r.file, "utf8");
    for (const m of METHODS) expect(source, `${r.file} ${m}`).toMatch(new RegExp(`\\b${m}\\b`));
  }
});

type Credential = "none" | "malformed" | "unknown" | "expired" | "revoked" | Role;
const CREDENTIALS: Credential[] = ["none", "malformed", "unknown", "expired", "revoked", "viewer", "responder", "admin"];
/** The credential just below a role: none for a viewer route, the next role down otherwise. */
const BELOW: Record<Role, Credential> = { viewer: "none", responder: "viewer", admin: "responder" };

function headersFor(cred: Credential): Record<string, string> {
  switch (cred) {
    case "none":
      return {};
    case "malformed":
      return { authorization: "Basic YWRtaW46cGFzc3dvcmQ=" };
    case "unknown":
      return bearer(`mdr_${"Q".repeat(43)}`);
    default:
      return bearer(tokens[cred]);
  }
}

/** The least role a method of a route needs, and what the right role gets: unserved methods are 405 for any viewer. */
function servedOrNotAllowed(r: RouteSpec, m: Method): Served & { allow?: string } {
  const s = r.served[m];
  if (s) return s;
  const allow = METHODS.filter((x) => r.served[x]).join(", ");
  return { role: "viewer", status: 405, allow };
}

/** A route's test name: each served method with its least role (and its answer, when that is not a 2xx). */
function routeName(r: RouteSpec): string {
  const served = METHODS.filter((m) => r.served[m]).map((m) => {
    const s = r.served[m]!;
    return `${m} ${s.role}${s.status >= 300 ? ` (${s.status})` : ""}`;
  });
  const others = METHODS.length - served.length;
  return `${r.path}: ${served.join(", ")}${others ? `; ${others === 1 ? "the other method" : `the ${others} others`} 405` : ""}`;
}

interface Sent {
  reply: Reply;
  /** Rows the request added to the server's database. */
  wrote: { actions: number; audit: number };
}

/** One request with exactly this credential (and a JSON body when given); what it answered and wrote. */
async function send(m: Method, pathname: string, cred: Credential, body?: unknown): Promise<Sent> {
  const actionsBefore = probe.count("actions");
  const auditBefore = probe.count("audit_events");
  const reply = await raw(server, pathname, {
    method: m,
    headers: { ...headersFor(cred), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { reply, wrote: { actions: probe.count("actions") - actionsBefore, audit: probe.count("audit_events") - auditBefore } };
}

/** The refusal of a credential that does not hold (401 with its challenge) or of a role below `need` (403); nothing written. */
function expectRefused({ reply, wrote }: Sent, cred: Credential, need: Role): void {
  switch (cred) {
    case "none":
      expectUnauthorized(reply, NO_CREDENTIALS);
      break;
    case "malformed":
      expectUnauthorized(reply, "Send the token as: Authorization: Bearer mdr_...", "invalid_request");
      break;
    case "unknown":
      expectUnauthorized(reply, "The bearer token is not valid.", "invalid_token");
      break;
    case "expired":
      expectUnauthorized(reply, "The bearer token has expired.", "invalid_token");
      break;
    case "revoked":
      expectUnauthorized(reply, "The bearer token has been revoked.", "invalid_token");
      break;
    default:
      expectProblemReply(reply, problemOf("forbidden", `This needs the ${need} role; token:m-${cred} has ${cred}.`));
      expect(reply.headers.get("www-authenticate")).toBeNull();
  }
  expect(wrote).toEqual({ actions: 0, audit: 0 });
}

/** What a caller holding the method's role gets: its status, whole problem or JSON, and what it wrote. */
function expectServed({ reply, wrote }: Sent, r: RouteSpec, m: Method, cred: Credential): void {
  const spec = servedOrNotAllowed(r, m);
  expect(reply.status, JSON.stringify(reply.body)).toBe(spec.status);
  expect(reply.headers.get("x-request-id")).toMatch(GUID);
  expect(reply.headers.get("cache-control")).toBe("no-store");
  if (spec.status === 405) {
    expectProblemReply(reply, problemOf("method-not-allowed", `${m} is not allowed here; use ${spec.allow!.replace(", ", " or ")}.`));
    expect(reply.headers.get("allow")).toBe(spec.allow);
  } else if (spec.status === 404) {
    expectProblemReply(reply, problemOf("not-found", spec.detail ?? `No API route ${r.path}.`));
  } else if (spec.status === 409) {
    expectProblemReply(reply, problemOf("conflict", spec.detail ?? "This request carries an API token, not a session; revoke the token instead."));
  } else {
    expect(reply.headers.get("content-type")).toBe(spec.contentType ?? "application/json");
  }
  if (spec.actions && !spec.answersOther) {
    expect(reply.body).toMatchObject({ id: expect.stringMatching(ACTION_ID), requested_by: `token:m-${cred}` });
  }
  expect(wrote).toEqual({ actions: spec.actions ?? 0, audit: spec.audit ?? 0 });
}

/** Names the request in a failure from a loop of them. */
async function step(label: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (err) {
    if (err instanceof Error) err.message = `${label}: ${err.message}`;
    throw err;
  }
}

/** The right role's request on a served method: its own target and a valid body. */
function rightRequest(r: RouteSpec, m: Method): { pathname: string; body: unknown } {
  const spec = r.served[m];
  return { pathname: spec?.path ? spec.path() : r.path, body: spec?.body ? spec.body() : m !== "GET" ? {} : undefined };
}

// One test per route: every method, with the credential just below its least role (refused) and
// with that role (served). Lowering a route's role makes the first request go through; raising it
// refuses the second; a route not wrapped answers neither as the wrapper does.
describe("each route declares its least role", () => {
  // A loop rather than it.each: vitest shortens interpolated names, and these name the roles.
  for (const r of ROUTES) {
    it(routeName(r), async () => {
      for (const m of METHODS) {
        const spec = servedOrNotAllowed(r, m);
        if (spec.role !== "public") {
          const below = BELOW[spec.role];
          await step(`${m} ${r.path} as ${below}`, async () =>
            expectRefused(await send(m, r.path, below, m !== "GET" ? {} : undefined), below, spec.role as Role),
          );
        }
        const at: Credential = spec.role === "public" ? "none" : spec.role;
        const { pathname, body } = rightRequest(r, m);
        await step(`${m} ${pathname} as ${at}`, async () => expectServed(await send(m, pathname, at, body), r, m, at));
      }
    });
  }
});

// The wrapper's rules, each once, on POST /api/v1/mdr/block-ip (a responder route that writes an
// action) unless the rule needs another kind of route. Bodies are valid: only the credential decides.
const BLOCK = ROUTES.find((r) => r.file === "app/api/v1/mdr/block-ip/route.ts")!;
const TOKENS = ROUTES.find((r) => r.file === "app/api/v1/admin/tokens/route.ts")!;
const ACTIONS = ROUTES.find((r) => r.file === "app/api/v1/mdr/actions/route.ts")!;
const LOGIN = ROUTES.find((r) => r.file === "app/api/v1/auth/login/route.ts")!;

describe("the wrapper's rules", () => {
  for (const [cred, what] of [
    ["none", "no credential"],
    ["malformed", "an Authorization header that is not Bearer"],
    ["unknown", "an unknown token"],
    ["expired", "an expired admin token"],
    ["revoked", "a revoked admin token"],
  ] as const) {
    it(`${what}: 401 with its WWW-Authenticate challenge, nothing written`, async () => {
      expectRefused(await send("POST", BLOCK.path, cred, rightRequest(BLOCK, "POST").body), cred, "responder");
    });
  }

  it("a role too low: 403 naming the role needed and the caller's, no challenge, nothing written", async () => {
    await step("viewer on a responder route", async () =>
      expectRefused(await send("POST", BLOCK.path, "viewer", rightRequest(BLOCK, "POST").body), "viewer", "responder"),
    );
    for (const cred of ["viewer", "responder"] as const) {
      await step(`${cred} on an admin route`, async () =>
        expectRefused(await send("POST", TOKENS.path, cred, rightRequest(TOKENS, "POST").body), cred, "admin"),
      );
    }
  });

  it("a higher role has the rights of the lower ones; the action names the token that asked", async () => {
    await step("admin on a responder route", async () =>
      expectServed(await send("POST", BLOCK.path, "admin", rightRequest(BLOCK, "POST").body), BLOCK, "POST", "admin"),
    );
    for (const cred of ["responder", "admin"] as const) {
      await step(`${cred} on a viewer route`, async () => expectServed(await send("GET", ACTIONS.path, cred), ACTIONS, "GET", cred));
    }
  });

  it("a method the route does not serve: 405 with Allow for every role; without a credential 401 first", async () => {
    await step("none", async () => expectRefused(await send("DELETE", BLOCK.path, "none", {}), "none", "viewer"));
    for (const cred of ["viewer", "responder", "admin"] as const) {
      await step(cred, async () => expectServed(await send("DELETE", BLOCK.path, cred, {}), BLOCK, "DELETE", cred));
    }
  });

  it("a public route (sign-in) takes any credential, even one that no longer holds", async () => {
    for (const cred of CREDENTIALS) {
      await step(cred, async () => {
        expectServed(await send("POST", LOGIN.path, cred, rightRequest(LOGIN, "POST").body), LOGIN, "POST", cred);
        expect(probe.audit().at(-1)).toMatchObject({ event: "sign_in", actor: "user:matrix-user" });
      });
    }
  });
});

describe("what the right role's requests recorded", () => {
  it("actions name the token that asked; audit rows the token that changed something", () => {
    const rows = probe.actions().filter((a) => a.requested_by !== "token:tests");
    expect(rows.map((a) => [a.type, a.requested_by]).sort()).toEqual(
      [
        ["block_ip", "token:m-admin"],
        ["block_ip", "token:m-responder"],
        ["change_expiry", "token:m-responder"],
        ["disable_user", "token:m-responder"],
        ["isolate_endpoint", "token:m-responder"],
        ["quarantine_email", "token:m-responder"],
        ["unblock_ip", "token:m-responder"],
      ].sort(),
    );
    const audit = probe.audit().filter((e) => e.actor === "token:m-admin");
    expect(audit.map((e) => e.event).sort()).toEqual(
      [
        "protected_asset_added",
        "protected_asset_removed",
        "token_created",
        "token_revoked",
        "user_created",
        "user_updated",
      ].sort(),
    );
    // The sign-ins through the public route: the route's own test, then one per credential.
    expect(probe.audit().filter((e) => e.event === "sign_in").map((e) => e.actor)).toEqual(
      Array(1 + CREDENTIALS.length).fill("user:matrix-user"),
    );
  });
});

describe("pages", () => {
  it("GET /mdr without a session: 307 to /login?next=/mdr; a token does not sign a page in", async () => {
    for (const headers of [{}, bearer(tokens.admin), { cookie: "mdr_session=forged" }] as Record<string, string>[]) {
      const r = await raw(server, "/mdr", { headers });
      expect(r.status).toBe(307);
      expect(r.headers.get("location")).toBe("/login?next=/mdr");
      expect(r.body).not.toContain("Contain");
    }
  });

  it("GET / redirects to /mdr; GET /login is the sign-in page", async () => {
    const root = await raw(server, "/");
    expect([root.status, root.headers.get("location")]).toEqual([307, "/mdr"]);
    const login = await raw(server, "/login?next=/mdr");
    expect(login.status).toBe(200);
    expect(login.headers.get("content-type")).toMatch(/^text\/html/);
    expect(login.body).toContain("MDR Response Actions");
    expect(login.body).toMatch(/<form/);
  });

  it("with a session: /mdr renders, /login sends the user on to a safe next", async () => {
    const { cookie } = await signIn(server, "admin", ADMIN_PASSWORD);
    const page = await raw(server, "/mdr", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Contain");
    for (const [next, where] of [
      ["/mdr?x=1", "/mdr?x=1"],
      ["//evil.example/", "/mdr"],
      ["https://evil.example/", "/mdr"],
      ["/\\evil.example", "/mdr"],
    ]) {
      const r = await raw(server, `/login?next=${encodeURIComponent(next!)}`, { headers: { cookie } });
      expect([r.status, r.headers.get("location")], next).toEqual([307, where]);
    }
  });

  it("a viewer's page has no action cards", async () => {
    const { cookie } = await signIn(server, "matrix-user", USER_PASSWORD);
    const page = await raw(server, "/mdr", { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="viewer-note"');
  });
});
