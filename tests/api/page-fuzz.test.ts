// Property-based, like fuzz.test.ts but for what a browser reaches: random query strings
// (`__proto__`, `constructor`, `toString`, huge values, malformed %-escapes, repeated keys,
// unicode) and random or garbled cookies against every page and every public or read route,
// signed in (admin, viewer) and not. Whatever comes in, never a 5xx.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startServer } from "../support/server";
import { post } from "./helpers";
import { raw, signIn } from "./auth-helpers";

const SEED = 20261204;
const ADMIN_PASSWORD = "page fuzz admin password";
const VIEWER_PASSWORD = "page fuzz viewer password";

let server: TestServer;
const cookies: Record<"none" | "admin" | "viewer", string> = { none: "", admin: "", viewer: "" };

beforeAll(async () => {
  server = await startServer({ MDR_ADMIN_PASSWORD: ADMIN_PASSWORD, MDR_ACTOR_RATE_LIMIT: "0", MDR_LOGIN_MAX_FAILURES: "1000" }, "page-fuzz");
  const viewer = await post(server, "/api/v1/admin/users", { username: "vera", role: "viewer", password: VIEWER_PASSWORD });
  expect(viewer.status, JSON.stringify(viewer.body)).toBe(201);
  cookies.admin = (await signIn(server, "admin", ADMIN_PASSWORD)).cookie;
  cookies.viewer = (await signIn(server, "vera", VIEWER_PASSWORD)).cookie;
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** Every page (app/**\/page.tsx) and every route a browser or a script reads without a body. */
const PATHS = [
  "/",
  "/login",
  "/mdr",
  "/admin",
  "/api/v1/auth/me",
  "/api/v1/auth/oidc/login",
  "/api/v1/auth/oidc/callback",
  "/api/v1/mdr/actions",
  "/api/v1/mdr/status",
  "/api/v1/mdr/metrics",
  "/api/v1/mdr/protected-assets",
  "/api/v1/admin/users",
  "/api/v1/admin/tokens",
  "/api/v1/admin/audit",
  "/api/v1/openapi.json",
];

/** Names a lookup on a plain object would find on Object.prototype, and the names the routes read. */
const KEYS = [
  "__proto__",
  "constructor",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "prototype",
  "__defineGetter__",
  "error",
  "next",
  "type",
  "status",
  "target",
  "tenant_id",
  "since",
  "until",
  "limit",
  "cursor",
  "hours",
  "event",
  "code",
  "state",
  "iss",
  "error_description",
];

/** Query text as sent: already escaped, or deliberately not. */
const rawText = fc.oneof(
  fc.constantFrom(
    ...KEYS,
    "",
    "%",
    "%zz",
    "%E0%A4",
    "%C0%AF",
    "%00",
    "%0d%0aSet-Cookie:%20x=1",
    "%E2%80%AE",
    "%uFFFF",
    "%25",
    "a%",
    "sso_failed",
    "sso_no_role",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "null",
    "undefined",
    "NaN",
    "-1",
    "1e309",
    "0x10",
    "9".repeat(400),
    "act_01JA0000000000000000000000",
    "2026-13-45T99:99:99Z",
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: "binary", maxLength: 8 }).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "?"))),
  fc.integer({ min: 1, max: 8000 }).map((n) => "x".repeat(n)),
);

/** The names of Object.prototype's members: the values most likely to find something on a plain object. */
const PROTO_NAMES = ["__proto__", "__proto__", "__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "__lookupGetter__"];

/** The query names each path reads: chosen most often for it. */
const READS: Record<string, string[]> = {
  "/login": ["error", "next"],
  "/api/v1/auth/oidc/login": ["next"],
  "/api/v1/auth/oidc/callback": ["code", "state", "iss", "error", "error_description"],
  "/api/v1/mdr/actions": ["type", "status", "target", "tenant_id", "since", "until", "limit", "cursor"],
  "/api/v1/mdr/metrics": ["hours"],
  "/api/v1/admin/audit": ["event", "limit", "cursor"],
};

const keyFor = (path: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(READS[path] ?? ["error", "next"])) },
    { weight: 2, arbitrary: fc.constantFrom(...KEYS) },
    { weight: 1, arbitrary: rawText },
  );
const value = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...PROTO_NAMES) }, { weight: 1, arbitrary: rawText });
const paramFor = (path: string) => fc.tuple(keyFor(path), fc.option(value, { nil: undefined }), fc.boolean());

/** key=value pairs, some keys repeated, some without `=`; joined with & (sometimes ;). */
const queryFor = (path: string) =>
  fc
  .array(paramFor(path), { maxLength: 6 })
  .chain((pairs) =>
    fc.tuple(
      fc.constant(pairs),
      fc.boolean(), // repeat the first pair
      fc.constantFrom("&", "&", "&", ";", "&&"),
    ),
  )
  .map(([pairs, repeat, sep]) => {
    const list = repeat && pairs.length > 0 ? [...pairs, pairs[0]!] : pairs;
    return list.map(([k, v, eq]) => (v === undefined && !eq ? k : `${k}=${v ?? ""}`)).join(sep);
  });

/** Cookie headers: none, the session's own, garbled ones, prototype names, many at once. */
const cookieValue = fc.oneof(
  fc.constantFrom("", "x", "%zz", "%", "\"quoted\"", "a=b=c", "mdr_", "0".repeat(43), "A".repeat(4000), "é", "\u00ff\u00fe"),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x21-\x3a\x3c-\x7e]/g, "")),
);
const cookieName = fc.constantFrom("mdr_session", "mdr_oidc_state", "__proto__", "constructor", "toString", "a", "", " mdr_session");
const cookieHeader = (who: keyof typeof cookies) =>
  fc
    .tuple(fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 4 }), fc.boolean(), fc.constantFrom("; ", ";", ",", ";;"))
    .map(([extra, ownFirst, sep]) => {
      const garbled = extra.map(([n, v]) => `${n}=${v}`);
      const own = cookies[who] ? [cookies[who]] : [];
      return (ownFirst ? [...own, ...garbled] : [...garbled, ...own]).join(sep);
    });

interface Probe {
  who: keyof typeof cookies;
  path: string;
  query: string;
  cookie: string;
}

const probe: fc.Arbitrary<Probe> = fc
  .tuple(
    fc.constantFrom<keyof typeof cookies>("none", "none", "admin", "viewer"),
    // The pages (the subject here) twice as often as the routes.
    fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...PATHS.slice(0, 4)) }, { weight: 1, arbitrary: fc.constantFrom(...PATHS) }),
  )
  .chain(([who, path]) => fc.tuple(queryFor(path), cookieHeader(who)).map(([q, cookie]) => ({ who, path, query: q, cookie })));

async function send(p: Probe): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (p.cookie) headers.cookie = p.cookie;
  const r = await raw(server, `${p.path}${p.query ? `?${p.query}` : ""}`, { headers });
  return { status: r.status, text: typeof r.body === "string" ? r.body : JSON.stringify(r.body) };
}

describe("pages and read routes, random queries and cookies", () => {
  it("/login?error=__proto__ (and other Object.prototype names) is the sign-in page without an error", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const r = await raw(server, `/login?error=${name}`);
      expect(r.status, `${name}: ${String(r.body).slice(0, 300)}`).toBe(200);
      expect(r.body).toContain("MDR Response Actions");
      expect(r.body).not.toContain('role="alert"');
    }
    const known = await raw(server, "/login?error=sso_no_role");
    expect(known.body).toContain("Your account has no role in MDR Response Actions.");
  });

  it("never a 5xx (a few hundred requests, deterministic seed)", async () => {
    const probes = fc.sample(probe, { numRuns: 480, seed: SEED });
    // The sample reaches the case that was a 500 (a lookup on a plain object), signed out.
    const proto = probes.filter((p) => p.who === "none" && p.path === "/login" && /(?:^|[&;])error=__proto__(?:[&;]|$)/.test(p.query));
    expect(proto.length).toBeGreaterThan(0);
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < probes.length; i = next++) {
        const p = probes[i]!;
        const r = await send(p);
        if (r.status >= 500) failures.push(`${r.status} ${p.who} ${p.path}?${p.query.slice(0, 200)} cookie=${p.cookie.slice(0, 120)}: ${r.text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 3 }, worker));
    expect(failures).toEqual([]);
    // The sessions were never taken for someone else's, nor ended by garbage beside them.
    const me = await raw(server, "/api/v1/auth/me", { headers: { cookie: cookies.viewer } });
    expect([me.status, me.body.actor]).toEqual([200, "user:vera"]);
  }, 60_000);
});
