// Property-based: random and adversarial JSON (and not-JSON) thrown at every POST route, and the
// admin PATCH, with the admin token. Huge strings, deep nesting, wrong types, prototype-pollution
// keys, duplicate keys, unicode (RTL, zero-width, lone surrogates), OData and SQL metacharacters,
// CRLF and NUL, random content types. Whatever comes in:
//   - never a 5xx, always problem+json when not a 2xx, never a stack trace;
//   - no action row but `rejected` ones, and no provider write: every write operation of the
//     simulated tenant is armed to fail with 403 (MDR_SIM_FAULTS), so one attempted write would
//     leave a `failed` row and a 502;
//   - the audit log holds exactly the rows the 2xx answers (and refused sign-ins) account for.
// Generated values that are well-formed are kept off real targets: simulated device names, users
// and mailboxes are filtered out, and addresses come from the documentation ranges, which are
// protected assets on this server (so a valid block is refused, recorded `rejected`).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_DEVICES, SIM_MAILBOXES, SIM_OPERATIONS, SIM_TENANT_ID, SIM_USERS } from "@/lib/mdr/providers/simulation";
import { type TestServer, startServer } from "../support/server";
import { GUID, type Json, post } from "./helpers";
import { DbProbe } from "./auth-helpers";

const SEED = 20261129;

// Every operation that changes something at a provider fails with 403 if it is ever reached.
const WRITES = {
  defender: ["isolate", "release", "block", "unblock"],
  graph: ["disableUser", "enableUser", "revokeSessions", "move", "permanentDelete"],
  azure_nsg: ["block", "unblock"],
  aws: ["block", "unblock"],
  aws_waf: ["block", "unblock"],
} as const;
const TRIPWIRE = Object.entries(WRITES)
  .flatMap(([service, ops]) => ops.map((op) => `${service}.${op}=403`))
  .join(",");

const PROTECTED_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"];

let server: TestServer;
let probe: DbProbe;

beforeAll(async () => {
  for (const [service, ops] of Object.entries(WRITES)) {
    for (const op of ops) expect(SIM_OPERATIONS[service as keyof typeof SIM_OPERATIONS]).toContain(op);
  }
  server = await startServer({ MDR_ACTOR_RATE_LIMIT: "0", MDR_SIM_FAULTS: TRIPWIRE, MDR_LOGIN_MAX_FAILURES: "1000" }, "fuzz");
  probe = new DbProbe(server.dbPath);
  for (const pattern of PROTECTED_RANGES) {
    const r = await post(server, "/api/v1/mdr/protected-assets", { kind: "ip_range", pattern, note: "fuzz: documentation range" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
}, 120_000);

afterAll(async () => {
  probe?.close();
  await server?.stop();
});

// ---- values ---------------------------------------------------------------------------------

/** JSON text spliced in as is (too deep for JSON.stringify, or with duplicate keys). */
class RawJson {
  constructor(readonly text: string) {}
}
const deepArray = (depth: number) => new RawJson("[".repeat(depth) + "]".repeat(depth));
const deepObject = (depth: number) => new RawJson('{"a":'.repeat(depth) + "1" + "}".repeat(depth));

/** Serialises entries in order, keys and all, including `__proto__` and repeated keys. */
function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof Entries) return `{${value.list.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value === undefined) return "null";
  return JSON.stringify(value);
}
class Entries {
  constructor(readonly list: [string, unknown][]) {}
}

const ADVERSARIAL_STRINGS = [
  "",
  " ",
  "\u0000",
  "ws-0142\u0000",
  "ws\u00000142",
  "ws-0142\r\nX-Injected: 1",
  "\r\n\r\nHTTP/1.1 200 OK",
  "' or 1 eq 1",
  "ws-0142' or startswith(computerDnsName,'dc",
  "$filter=computerDnsName eq 'dc-01'",
  "alice@contoso.com' or '1' eq '1",
  "x') or (accountEnabled eq true",
  "'; DROP TABLE actions;--",
  "\"; DROP TABLE audit_events; --",
  "1 OR 1=1",
  "admin'--",
  "%00",
  "%27%20or%201%3D1",
  "../../../../etc/passwd",
  "..%2f..%2fetc%2fpasswd",
  "<script>alert(1)</script>",
  "${7*7}",
  "{{7*7}}",
  "%s%s%s%n",
  "\u202Ews-0142",
  "ws-0142\u202E",
  "ws\u200B-0142",
  "\uFEFFws-0142",
  "ｗｓ-０１４２",
  "dc\u2010" + "01",
  "\u212Aelvin@contoso.com",
  "\uD800",
  "\uDFFF\uD800",
  "😀@contoso.com",
  "ws-0142.corp.contoso.com.",
  "*",
  "**",
  "?",
  "[a-z]*",
  "!(dc-*)",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "null",
  "undefined",
  "NaN",
  "true",
  "-1",
  "1e999",
  "0x10",
  "mdr_" + "A".repeat(43),
  "A".repeat(70_000),
  "é".repeat(33_000),
  "a".repeat(256),
  "a".repeat(1001),
  "x".repeat(64) + "." + "y".repeat(64),
];

const adversarialValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ADVERSARIAL_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40, unit: "grapheme" }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: "binary" }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -0,
      -1,
      1.5,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      [],
      {},
      [null],
      ["ws-0142"],
      { hostname: "ws-0142" },
      new Entries([["__proto__", { polluted: true }]]),
      new Entries([["constructor", { prototype: { polluted: true } }]]),
      deepArray(1000),
      deepObject(1000),
      deepArray(30_000),
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

const simHostnames = new Set(SIM_DEVICES.flatMap((d) => [d.computerDnsName, d.computerDnsName.split(".")[0]!]));
const simUpns = new Set<string>([...SIM_USERS.map((u) => u.userPrincipalName), ...Object.keys(SIM_MAILBOXES)]);

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,12}[a-z0-9])?$/);
const hostname = fc
  .tuple(label, fc.array(label, { maxLength: 3 }))
  .map(([first, rest]) => [first, ...rest].join("."))
  .filter((h) => !simHostnames.has(h) && !/(?:^|\.)\d+$/.test(h));
const upn = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._'-]{0,15}$/), label, fc.constantFrom("com", "org", "example"))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`)
  .filter((u) => !simUpns.has(u));
const docAddress = fc.oneof(
  fc.tuple(fc.constantFrom("192.0.2", "198.51.100", "203.0.113"), fc.integer({ min: 0, max: 255 })).map(([p, n]) => `${p}.${n}`),
  fc.constantFrom("192.0.2.0/24", "198.51.100.128/25", "203.0.113.0/24", "203.0.0.0/16", "2001:db8::1", "2001:db8:1::/48", "2001:db8::/32"),
  fc.constantFrom("127.0.0.1", "0.0.0.0/0", "::/0", "::1", "224.0.0.1", "255.255.255.255", "::ffff:203.0.113.7", "10.0.0.0/7", "203.0.113.7/24", "2001:db8::/16"),
);
const messageId = fc.oneof(
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9.]{1,30}$/), label).map(([l, r]) => `<${l}@${r}.example>`),
  fc.stringMatching(/^[A-Za-z0-9+/=_-]{16,64}$/),
);
const tenant = fc.constantFrom(SIM_TENANT_ID, SIM_TENANT_ID.toUpperCase(), "contoso.onmicrosoft.com", "00000000-0000-0000-0000-000000000000");
const reason = fc.oneof(fc.string({ maxLength: 80, unit: "grapheme" }), fc.constant(null));
const role = fc.constantFrom("viewer", "responder", "admin", "Admin", "root", "");

/** A field: usually a plausible value, sometimes an adversarial one. */
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: adversarialValue });

const EXTRA_KEYS = ["__proto__", "constructor", "prototype", "hostname", "ip", "upn", "role", "isAdmin", "$where", "Hostname", ""];

/** A body from a route's fields: any subset of them, maybe extra or repeated keys, maybe not an object at all. */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const entries = fc
    .tuple(
      fc.record(fields, { requiredKeys: [] }),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as [string, unknown][]) },
        {
          weight: 1,
          arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 10 })), adversarialValue), {
            minLength: 1,
            maxLength: 2,
          }),
        },
      ),
      fc.boolean(),
    )
    .map(([known, extra, shuffle]) => {
      const list: [string, unknown][] = [...Object.entries(known), ...extra];
      return new Entries(shuffle ? list.reverse() : list);
    });
  return fc.oneof({ weight: 9, arbitrary: entries }, { weight: 1, arbitrary: adversarialValue });
}

const ACTION_ID_LIKE = fc.oneof(
  fc.stringMatching(/^act_[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
  fc.constantFrom("act_", "..", "%2e%2e", "act_01J%00", "act_01JA0000000000000000000000%0d%0a", "__proto__", "constructor"),
);

interface Target {
  method: "POST" | "PATCH";
  path: fc.Arbitrary<string>;
  body: fc.Arbitrary<unknown>;
  runs: number;
}

const TARGETS: Record<string, Target> = {
  isolate: {
    method: "POST",
    path: fc.constant("/api/v1/mdr/isolate"),
    body: bodyOf({
      hostname: field(hostname),
      machine_id: field(fc.stringMatching(/^[0-9a-f]{40}$/)),
      isolation_type: field(fc.constantFrom("Full", "Selective", "UnManagedDevice", "full")),
      reason: field(reason),
      tenant_id: field(tenant),
    }),
    runs: 160,
  },
  "block-ip": {
    method: "POST",
    path: fc.constant("/api/v1/mdr/block-ip"),
    body: bodyOf({
      ip: field(docAddress),
      firewall_type: field(fc.constantFrom("defender", "azure_nsg", "aws_sg", "aws_waf")),
      reason: field(reason),
      priority: field(fc.integer({ min: 90, max: 5000 })),
      duration_hours: field(fc.double({ min: -1, max: 9000, noNaN: true })),
      tenant_id: field(tenant),
    }),
    runs: 160,
  },
  "disable-user": {
    method: "POST",
    path: fc.constant("/api/v1/mdr/disable-user"),
    body: bodyOf({
      upn: field(upn),
      reason: field(reason),
      revoke_sessions: field(fc.boolean()),
      tenant_id: field(tenant),
    }),
    runs: 120,
  },
  "quarantine-email": {
    method: "POST",
    path: fc.constant("/api/v1/mdr/quarantine-email"),
    body: bodyOf({
      message_id: field(messageId),
      user_principal_name: field(upn),
      action: field(fc.constantFrom("softDelete", "hardDelete", "moveToJunk", "delete")),
      reason: field(reason),
      tenant_id: field(tenant),
    }),
    runs: 120,
  },
  revert: {
    method: "POST",
    path: ACTION_ID_LIKE.map((id) => `/api/v1/mdr/actions/${id}/revert`),
    body: fc.oneof(bodyOf({ reason: field(reason) }), fc.constant(undefined)),
    runs: 50,
  },
  "protected-assets": {
    method: "POST",
    path: fc.constant("/api/v1/mdr/protected-assets"),
    body: bodyOf({
      kind: field(fc.constantFrom("hostname", "upn", "ip_range")),
      pattern: field(fc.oneof(hostname, upn, docAddress, fc.constantFrom("DC-*", "*", "*@*", "0.0.0.0/0"))),
      note: field(reason),
    }),
    runs: 60,
  },
  "admin/tokens": {
    method: "POST",
    path: fc.constant("/api/v1/admin/tokens"),
    body: bodyOf({
      name: field(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/)),
      role: field(role),
      expires_at: field(fc.constantFrom("2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "tomorrow", null)),
    }),
    runs: 50,
  },
  "admin/users": {
    method: "POST",
    path: fc.constant("/api/v1/admin/users"),
    body: bodyOf({
      username: field(fc.stringMatching(/^[a-z0-9][a-z0-9._@-]{0,15}$/)),
      role: field(role),
      password: field(fc.string({ minLength: 0, maxLength: 30 })),
    }),
    runs: 40,
  },
  "admin/users/{username}": {
    method: "PATCH",
    path: fc
      .oneof(fc.constantFrom("admin", "nobody", "ADMIN", "..", "%2e%2e", "__proto__", "a%00b"), fc.stringMatching(/^[a-z0-9]{1,10}$/))
      .map((u) => `/api/v1/admin/users/${u}`),
    body: bodyOf({
      role: field(role),
      password: field(fc.string({ minLength: 0, maxLength: 30 })),
      disabled: field(fc.boolean()),
    }),
    runs: 40,
  },
  login: {
    method: "POST",
    path: fc.constant("/api/v1/auth/login"),
    body: bodyOf({
      username: field(fc.constantFrom("admin", "tests", "ADMIN", "admin ", "nobody")),
      password: field(fc.string({ maxLength: 30 })),
    }),
    runs: 30,
  },
  logout: {
    method: "POST",
    path: fc.constant("/api/v1/auth/logout"),
    body: fc.oneof(bodyOf({}), fc.constant(undefined)),
    runs: 10,
  },
};

// ---- what every answer must be ----------------------------------------------------------------

/** What the 2xx answers and refused sign-ins should have left in the audit log. */
const expectedAudit: Record<string, number> = {};
const answered: Record<string, Record<number, number>> = {};

async function send(name: string, method: string, pathname: string, init: RequestInit): Promise<void> {
  const res = await server.fetch(pathname, { method, ...init });
  const text = await res.text();
  const what = `${name}: ${method} ${pathname} ${String(init.body ?? "").slice(0, 300)} -> ${res.status} ${text.slice(0, 500)}`;
  (answered[name] ??= {})[res.status] = (answered[name]![res.status] ?? 0) + 1;
  expect(res.status, what).toBeLessThan(500);
  expect(text, what).not.toMatch(/\n\s+at |node_modules|webpack|turbopack/i);
  if (res.status >= 200 && res.status < 300) {
    expect(res.headers.get("content-type"), what).toBe("application/json");
    const event = { "protected-assets": "protected_asset_added", "admin/tokens": "token_created", "admin/users": "user_created", "admin/users/{username}": "user_updated", login: "sign_in" }[name];
    expect(event, `${what}: no action route may succeed here`).toBeDefined();
    expectedAudit[event!] = (expectedAudit[event!] ?? 0) + 1;
    return;
  }
  expect(res.headers.get("content-type"), what).toBe("application/problem+json");
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body).slice(0, 6), what).toEqual(["type", "title", "status", "detail", "errors", "request_id"]);
  expect(body.type, what).toMatch(/^urn:mdr:problem:[a-z-]+$/);
  expect(body.status, what).toBe(res.status);
  expect(typeof body.title === "string" && typeof body.detail === "string", what).toBe(true);
  expect(Array.isArray(body.errors), what).toBe(true);
  expect(body.request_id, what).toMatch(GUID);
  expect(res.headers.get("x-request-id"), what).toBe(body.request_id);
  if (body.action_status !== undefined) expect(body.action_status, what).toBe("rejected");
  if (name === "login" && res.status === 401) expectedAudit.sign_in_failed = (expectedAudit.sign_in_failed ?? 0) + 1;
}

describe("fuzzing every POST route with the admin token", () => {
  it.each(Object.entries(TARGETS))("%s: adversarial JSON bodies", async (name, t) => {
    await fc.assert(
      fc.asyncProperty(t.path, t.body, fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,8}$/) }), async (pathname, body, key) => {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (key !== null) headers["idempotency-key"] = key;
        await send(name, t.method, pathname, body === undefined ? { headers: {} } : { headers, body: toJson(body) });
      }),
      { seed: SEED, numRuns: t.runs },
    );
  });

  const CONTENT_TYPES = [
    null,
    "application/json",
    "APPLICATION/JSON; charset=utf-8",
    "application/merge-patch+json",
    "application/jsonx",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/json; charset=utf-16",
    "*/*",
    "application/json\u00a0",
  ];
  const RAW_BODIES = [
    "",
    "{",
    "}",
    "[]",
    "null",
    "true",
    '"ws-0142"',
    "1e999",
    "\uFEFF{}",
    '{"hostname":"ws-0142",}',
    "{'hostname':'ws-0142'}",
    '{"hostname":"ws-0142"}{"hostname":"dc-01"}',
    "hostname=ws-0142",
    "--xyz\r\nContent-Disposition: form-data; name=\"hostname\"\r\n\r\nws-0142\r\n--xyz--",
    '{"hostname":"\\ud800"}',
    '{"__proto__":{"isAdmin":true},"hostname":"zz-nonexistent"}',
    '{"hostname":"dc-01","hostname":"zz-nonexistent"}',
    "{".repeat(40_000),
    " ".repeat(70_000) + "{}",
  ];

  it("random bytes and non-JSON bodies with random content types", async () => {
    const paths = Object.entries(TARGETS).map(([name, t]) => [name, t.method] as const);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.constantFrom(...CONTENT_TYPES),
        fc.oneof(
          fc.constantFrom(...RAW_BODIES).map((s) => new TextEncoder().encode(s)),
          fc.uint8Array({ maxLength: 200 }),
          fc.string({ maxLength: 200, unit: "binary" }).map((s) => new TextEncoder().encode(s)),
        ),
        async ([name, method], type, bytes) => {
          const pathname =
            name === "revert"
              ? "/api/v1/mdr/actions/act_01JA0000000000000000000000/revert"
              : name === "admin/users/{username}"
                ? "/api/v1/admin/users/nobody"
                : fc.sample(TARGETS[name]!.path, { numRuns: 1, seed: SEED })[0]!;
          await send(name, method, pathname, { headers: type === null ? {} : { "content-type": type }, body: bytes });
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe("adversarial examples, answered exactly", () => {
  const HOST_MSG = "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63";
  const UPN_MSG = "must be a user principal name like user@contoso.com";
  it.each([
    ["/api/v1/mdr/isolate", '{"hostname":"zz-unknown","__proto__":{"isolation_type":"Selective"}}', [["__proto__", "is not a known field"]]],
    ["/api/v1/mdr/disable-user", '{"upn":"zz@example.com","constructor":{"prototype":{"isAdmin":true}}}', [["constructor", "is not a known field"]]],
    ["/api/v1/mdr/isolate", JSON.stringify({ hostname: "ws-0142' or startswith(computerDnsName,'dc" }), [["hostname", HOST_MSG]]],
    ["/api/v1/mdr/isolate", JSON.stringify({ hostname: "$filter=computerDnsName eq 'dc-01'" }), [["hostname", HOST_MSG]]],
    ["/api/v1/mdr/isolate", JSON.stringify({ hostname: "ws-0142\r\nX-Injected: 1" }), [["hostname", HOST_MSG]]],
    ["/api/v1/mdr/isolate", JSON.stringify({ hostname: "\u202Ews-0142" }), [["hostname", HOST_MSG]]],
    ["/api/v1/mdr/disable-user", JSON.stringify({ upn: "alice@contoso.com' or '1' eq '1" }), [["upn", UPN_MSG]]],
    ["/api/v1/mdr/disable-user", JSON.stringify({ upn: "'; DROP TABLE actions;--@contoso.com" }), [["upn", UPN_MSG]]],
    ["/api/v1/mdr/disable-user", JSON.stringify({ upn: "\u212Aelvin@contoso.com" }), [["upn", UPN_MSG]]],
    ["/api/v1/mdr/quarantine-email", JSON.stringify({ message_id: "<a'b@c> or 1 eq 1", user_principal_name: "zz@example.com" }), [["message_id", "must be an RFC 5322 Message-ID such as <abc@host> or a provider message id"]]],
  ])("%s %s", async (pathname, body, errors) => {
    const r = await post(server, pathname, body);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toEqual({
      type: "urn:mdr:problem:validation-failed",
      title: "Validation failed",
      status: 422,
      detail: `The request body is invalid: ${(errors as string[][]).map(([p, m]) => `${p}: ${m}`).join("; ")}`,
      errors: (errors as string[][]).map(([path, message]) => ({ path, message })),
      request_id: expect.stringMatching(GUID),
    });
  });

  it("1000 levels of nesting in a field is a type error on that field, not a crash", async () => {
    const r = await post(server, "/api/v1/mdr/isolate", `{"hostname":${deepArray(1000).text}}`);
    expect([r.status, r.body.errors.map((e: Json) => e.path)]).toEqual([422, ["hostname"]]);
  });
});

describe("after the fuzzing", () => {
  it("every action row is rejected, nothing is in effect, no provider write was attempted", async () => {
    const rows = probe.actions();
    expect(rows.length).toBeGreaterThan(50); // the fuzzing did reach the pipeline
    expect(rows.filter((r) => r.status !== "rejected")).toEqual([]);
    expect(rows.filter((r) => r.active)).toEqual([]);
    // The armed write operations answer "403 Forbidden (simulated fault on defender.isolate)".
    const events = probe.db.$client.prepare("select message from action_events").all() as { message: string }[];
    expect(events.filter((e) => e.message.includes("simulated fault"))).toEqual([]);
    // Some were refused by the guardrails (a valid block of a documentation range on azure_nsg or aws_sg).
    expect(rows.filter((r) => r.type === "block_ip" && /is a protected asset/.test(r.error)).length).toBeGreaterThan(0);
    // Refused on the guardrails, by the provider's lookups (unknown device / user / message), or as ambiguous.
    const metrics = await server.fetch("/api/v1/mdr/metrics?hours=1").then((r) => r.json());
    expect(metrics.contained_now).toEqual({ isolated_endpoints: 0, active_ip_blocks: 0, disabled_users: 0 });
    expect(metrics.by_status).toMatchObject({ succeeded: 0, failed: 0, in_progress: 0, pending: 0 });
  });

  it("the audit log holds only what the 2xx answers and refused sign-ins account for", () => {
    const counted: Record<string, number> = {};
    for (const e of probe.audit()) counted[e.event] = (counted[e.event] ?? 0) + 1;
    // Before the fuzzing: the first admin, the test token, the four protected ranges.
    expect(counted).toEqual(
      Object.fromEntries(
        Object.entries({
          ...expectedAudit,
          user_created: (expectedAudit.user_created ?? 0) + 1,
          token_created: (expectedAudit.token_created ?? 0) + 1,
          protected_asset_added: (expectedAudit.protected_asset_added ?? 0) + PROTECTED_RANGES.length,
        }).sort(),
      ),
    );
  });

  it("the server logged no unexpected error, and still answers normally", async () => {
    expect(server.output()).not.toMatch(/failed:|Error:|\n\s+at /);
    const me = await server.fetch("/api/v1/auth/me").then((r) => r.json());
    expect(me).toEqual({ actor: "token:tests", name: "tests", role: "admin", tenants: null, via: "bearer", session_expires_at: null, must_change_password: false });
    const r = await post(server, "/api/v1/mdr/isolate", {});
    expect(r.body.errors).toEqual([{ path: "hostname", message: "is required unless machine_id is given" }]);
    // Every route answered more than one way; each action route reached the pipeline (rows of its type).
    for (const name of Object.keys(TARGETS).filter((n) => n !== "logout")) {
      expect(Object.keys(answered[name] ?? {}).length, name).toBeGreaterThan(1);
    }
    // A token is no session: logout refuses it whatever the body (it reads none).
    expect(Object.keys(answered.logout!)).toEqual(["409"]);
    const types = new Set(probe.actions().map((a) => a.type));
    expect([...types].sort()).toEqual(["block_ip", "disable_user", "isolate_endpoint", "quarantine_email"]);
  });
});
