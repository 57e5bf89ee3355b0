// Every API route x every method x every kind of credential, against the production server:
// none, a malformed Authorization header, an unknown token, an expired one, a revoked one, and a
// token of each role. Refusals are whole problem+json documents (401 with its challenge, 403
// naming the role) and write nothing; the right role gets through (with a valid body, its 2xx).
// Also: the pages without a session.
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

  // Things the right-role requests act on.
  for (let i = 0; i < 2; i++) {
    const r = await post(server, "/api/v1/mdr/block-ip", { ip: `185.220.102.${i + 1}`, reason: "matrix setup" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    pool.blocks.push(r.body.id);
  }
  someActionId = pool.blocks[0]!;
  for (let i = 0; i < 2; i++) {
    const r = await post(server, "/api/v1/admin/tokens", { name: `victim-${i}`, role: "viewer" });
    expect(r.status).toBe(201);
    pool.tokenIds.push(r.body.id);
    const a = await post(server, "/api/v1/mdr/protected-assets", { kind: "hostname", pattern: `matrix-victim-${i}` });
    expect(a.status).toBe(201);
    pool.assetIds.push(a.body.id);
  }
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
  /** The problem's detail, for a 404 that is not "No API route". */
  detail?: string;
  actions?: number;
  audit?: number;
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
  { file: "app/api/v1/admin/audit/route.ts", path: "/api/v1/admin/audit", served: { GET: { role: "admin", status: 200 } } },
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
  {
    file: "app/api/v1/mdr/actions/[id]/route.ts",
    path: `/api/v1/mdr/actions/${ACTION}`,
    served: {
      GET: { role: "viewer", status: 200, path: () => `/api/v1/mdr/actions/${someActionId}` },
      PATCH: {
        role: "responder",
        status: 200,
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
    file: "app/api/v1/mdr/isolate/route.ts",
    path: "/api/v1/mdr/isolate",
    served: { POST: { role: "responder", status: 202, actions: 1, body: () => ({ hostname: ["ws-0143", "ws-0144"][next() % 2] }) } },
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
      POST: { role: "responder", status: 201, actions: 1, body: () => ({ upn: ["dave@contoso.com", "jdoe@contoso.com"][next() % 2] }) },
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
          user_principal_name: ["alice@contoso.com", "bob@contoso.com"][next() % 2],
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
const RANK: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

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

describe.each(ROUTES.flatMap((r) => METHODS.map((m) => [`${m} ${r.path}`, r, m] as const)))("%s", (_name, r, m) => {
  const spec = servedOrNotAllowed(r, m);
  it.each(CREDENTIALS)("with %s", async (cred) => {
    const actionsBefore = probe.count("actions");
    const auditBefore = probe.count("audit_events");
    // A public route (signing in) takes anyone: a credential that no longer holds is no reason to refuse.
    const allowed = spec.role === "public" || RANK[cred as Role] >= RANK[spec.role];
    const mutating = m !== "GET";
    const body = allowed && spec.body ? spec.body() : mutating ? {} : undefined;
    const pathname = allowed && spec.path ? spec.path() : r.path;
    const init: RequestInit = {
      method: m,
      headers: { ...headersFor(cred), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    };
    const reply: Reply = await raw(server, pathname, init);
    const wrote = { actions: probe.count("actions") - actionsBefore, audit: probe.count("audit_events") - auditBefore };

    // On a public route every credential goes through to the right role's checks.
    const refused = spec.role === "public" ? null : cred;
    if (refused === "none") {
      expectUnauthorized(reply, NO_CREDENTIALS);
    } else if (refused === "malformed") {
      expectUnauthorized(reply, "Send the token as: Authorization: Bearer mdr_...", "invalid_request");
    } else if (refused === "unknown") {
      expectUnauthorized(reply, "The bearer token is not valid.", "invalid_token");
    } else if (refused === "expired") {
      expectUnauthorized(reply, "The bearer token has expired.", "invalid_token");
    } else if (refused === "revoked") {
      expectUnauthorized(reply, "The bearer token has been revoked.", "invalid_token");
    } else if (!allowed) {
      expectProblemReply(
        reply,
        problemOf("forbidden", `This needs the ${spec.role} role; token:m-${cred} has ${cred}.`),
      );
      expect(reply.headers.get("www-authenticate")).toBeNull();
    } else {
      expect(reply.status, JSON.stringify(reply.body)).toBe(spec.status);
      expect(reply.headers.get("x-request-id")).toMatch(GUID);
      expect(reply.headers.get("cache-control")).toBe("no-store");
      if (spec.status === 405) {
        expectProblemReply(
          reply,
          problemOf("method-not-allowed", `${m} is not allowed here; use ${spec.allow!.replace(", ", " or ")}.`),
        );
        expect(reply.headers.get("allow")).toBe(spec.allow);
      } else if (spec.status === 404) {
        expectProblemReply(reply, problemOf("not-found", spec.detail ?? `No API route ${r.path}.`));
      } else if (spec.status === 409) {
        expectProblemReply(
          reply,
          problemOf("conflict", "This request carries an API token, not a session; revoke the token instead."),
        );
      } else {
        expect(reply.headers.get("content-type")).toBe("application/json");
      }
      if (spec.actions) {
        expect(reply.body).toMatchObject({ id: expect.stringMatching(ACTION_ID), requested_by: `token:m-${cred}` });
      }
      expect(wrote).toEqual({ actions: spec.actions ?? 0, audit: spec.audit ?? 0 });
      return;
    }
    // Refused: nothing written at all.
    expect(wrote).toEqual({ actions: 0, audit: 0 });
  });
});

describe("what the right role's requests recorded", () => {
  it("actions name the token that asked; audit rows the token that changed something", () => {
    const rows = probe.actions().filter((a) => a.requested_by !== "token:tests");
    expect(rows.map((a) => [a.type, a.requested_by]).sort()).toEqual(
      [
        ["block_ip", "token:m-admin"],
        ["block_ip", "token:m-responder"],
        ["disable_user", "token:m-admin"],
        ["disable_user", "token:m-responder"],
        ["isolate_endpoint", "token:m-admin"],
        ["isolate_endpoint", "token:m-responder"],
        ["quarantine_email", "token:m-admin"],
        ["quarantine_email", "token:m-responder"],
        ["unblock_ip", "token:m-admin"],
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
    // The sign-ins through the public route, one per credential that got through.
    expect(probe.audit().filter((e) => e.event === "sign_in").map((e) => e.actor)).toEqual(
      Array(CREDENTIALS.length).fill("user:matrix-user"),
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
