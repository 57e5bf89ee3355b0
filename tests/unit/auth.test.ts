// The auth building blocks in-process, on a temp database: password hashing, API tokens, roles,
// who a request is (bearer / cookie), the CSRF Origin check, the two rate limits, the protected
// asset matcher and the login page's `next` (open redirect).
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { listAudit } from "@/lib/auth/audit";
import { signInWithOidc } from "@/lib/auth/oidc-accounts";
import { configuredTenants, grantScope, within } from "@/lib/auth/scope";
import { FIRST_DELAY_MS, takeActionBudget } from "@/lib/auth/limits";
import { safeNext } from "@/lib/auth/page-identity";
import { generatePassword, hashPassword, verifyPassword } from "@/lib/auth/passwords";
import { hasRole } from "@/lib/auth/roles";
import { sha256 } from "@/lib/auth/secrets";
import { createSession, findSession } from "@/lib/auth/sessions";
import { signIn } from "@/lib/auth/sign-in";
import type { Store } from "@/lib/auth/store";
import { checkToken, createToken, listTokens, revokeToken } from "@/lib/auth/tokens";
import { createUser, ensureFirstAdmin, findUser, updateUser } from "@/lib/auth/users";
import { parseConfig } from "@/lib/config";
import { type Db, openDb } from "@/lib/db/client";
import { MdrError } from "@/lib/errors";
import { checkSameOrigin, clientIp, identify, isHttps } from "@/lib/http/auth";
import { oidcStateCookie, sessionCookie } from "@/lib/http/session-cookie";
import { ROLES } from "@/lib/auth/enums";
import { ProtectedAssetInput, addProtectedAsset, protectingRule } from "@/lib/mdr/protected-assets";
import { tempDbPath } from "../support/server";

const dbs: Db[] = [];
afterAll(() => {
  for (const db of dbs) db.$client.close();
});

/** A fresh database with a clock the test moves. */
function store(start = Date.parse("2026-11-28T12:00:00Z")): Store & { clock: { now: number } } {
  const db = openDb(tempDbPath("auth-unit"));
  dbs.push(db);
  const clock = { now: start };
  return { db, now: () => clock.now, clock };
}

function thrown(fn: () => unknown): MdrError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MdrError);
    return err as MdrError;
  }
  throw new Error("did not throw");
}

describe("passwords (scrypt)", () => {
  it("stores scrypt$N$r$p$salt$hash with a fresh salt, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
    expect(await verifyPassword("correct horse battery", null)).toBe(false);
    expect(await verifyPassword("correct horse battery", "plain-text")).toBe(false);
    expect(await verifyPassword("correct horse battery", "md5$abc")).toBe(false);
  });

  it("normalises to NFKC: a full-width password is the same password", async () => {
    const h = await hashPassword("Passwort1234");
    expect(await verifyPassword("Ｐａｓｓｗｏｒｔ１２３４", h)).toBe(true);
  });

  it("spends about the same time on an unknown account (null hash) as on a wrong password", async () => {
    const h = await hashPassword("another long password");
    const once = async (stored: string | null) => {
      const t = performance.now();
      await verifyPassword("wrong password!", stored);
      return performance.now() - t;
    };
    // Interleaved, so that a busy spell of the machine falls on both alike; medians, so that a
    // few slow runs do not decide.
    const real: number[] = [];
    const none: number[] = [];
    for (let i = 0; i < 9; i++) {
      real.push(await once(h));
      none.push(await once(null));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // scrypt at N=2^15 costs tens of ms; a shortcut for null would be well under a millisecond,
    // far outside these generous bounds.
    expect(median(real)).toBeGreaterThan(5);
    expect(median(none)).toBeGreaterThan(median(real) / 4);
    expect(median(none)).toBeLessThan(median(real) * 4);
  });

  it("generates readable first-admin passwords of 20 letters in groups of 5", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[a-km-np-zA-HJ-NP-Z2-9]{5}(?:-[a-km-np-zA-HJ-NP-Z2-9]{5}){3}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});

describe("API tokens", () => {
  it("are mdr_ + 43 base64url characters, stored only as their SHA-256, with a 10-character prefix", () => {
    const s = store();
    const { token, row } = createToken(s, { name: "soar", role: "responder" }, "user:admin");
    expect(token).toMatch(/^mdr_[A-Za-z0-9_-]{43}$/);
    expect(row).toEqual({
      id: expect.stringMatching(/^tok_[0-9A-HJKMNP-TV-Z]{26}$/),
      name: "soar",
      role: "responder",
      secretHash: sha256(token),
      prefix: token.slice(0, 10),
      tenants: null,
      createdBy: "user:admin",
      createdAt: s.clock.now,
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    const raw = s.db.$client.prepare("select * from api_tokens").all();
    expect(JSON.stringify(raw)).not.toContain(token);
    expect(JSON.stringify(listAudit(s, { limit: 10 }).events)).not.toContain(token);
  });

  it("checks unknown, revoked and expired tokens, and a good one", () => {
    const s = store();
    const good = createToken(s, { name: "good", role: "viewer" }, "cli").token;
    const gone = createToken(s, { name: "gone", role: "admin" }, "cli").token;
    const brief = createToken(s, { name: "brief", role: "admin", expiresAt: s.clock.now + 1000 }, "cli").token;
    revokeToken(s, "gone", "user:admin");

    expect(checkToken(s, "mdr_" + "A".repeat(43))).toEqual({ ok: false, why: "unknown" });
    expect(checkToken(s, good.slice(4))).toEqual({ ok: false, why: "unknown" }); // without the prefix
    expect(checkToken(s, good + "x")).toEqual({ ok: false, why: "unknown" });
    expect(checkToken(s, gone)).toEqual({ ok: false, why: "revoked" });
    expect(checkToken(s, brief)).toMatchObject({ ok: true, row: { name: "brief" } });
    s.clock.now += 1000;
    expect(checkToken(s, brief)).toEqual({ ok: false, why: "expired" });
    const check = checkToken(s, good);
    expect(check).toMatchObject({ ok: true, row: { name: "good", role: "viewer" } });
    expect(listTokens(s).find((t) => t.name === "good")!.lastUsedAt).toBe(s.clock.now);
  });

  it("refuses a duplicate name (409 naming name) and a second revocation (409)", () => {
    const s = store();
    createToken(s, { name: "dup", role: "viewer" }, "cli");
    const e = thrown(() => createToken(s, { name: "dup", role: "admin" }, "cli"));
    expect([e.code, e.errors]).toEqual(["conflict", [{ path: "name", message: "is taken" }]]);
    revokeToken(s, "dup", "cli");
    expect(thrown(() => revokeToken(s, "dup", "cli")).code).toBe("conflict");
    expect(thrown(() => revokeToken(s, "tok_01J00000000000000000000000", "cli")).code).toBe("not_found");
  });
});

describe("roles", () => {
  it("admin > responder > viewer", () => {
    const table = ROLES.map((have) => ROLES.map((need) => hasRole(have, need)));
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });
});

describe("who a request is", () => {
  const req = (headers: Record<string, string>, method = "GET", url = "http://127.0.0.1:3000/api/v1/auth/me") =>
    new Request(url, { method, headers });

  it("reads a bearer token, and refuses a malformed header or a bad token with a challenge", async () => {
    const s = store();
    const { token } = createToken(s, { name: "soar", role: "responder" }, "cli");
    expect(identify(s, req({ authorization: `Bearer ${token}` }))).toEqual({
      actor: "token:soar",
      name: "soar",
      role: "responder",
      tenants: null,
      via: "bearer",
      tokenId: expect.stringMatching(/^tok_/),
    });
    expect(identify(s, req({ authorization: `bearer ${token}` }))?.actor).toBe("token:soar");
    expect(identify(s, req({}))).toBeNull();

    for (const header of ["Basic dXNlcjpwYXNz", `Bearer`, `Bearer ${token} extra`, token, "Bearer \u00e9"]) {
      const e = thrown(() => identify(s, req({ authorization: header })));
      expect([e.code, e.message, e.headers]).toEqual([
        "unauthorized",
        "Send the token as: Authorization: Bearer mdr_...",
        { "www-authenticate": 'Bearer realm="mdr", error="invalid_request"' },
      ]);
    }
    const e = thrown(() => identify(s, req({ authorization: "Bearer mdr_nope" })));
    expect([e.code, e.message, e.headers]).toEqual([
      "unauthorized",
      "The bearer token is not valid.",
      { "www-authenticate": 'Bearer realm="mdr", error="invalid_token"' },
    ]);
  });

  it("reads a session cookie; an unknown, revoked or disabled user's session is a 401", async () => {
    const s = store();
    const user = await createUser(s, { username: "Alice", role: "responder", password: "alice password 1" }, "cli");
    const { secret, session } = createSession(s, user, 3_600_000);
    expect(identify(s, req({ cookie: `theme=dark; mdr_session=${secret}` }))).toEqual({
      actor: "user:alice",
      name: "alice",
      role: "responder",
      tenants: null,
      via: "session",
      sessionId: session.id,
      sessionExpiresAt: s.clock.now + 3_600_000,
    });
    // A bearer header wins over a cookie.
    expect(thrown(() => identify(s, req({ cookie: `mdr_session=${secret}`, authorization: "Bearer x" }))).code).toBe(
      "unauthorized",
    );
    expect(thrown(() => identify(s, req({ cookie: "mdr_session=forged" }))).message).toBe(
      "Your session has ended; sign in again.",
    );
    s.clock.now += 3_600_000;
    expect(findSession(s, secret)).toBeUndefined();
    s.clock.now -= 3_600_000;
    await updateUser(s, "alice", { disabled: true }, "cli");
    expect(findSession(s, secret)).toBeUndefined();
    // An empty cookie is no cookie.
    expect(identify(s, req({ cookie: "mdr_session=" }))).toBeNull();
  });

  it("the Origin check: cookie writes need our Origin; safe methods and token writes do not", () => {
    const cfg = parseConfig({});
    const post = (h: Record<string, string>) => req({ host: "127.0.0.1:3000", ...h }, "POST");
    expect(() => checkSameOrigin(cfg, req({ host: "127.0.0.1:3000" }), true)).not.toThrow();
    expect(() => checkSameOrigin(cfg, post({ origin: "http://127.0.0.1:3000" }), true)).not.toThrow();
    expect(thrown(() => checkSameOrigin(cfg, post({}), true)).message).toBe(
      "A signed-in browser request that changes something must carry an Origin header.",
    );
    expect(() => checkSameOrigin(cfg, post({}), false)).not.toThrow();
    for (const origin of ["https://127.0.0.1:3000", "http://evil.example", "null", "http://127.0.0.1:3001"]) {
      const e = thrown(() => checkSameOrigin(cfg, post({ origin }), true));
      expect([e.code, e.message]).toEqual(["forbidden", `Cross-site request refused: Origin ${origin} is not this site.`]);
    }
    // Even without a session (login CSRF), a foreign Origin is refused.
    expect(thrown(() => checkSameOrigin(cfg, post({ origin: "http://evil.example" }), false)).code).toBe("forbidden");
    const pub = parseConfig({ MDR_PUBLIC_URL: "https://mdr.example.com" });
    expect(() => checkSameOrigin(pub, post({ origin: "https://mdr.example.com" }), true)).not.toThrow();
    expect(thrown(() => checkSameOrigin(pub, post({ origin: "http://127.0.0.1:3000" }), true)).code).toBe("forbidden");
  });

  it("reads X-Forwarded-For from the right, as many entries as there are trusted proxies; what the client wrote further left is ignored", () => {
    const cases: [trust: string, header: string | undefined, expected: string | null][] = [
      // No trusted proxy: the header as Next.js passed it on (recorded, never relied on).
      ["false", "198.51.100.7, 10.0.0.2", "10.0.0.2"],
      ["0", "198.51.100.7", "198.51.100.7"],
      // One proxy that appends: the client's forged first entry loses to what the proxy saw.
      ["true", "203.0.113.66, 198.51.100.7", "198.51.100.7"],
      ["1", "203.0.113.66, 198.51.100.7", "198.51.100.7"],
      ["1", "198.51.100.7", "198.51.100.7"],
      // Two: a CDN appended the client, the load balancer the CDN.
      ["2", "203.0.113.66, 198.51.100.7, 10.0.0.5", "198.51.100.7"],
      ["2", "198.51.100.7, 10.0.0.5", "198.51.100.7"],
      // Fewer entries than proxies: the leftmost there is.
      ["3", "198.51.100.7, 10.0.0.5", "198.51.100.7"],
      ["1", " , 198.51.100.7 ,", "198.51.100.7"],
      ["1", ",", null],
      ["1", undefined, null],
    ];
    for (const [trust, header, expected] of cases) {
      const r = req(header === undefined ? {} : { "x-forwarded-for": header });
      expect([trust, header, clientIp(parseConfig({ MDR_TRUST_PROXY: trust }), r)]).toEqual([trust, header, expected]);
    }
  });

  it("reads X-Forwarded-Proto the same way: a client's own https further left does not count", () => {
    const secure = (trust: string, proto: string) => isHttps(parseConfig({ MDR_TRUST_PROXY: trust }), req({ "x-forwarded-proto": proto }));
    expect(secure("1", "https")).toBe(true);
    expect(secure("1", "https, http")).toBe(false);
    expect(secure("2", "https, http")).toBe(true);
    expect(secure("0", "https")).toBe(false);
  });

  it("the session cookie: HttpOnly, SameSite=Lax, Path=/, Expires; Secure only over https", () => {
    const expires = Date.parse("2026-11-29T00:00:00Z");
    const plain = sessionCookie(parseConfig({}), req({}), "s3cret", expires);
    expect(plain).toBe("mdr_session=s3cret; Path=/; Expires=Sun, 29 Nov 2026 00:00:00 GMT; HttpOnly; SameSite=Lax");
    const proxied = req({ "x-forwarded-proto": "https" });
    expect(sessionCookie(parseConfig({}), proxied, "s", expires)).not.toContain("Secure");
    expect(sessionCookie(parseConfig({ MDR_TRUST_PROXY: "true" }), proxied, "s", expires)).toBe(
      "__Host-mdr_session=s; Path=/; Expires=Sun, 29 Nov 2026 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    );
    // The single sign-on state cookie: __Host- with Path=/ over https, scoped to the flow's routes over http.
    expect(oidcStateCookie(parseConfig({ MDR_PUBLIC_URL: "https://mdr.example.com" }), req({}), "v")).toBe(
      "__Host-mdr_oidc=v; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    expect(oidcStateCookie(parseConfig({}), req({}), "v")).toBe("mdr_oidc=v; Max-Age=600; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax");
    expect(sessionCookie(parseConfig({ MDR_PUBLIC_URL: "https://mdr.example.com" }), req({}), "s", expires)).toContain(
      "; Secure",
    );
    // Next.js makes req.url https:// from any client's X-Forwarded-Proto: without a trusted proxy it must not count.
    const forged = (origin: string) =>
      req({ "x-forwarded-proto": "https", host: "127.0.0.1:3000", origin }, "POST", "https://127.0.0.1:3000/api/v1/auth/login");
    expect(sessionCookie(parseConfig({}), forged("x"), "s", expires)).not.toContain("Secure");
    expect(sessionCookie(parseConfig({}), forged("x"), "s", expires)).toMatch(/^mdr_session=s;/);
    expect(() => checkSameOrigin(parseConfig({}), forged("http://127.0.0.1:3000"), true)).not.toThrow();
    expect(thrown(() => checkSameOrigin(parseConfig({}), forged("https://127.0.0.1:3000"), true)).code).toBe("forbidden");
  });
});

describe("rate limits", () => {
  it("per actor: a burst of the limit passes, the next is 429 with Retry-After; others are unaffected", () => {
    const actor = `token:unit-${Math.random()}`;
    const other = `token:unit-${Math.random()}`;
    const t = 1_000_000;
    for (let i = 0; i < 5; i++) takeActionBudget(actor, 5, t);
    const e = thrown(() => takeActionBudget(actor, 5, t));
    expect([e.code, e.message, e.headers]).toEqual([
      "rate_limited",
      `Too many actions from ${actor}: the limit is 5 per minute. Retry in 12 s.`,
      { "retry-after": "12" },
    ]);
    expect(() => takeActionBudget(other, 5, t)).not.toThrow();
    // One action's worth refills in 12 s.
    expect(() => takeActionBudget(actor, 5, t + 12_000)).not.toThrow();
    expect(() => takeActionBudget(actor, 0, t)).not.toThrow(); // 0: no limit
  });

  it("sign-in: past N failures per account and address, a growing wait (30 s, then 60 s), not a shut-out; another address is unaffected", async () => {
    const s = store();
    await createUser(s, { username: "bob", role: "viewer", password: "bob's password" }, "cli");
    const from = (ip: string) => ({ ip, maxFailures: 3, sessionTtlMs: 60_000, throttleByIp: true });
    const refusal = (p: Promise<unknown>) => p.then(() => null, (err: MdrError) => [err.code, err.headers]);
    for (let i = 0; i < 3; i++) {
      await expect(signIn(s, { username: "bob", password: "nope" }, from("198.51.100.9"))).rejects.toThrow("Wrong username or password.");
      s.clock.now += 1000;
    }
    const right = { username: "bob", password: "bob's password" };
    // The last failure was 1 s ago: 29 s to wait, even with the right password.
    expect(await refusal(signIn(s, right, from("198.51.100.9")))).toEqual(["rate_limited", { "retry-after": "29" }]);
    await expect(signIn(s, right, from("198.51.100.10"))).resolves.toMatchObject({ user: { username: "bob" } });
    s.clock.now += FIRST_DELAY_MS - 1000;
    await expect(signIn(s, { username: "bob", password: "nope" }, from("198.51.100.9"))).rejects.toThrow("Wrong username or password.");
    expect(await refusal(signIn(s, right, from("198.51.100.9")))).toEqual(["rate_limited", { "retry-after": "60" }]);
    s.clock.now += 2 * FIRST_DELAY_MS;
    await expect(signIn(s, right, from("198.51.100.9"))).resolves.toMatchObject({ user: { username: "bob" } });
    const throttled = listAudit(s, { event: "sign_in_throttled", limit: 10 }).events;
    expect(throttled.map((e) => [e.subject, e.ip, e.detail])).toEqual([
      ["bob", "198.51.100.9", { limit: "account_address", retry_after_s: 60 }],
      ["bob", "198.51.100.9", { limit: "account_address", retry_after_s: 29 }],
    ]);
  });

  it("sign-in: checks under way count, so parallel guesses past the limit are refused before they hash", async () => {
    const s = store();
    await createUser(s, { username: "dora", role: "viewer", password: "dora's password" }, "cli");
    const opts = { ip: null, maxFailures: 2, sessionTtlMs: 60_000, throttleByIp: false };
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        signIn(s, { username: "dora", password: `guess ${i}` }, opts).then(
          () => "signed in",
          (err: MdrError) => err.code,
        ),
      ),
    );
    expect(outcomes.sort()).toEqual(["rate_limited", "rate_limited", "rate_limited", "rate_limited", "unauthorized", "unauthorized"]);
    expect(listAudit(s, { event: "sign_in_failed", limit: 10 }).events).toHaveLength(2);
    // Without a trusted address the limit is the account's, whatever address is named.
    const e = await signIn(s, { username: "dora", password: "dora's password" }, { ...opts, ip: "203.0.113.1" }).catch((err: MdrError) => err);
    expect((e as MdrError).code).toBe("rate_limited");
  });
});

describe("first admin", () => {
  it("is created once, with the given or a generated password", async () => {
    const s = store();
    const first = await ensureFirstAdmin(s, undefined);
    expect(first).toEqual({ username: "admin", password: expect.any(String), generated: true });
    expect(await ensureFirstAdmin(s, undefined)).toBeNull();
    expect(await verifyPassword(first!.password, findUser(s, "admin")!.passwordHash)).toBe(true);
    // Generated (and printed): it must be changed; chosen by the operator (MDR_ADMIN_PASSWORD): not.
    expect(findUser(s, "admin")!.mustChangePassword).toBe(true);
    const t = store();
    expect(await ensureFirstAdmin(t, "chosen password 1")).toEqual({
      username: "admin",
      password: "chosen password 1",
      generated: false,
    });
    expect(findUser(t, "admin")!.mustChangePassword).toBe(false);
  });

  it("the last enabled admin cannot be demoted or disabled", async () => {
    const s = store();
    await ensureFirstAdmin(s, "chosen password 1");
    for (const change of [{ role: "viewer" as const }, { disabled: true }]) {
      const e = await updateUser(s, "admin", change, "cli").catch((err: MdrError) => err);
      expect([(e as MdrError).code, (e as MdrError).message]).toEqual([
        "conflict",
        "admin is the last enabled admin; make another admin first.",
      ]);
    }
    await createUser(s, { username: "second", role: "admin", password: "second password" }, "cli");
    await expect(updateUser(s, "admin", { role: "viewer" }, "cli")).resolves.toMatchObject({ role: "viewer" });
  });
});

describe("protected assets: which rule protects a target", () => {
  const s = store();
  const rule = (kind: string, pattern: string) => addProtectedAsset(s, ProtectedAssetInput.parse({ kind, pattern }), "cli");
  const dc = rule("hostname", "DC-*");
  const corp = rule("hostname", "*.corp.contoso.com");
  const bg = rule("upn", "breakglass-*@contoso.com");
  const v4 = rule("ip_range", "203.0.113.0/24");
  const v6 = rule("ip_range", "2001:db8:1::/48");
  const single = rule("ip_range", "198.51.100.7");
  const id = (kind: "hostname" | "upn" | "ip_range", value: string) => protectingRule(s, kind, value)?.id ?? null;

  it("normalises patterns: hostnames and UPNs lower case, ranges to their network", () => {
    expect([dc.pattern, bg.pattern, v4.pattern, v6.pattern, single.pattern]).toEqual([
      "dc-*",
      "breakglass-*@contoso.com",
      "203.0.113.0/24",
      "2001:db8:1::/48",
      "198.51.100.7/32",
    ]);
    expect(ProtectedAssetInput.parse({ kind: "ip_range", pattern: "10.1.2.3/8" }).pattern).toBe("10.0.0.0/8");
  });

  it("hostname globs match the whole name or its first label, case-insensitively", () => {
    expect(id("hostname", "dc-01")).toBe(dc.id);
    expect(id("hostname", "DC-01")).toBe(dc.id);
    expect(id("hostname", "dc-01.lab.fabrikam.com")).toBe(dc.id);
    expect(id("hostname", "ws-0142.corp.contoso.com")).toBe(corp.id);
    expect(id("hostname", "a.b.corp.contoso.com")).toBe(corp.id);
    expect(id("hostname", "ws-0142")).toBeNull();
    expect(id("hostname", "ws-dc-01")).toBeNull();
    expect(id("hostname", "dc01")).toBeNull();
    expect(id("hostname", "ws-0142.corp.contoso.com.evil.example")).toBeNull();
  });

  it("UPN globs", () => {
    expect(id("upn", "breakglass-01@contoso.com")).toBe(bg.id);
    expect(id("upn", "BREAKGLASS-02@CONTOSO.COM")).toBe(bg.id);
    expect(id("upn", "breakglass-01@contoso.com.evil")).toBeNull();
    expect(id("upn", "alice@contoso.com")).toBeNull();
  });

  it("address ranges overlap in both directions, per family", () => {
    expect(id("ip_range", "203.0.113.7")).toBe(v4.id);
    expect(id("ip_range", "203.0.113.128/25")).toBe(v4.id);
    expect(id("ip_range", "203.0.0.0/16")).toBe(v4.id); // wider than the rule, contains it
    expect(id("ip_range", "203.0.112.0/23")).toBe(v4.id);
    expect(id("ip_range", "203.0.114.0/24")).toBeNull();
    expect(id("ip_range", "198.51.100.7")).toBe(single.id);
    expect(id("ip_range", "198.51.100.0/24")).toBe(single.id);
    expect(id("ip_range", "198.51.100.8")).toBeNull();
    expect(id("ip_range", "2001:db8:1:2::1")).toBe(v6.id);
    expect(id("ip_range", "2001:db8::/32")).toBe(v6.id);
    expect(id("ip_range", "2001:db8:2::/48")).toBeNull();
    expect(id("ip_range", "::ffff:203.0.113.7")).toBeNull(); // another family (the schema refuses it anyway)
    expect(id("ip_range", "not an address")).toBeNull();
  });

  it("refuses bad patterns naming pattern", () => {
    for (const [kind, pattern] of [
      ["hostname", "dc 01"],
      ["hostname", "*/x"],
      ["upn", "no-at-sign"],
      ["ip_range", "10.0.0.0/33"],
      ["ip_range", "dc-01"],
    ]) {
      const r = ProtectedAssetInput.safeParse({ kind, pattern });
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join("."))).toEqual(["pattern"]);
    }
  });

  it("reads ranges strictly, as block-ip reads addresses: no leading zeros, short, octal or hex forms", () => {
    const HINT = "must be an address or CIDR range like 10.0.0.0/8";
    const ZEROS = (meant: string) => `${HINT}: write it without leading zeros, e.g. ${meant} (leading zeros are read as octal by some tools)`;
    const FORM = `${HINT}: write an IPv4 address as four decimal numbers, a.b.c.d (no short, octal or hex forms)`;
    const rows: [pattern: string, message: string][] = [
      ["010.0.0.0/8", ZEROS("10.0.0.0")],
      ["10.0.0.010", ZEROS("10.0.0.10")],
      ["192.168.001.000/24", ZEROS("192.168.1.0")],
      ["00.0.0.0/0", ZEROS("0.0.0.0")],
      ["10.1", FORM],
      ["10.1.2", FORM],
      ["10", FORM],
      ["167772160", FORM],
      ["0x0a.0.0.0/8", FORM],
      ["0x0A000000", FORM],
      ["10.0.0.256", FORM],
      ["10.0.0.0/08", HINT],
      ["10.0.0.0/+8", HINT],
      ["10.0.0.0/8/8", HINT],
      ["2001:db8::/048", HINT],
      ["::ffff:10.0.0.1", "is an IPv4-mapped IPv6 address: did you mean 10.0.0.1?"],
      ["2001:db8::g", HINT],
    ];
    for (const [pattern, message] of rows) {
      expect([pattern, ProtectedAssetInput.safeParse({ kind: "ip_range", pattern }).error?.issues.map((i) => [i.path.join("."), i.message])]).toEqual([
        pattern,
        [["pattern", message]],
      ]);
    }
    for (const [pattern, stored] of [
      ["10.0.0.0/8", "10.0.0.0/8"],
      ["0.0.0.0/0", "0.0.0.0/0"],
      ["100.64.0.1", "100.64.0.1/32"],
      ["2001:DB8::/32", "2001:db8::/32"],
      ["2001:db8:0:0::1", "2001:db8::1/128"],
    ]) {
      expect([pattern, ProtectedAssetInput.parse({ kind: "ip_range", pattern }).pattern]).toEqual([pattern, stored]);
    }
  });

  it("a note refuses control and bidi formatting characters", () => {
    for (const [note, message] of [
      ["a\r\nb", "must not contain control characters"],
      ["a\u202Eb", "must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)"],
    ]) {
      expect(ProtectedAssetInput.safeParse({ kind: "hostname", pattern: "DC-*", note }).error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
        ["note", message],
      ]);
    }
  });
});

describe("safeNext (the login page's redirect target)", () => {
  it.each([
    ["/mdr", "/mdr"],
    ["/mdr?status=failed#x", "/mdr?status=failed#x"],
    ["/api/v1/openapi.json", "/api/v1/openapi.json"],
  ])("keeps the path %s", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  it.each([
    "//evil.com",
    "//evil.com/mdr",
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "https://evil.com",
    "http:/evil.com",
    "javascript:alert(1)",
    "evil.com",
    "/\tevil",
    "/ evil",
    "/mdr\r\nSet-Cookie: x=y",
    "/é",
    "",
  ])("refuses %j", (next) => {
    expect(safeNext(next)).toBe("/mdr");
    expect(safeNext(next, "/login")).toBe("/login");
  });

  it("takes the first of a repeated parameter, and the fallback when absent", () => {
    expect(safeNext(["/a", "//evil"])).toBe("/a");
    expect(safeNext(["//evil", "/a"])).toBe("/mdr");
    expect(safeNext(undefined)).toBe("/mdr");
  });
});

describe("tenant scope", () => {
  const A = "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d";
  const B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  const C = "11111111-2222-4333-8444-555555555555";
  const tenantsFile = (() => {
    const file = tempDbPath("scope-tenants").replace(/mdr\.db$/, "tenants.json");
    const entry = (id: string) => ({ tenant_id: id, client_id: C, client_secret: "s" });
    fs.writeFileSync(file, JSON.stringify({ tenants: [entry(A), entry(B)] }));
    return file;
  })();
  const cfg = () => parseConfig({ MDR_TENANTS_FILE: tenantsFile });

  it("within: null is every tenant", () => {
    expect([within([A], null), within(null, null), within([A], [A, B]), within([A, B], [A]), within(null, [A])]).toEqual([true, true, true, false, false]);
  });

  it("grantScope: the granter's own by default; none outside it; configured tenants only, named within the granter's", () => {
    expect(grantScope(undefined, null, cfg())).toBeNull();
    expect(grantScope(undefined, [A], cfg())).toEqual([A]);
    expect(grantScope([B], null, cfg())).toEqual([B]);
    expect(grantScope(null, null, cfg())).toBeNull();
    const all = thrown(() => grantScope(null, [A], cfg()));
    expect([all.code, all.message, all.errors]).toEqual([
      "forbidden",
      `You may grant only your own tenants (${A}), not all tenants.`,
      [{ path: "tenants", message: "is outside your tenants" }],
    ]);
    expect(thrown(() => grantScope([A, B], [A], cfg())).message).toBe(`You may grant only your own tenants (${A}), not ${B}.`);
    const unknown = thrown(() => grantScope([C], [A], cfg()));
    expect([unknown.code, unknown.message]).toEqual(["validation_failed", `tenants: ${C} is not a configured tenant; yours: ${A}`]);
    // In simulation, the simulated tenant is the one configured.
    expect(configuredTenants(parseConfig({}))).toEqual([A]);
  });

  it("an identity carries its tenants: a token's and a user's (through the session)", async () => {
    const s = store();
    const { token } = createToken(s, { name: "contoso", role: "responder", tenants: [A] }, "cli");
    const bearer = new Request("http://x/api", { headers: { authorization: `Bearer ${token}` } });
    expect(identify(s, bearer)).toMatchObject({ actor: "token:contoso", tenants: [A] });
    const user = await createUser(s, { username: "fabrikam-analyst", role: "viewer", password: "correct horse battery", tenants: [B] }, "cli");
    const { secret } = createSession(s, user, 60_000);
    const cookie = new Request("http://x/api", { headers: { cookie: `mdr_session=${secret}` } });
    expect(identify(s, cookie)).toMatchObject({ actor: "user:fabrikam-analyst", tenants: [B] });
    // A scoped admin does not find a user outside its tenants; changing a user's tenants ends its sessions.
    await expect(updateUser(s, "fabrikam-analyst", { disabled: true }, "user:contoso-admin", [A])).rejects.toThrow("No user named fabrikam-analyst.");
    const changed = await updateUser(s, "fabrikam-analyst", { tenants: [A, B] }, "cli");
    expect(changed.tenants).toEqual([A, B]);
    expect(() => identify(s, cookie)).toThrow("Your session has ended; sign in again.");
    expect(() => revokeToken(s, "contoso", "user:fabrikam-admin", [B])).toThrow("No token contoso.");
  });

  it("single sign-on: the mapped tenants on first sign-in, brought up to date at the next; none mapped: refused", async () => {
    const s = store();
    const oidc = { ...parseConfig({ MDR_OIDC_ISSUER: "https://idp.example.com", MDR_OIDC_CLIENT_ID: "x" }).auth.oidc!, tenantMap: { "Contoso-SOC": [A], "MSSP-Staff": null } };
    const claims = (roles: string[]) => ({ sub: "s-1", preferred_username: "gina", roles });
    const first = await signInWithOidc(s, oidc, claims(["MDR.Responder", "Contoso-SOC"]), { ip: null, sessionTtlMs: 60_000 });
    expect(first.ok && first.user.tenants).toEqual([A]);
    const wider = await signInWithOidc(s, oidc, claims(["MDR.Responder", "MSSP-Staff"]), { ip: null, sessionTtlMs: 60_000 });
    expect(wider.ok && wider.user.tenants).toBeNull();
    expect(listAudit(s, { event: "user_updated", limit: 5 }).events.map((e) => e.detail)).toEqual([
      { tenants: null, previous_tenants: [A], source: "oidc" },
    ]);
    const none = await signInWithOidc(s, oidc, claims(["MDR.Responder"]), { ip: null, sessionTtlMs: 60_000 });
    expect(none).toEqual({ ok: false, error: "sso_no_tenant", reason: "no tenant: no value of the roles claim is mapped to one" });
  });
});
