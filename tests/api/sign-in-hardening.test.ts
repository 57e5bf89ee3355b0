// Sign-in hardening, against the production server: parallel guesses are capped before the slow
// hash, a stranger's failures from one address do not lock the owner out from another, single
// sign-on accounts have no local password, the generated first-run password must be changed
// before anything else, a sign-in replaces the session the browser came with, and over https the
// cookies carry the __Host- prefix.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser } from "@/lib/auth/users";
import { hashPassword } from "@/lib/auth/passwords";
import { openDb } from "@/lib/db/client";
import { type TestServer, startServer } from "../support/server";
import { type Json, anyIso, call, post } from "./helpers";
import { DbProbe, expectProblemReply, expectUnauthorized, problemOf, raw, signIn } from "./auth-helpers";

/** Behind a trusted proxy (X-Forwarded-For names the client), first run with a generated password, SSO configured. */
let s: TestServer;
let probe: DbProbe;
let oneTimePassword = "";

const MAX = 5; // MDR_LOGIN_MAX_FAILURES, the default
const wrong = problemOf("unauthorized", "Wrong username or password.");

beforeAll(async () => {
  s = await startServer(
    { MDR_TRUST_PROXY: "true", MDR_OIDC_ISSUER: "https://idp.invalid", MDR_OIDC_CLIENT_ID: "mdr-tests" },
    "signin-hardening",
  );
  probe = new DbProbe(s.dbPath);
  oneTimePassword = /one-time password\s+(\S+)/.exec(s.output())?.[1] ?? "";
}, 120_000);

afterAll(async () => {
  probe?.close();
  await s?.stop();
});

const login = (username: string, password: string, headers: Record<string, string> = {}) =>
  raw(s, "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ username, password }),
  });
const from = (ip: string) => ({ "x-forwarded-for": ip });
const rows = (event: string, subject: string) => probe.audit().filter((e) => e.event === event && e.subject === subject);

async function addUser(username: string, password: string): Promise<void> {
  const r = await post(s, "/api/v1/admin/users", { username, role: "responder", password });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

describe("parallel wrong passwords", () => {
  it(`40 wrong passwords at once: ${MAX} are checked (401, each a sign_in_failed row), the other 35 are 429 and audited as throttled`, async () => {
    await addUser("pat", "pat's long password");
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login("pat", `guess number ${i}`, from("203.0.113.10"))),
    );
    const statuses = replies.map((r) => r.status);
    expect({ 401: statuses.filter((x) => x === 401).length, 429: statuses.filter((x) => x === 429).length }).toEqual({
      401: MAX,
      429: 40 - MAX,
    });
    for (const r of replies.filter((x) => x.status === 401)) expectProblemReply(r, wrong);
    for (const r of replies.filter((x) => x.status === 429)) {
      const retry = Number(r.headers.get("retry-after"));
      expect(retry).toBeGreaterThanOrEqual(1);
      expectProblemReply(r, problemOf("rate-limited", `Too many failed sign-ins. Try again in ${retry} s.`));
      expect(r.headers.get("set-cookie")).toBeNull();
    }
    expect(rows("sign_in_failed", "pat").map((e) => [e.actor, e.ip, JSON.parse(e.detail)])).toEqual(
      Array.from({ length: MAX }, () => ["anonymous", "203.0.113.10", { reason: "wrong password" }]),
    );
    const throttled = rows("sign_in_throttled", "pat");
    expect(throttled).toHaveLength(40 - MAX);
    expect(throttled.map((e) => [e.actor, e.ip, Object.keys(JSON.parse(e.detail)).sort()])).toEqual(
      Array.from({ length: 40 - MAX }, () => ["anonymous", "203.0.113.10", ["limit", "retry_after_s"]]),
    );
  }, 60_000);
});

describe("a stranger cannot lock the owner out", () => {
  it("failures from address A past the limit: A gets a short 429 even with the right password, the owner from B signs in", async () => {
    await addUser("olive", "olive's long password");
    for (let i = 0; i < MAX; i++) expectProblemReply(await login("olive", `guess ${i}`, from("198.51.100.20")), wrong);
    const refused = await login("olive", "olive's long password", from("198.51.100.20"));
    const retry = Number(refused.headers.get("retry-after"));
    // A slow-down, not a 15-minute shut-out.
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(30);
    expectProblemReply(refused, problemOf("rate-limited", `Too many failed sign-ins. Try again in ${retry} s.`));

    const owner = await signIn(s, "olive", "olive's long password", from("198.51.100.21"));
    expect(owner.reply.body.user.username).toBe("olive");
    // And A is still refused afterwards.
    expect((await login("olive", "olive's long password", from("198.51.100.20"))).status).toBe(429);
    expect(rows("sign_in_throttled", "olive").map((e) => [e.ip, JSON.parse(e.detail).limit])).toEqual([
      ["198.51.100.20", "account_address"],
      ["198.51.100.20", "account_address"],
    ]);
  });

  it("one address guessing across accounts is held back for every account; the accounts stay open from elsewhere", async () => {
    for (let i = 0; i < MAX * 4; i++) expectProblemReply(await login(`spray-${i}`, "Winter2026!", from("198.51.100.30")), wrong);
    await addUser("quinn", "quinn's long password");
    const refused = await login("quinn", "quinn's long password", from("198.51.100.30"));
    expect([refused.status, Number(refused.headers.get("retry-after")) <= 30]).toEqual([429, true]);
    expect(JSON.parse(rows("sign_in_throttled", "quinn")[0].detail).limit).toBe("address");
    await signIn(s, "quinn", "quinn's long password", from("198.51.100.31"));
  });
});

describe("single sign-on accounts have no local password", () => {
  const SSO_PASSWORD = "a password sso-sam never had";

  beforeAll(async () => {
    const db = openDb(s.dbPath);
    try {
      await createUser({ db, now: Date.now }, { username: "sso-sam", role: "admin", source: "oidc", oidcSubject: "https://idp.invalid|sam" }, "system");
    } finally {
      db.$client.close();
    }
  });

  it("the admin API refuses to set one: 422 naming password, nothing changes", async () => {
    const before = probe.audit().length;
    const r = await call(s, "/api/v1/admin/users/sso-sam", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password: SSO_PASSWORD }),
    });
    const detail = "password: a single sign-on account has no local password; it signs in through the identity provider";
    expectProblemReply(r, problemOf("validation-failed", detail, {
      errors: [{ path: "password", message: "a single sign-on account has no local password; it signs in through the identity provider" }],
    }));
    const row = probe.db.$client.prepare("select password_hash from users where username = 'sso-sam'").get() as Json;
    expect(row.password_hash).toBeNull();
    expect(probe.audit().length).toBe(before);
  });

  it("the CLI refuses too (users passwd): exit 1 saying why, no password printed or stored", async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("npm", ["run", "-s", "mdr", "--", "users", "passwd", "sso-sam"], {
        cwd: path.resolve(__dirname, "../.."),
        env: { ...process.env, MDR_DB_PATH: s.dbPath },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
    expect([run.code, run.stdout, run.stderr]).toEqual([
      1,
      "",
      "error: password: a single sign-on account has no local password; it signs in through the identity provider\n",
    ]);
    const row = probe.db.$client.prepare("select password_hash from users where username = 'sso-sam'").get() as Json;
    expect(row.password_hash).toBeNull();
  }, 60_000);

  it("a password in its row (set before this rule) never signs it in: the same 401 as a wrong password", async () => {
    probe.db.$client.prepare("update users set password_hash = ? where username = 'sso-sam'").run(await hashPassword(SSO_PASSWORD));
    const r = await login("sso-sam", SSO_PASSWORD, from("198.51.100.40"));
    expectProblemReply(r, wrong);
    expect(r.headers.get("set-cookie")).toBeNull();
    expect(rows("sign_in_failed", "sso-sam").map((e) => JSON.parse(e.detail))).toEqual([{ reason: "single sign-on account" }]);
  });
});

describe("the generated first-run password must be changed", () => {
  const NEW_PASSWORD = "the admin's own new password";
  const origin = () => ({ origin: s.url });
  const change = (cookie: string, body: unknown, headers: Record<string, string> = origin()) =>
    raw(s, "/api/v1/auth/password", {
      method: "POST",
      headers: { cookie, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const required = problemOf("password-change-required", "Change your password first (POST /api/v1/auth/password).");

  it("sign-in works, but every other call is 403 until the password is changed; then 200; tokens were never held back", async () => {
    expect(oneTimePassword).not.toBe("");
    const { cookie, reply } = await signIn(s, "admin", oneTimePassword);
    expect(reply.body).toEqual({
      user: { username: "admin", role: "admin", tenants: null, source: "local", disabled: false, created_at: anyIso(), last_sign_in_at: null },
      session: { expires_at: anyIso() },
      must_change_password: true,
    });
    const other = await signIn(s, "admin", oneTimePassword, {});

    for (const path of ["/api/v1/mdr/actions", "/api/v1/mdr/status", "/api/v1/admin/users"]) {
      const r = await raw(s, path, { headers: { cookie } });
      expectProblemReply(r, required);
    }
    const write = await raw(s, "/api/v1/mdr/block-ip", {
      method: "POST",
      headers: { cookie, ...origin(), "content-type": "application/json" },
      body: JSON.stringify({ ip: "185.220.101.200" }),
    });
    expectProblemReply(write, required);
    expect(probe.count("actions")).toBe(0);
    // Who am I still answers, and says why.
    const me = await raw(s, "/api/v1/auth/me", { headers: { cookie } });
    expect({ status: me.status, body: me.body }).toEqual({
      status: 200,
      body: { actor: "user:admin", name: "admin", role: "admin", tenants: null, via: "session", session_expires_at: anyIso(), must_change_password: true },
    });
    // The API token (made by an admin) is not affected.
    expect((await call(s, "/api/v1/mdr/actions")).status).toBe(200);

    // The same rules as elsewhere: a wrong current password, a short new one, the same one.
    expectProblemReply(
      await change(cookie, { current_password: "not it at all", new_password: NEW_PASSWORD }),
      problemOf("validation-failed", "current_password: is not your current password", {
        errors: [{ path: "current_password", message: "is not your current password" }],
      }),
    );
    expectProblemReply(
      await change(cookie, { current_password: oneTimePassword, new_password: "short" }),
      problemOf("validation-failed", "The request body is invalid: new_password: must be at least 12 characters", {
        errors: [{ path: "new_password", message: "must be at least 12 characters" }],
      }),
    );
    expectProblemReply(
      await change(cookie, { current_password: oneTimePassword, new_password: oneTimePassword }),
      problemOf("validation-failed", "new_password: must differ from the current password", {
        errors: [{ path: "new_password", message: "must differ from the current password" }],
      }),
    );
    // A change without our Origin is a cross-site write like any other.
    expect((await change(cookie, { current_password: oneTimePassword, new_password: NEW_PASSWORD }, {})).status).toBe(403);

    const done = await change(cookie, { current_password: oneTimePassword, new_password: NEW_PASSWORD });
    expect([done.status, done.body]).toEqual([204, ""]);
    expect((await raw(s, "/api/v1/mdr/actions", { headers: { cookie } })).status).toBe(200);
    // The other session, started with the old password, has ended; the old password is gone.
    expectUnauthorized(await raw(s, "/api/v1/auth/me", { headers: { cookie: other.cookie } }), "Your session has ended; sign in again.");
    expectProblemReply(await login("admin", oneTimePassword, from("198.51.100.50")), wrong);
    const again = await signIn(s, "admin", NEW_PASSWORD, from("198.51.100.51"));
    expect(again.reply.body.must_change_password).toBe(false);

    const audit = probe.audit().filter((e) => e.subject === "admin" && ["password_changed", "sign_in_failed"].includes(e.event));
    expect(audit.map((e) => [e.event, e.actor, JSON.parse(e.detail)])).toEqual([
      ["sign_in_failed", "user:admin", { reason: "wrong current password", method: "password_change" }],
      ["password_changed", "user:admin", { required: true, sessions_ended: 1 }],
      ["sign_in_failed", "anonymous", { reason: "wrong password" }],
    ]);
    const changed = probe.db.$client.prepare("select must_change_password from users where username = 'admin'").get() as Json;
    expect(changed.must_change_password).toBe(0);
    for (const e of probe.audit()) expect(JSON.stringify(e)).not.toContain(NEW_PASSWORD);
  });

  it("a single sign-on account cannot set a local password through it either", async () => {
    const db = openDb(s.dbPath);
    let secret = "";
    try {
      const { createSession } = await import("@/lib/auth/sessions");
      const { findUser } = await import("@/lib/auth/users");
      const store = { db, now: Date.now };
      secret = createSession(store, findUser(store, "sso-sam")!, 3_600_000).secret;
    } finally {
      db.$client.close();
    }
    const r = await change(`mdr_session=${secret}`, { current_password: "a password sso-sam never had", new_password: "a brand new password" });
    expectProblemReply(r, problemOf("validation-failed", "new_password: a single sign-on account has no local password; change it at the identity provider", {
      errors: [{ path: "new_password", message: "a single sign-on account has no local password; change it at the identity provider" }],
    }));
  });
});

describe("a sign-in starts a new session", () => {
  it("signing in with the cookie of a live session ends that session: the old cookie is 401, the new one works", async () => {
    await addUser("rita", "rita's long password");
    const first = await signIn(s, "rita", "rita's long password");
    expect((await raw(s, "/api/v1/auth/me", { headers: { cookie: first.cookie } })).status).toBe(200);
    const second = await signIn(s, "rita", "rita's long password", { cookie: first.cookie, origin: s.url });
    expect(second.cookie).not.toBe(first.cookie);
    expectUnauthorized(await raw(s, "/api/v1/auth/me", { headers: { cookie: first.cookie } }), "Your session has ended; sign in again.");
    const me = await raw(s, "/api/v1/auth/me", { headers: { cookie: second.cookie } });
    expect([me.status, me.body.name]).toEqual([200, "rita"]);
    const ev = rows("sign_in", "rita").at(-1);
    const ended = probe.db.$client.prepare("select revoked_at from sessions where id = ?").get(JSON.parse(ev.detail).ended_session_id) as Json;
    expect(ended.revoked_at).toEqual(expect.any(Number));
  });
});

describe("cookie names over https", () => {
  const https = { "x-forwarded-proto": "https" };

  it("over https (a trusted proxy says so): __Host-mdr_session, Secure, Path=/, no Domain; only that name is read", async () => {
    await addUser("sven", "sven's long password");
    const r = await login("sven", "sven's long password", https);
    expect(r.status).toBe(200);
    const setCookie = r.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^__Host-mdr_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const pair = setCookie.split(";")[0]!;
    const value = pair.slice("__Host-mdr_session=".length);
    expect((await raw(s, "/api/v1/auth/me", { headers: { cookie: pair, ...https } })).body.name).toBe("sven");
    // Over https the plain name is not a session cookie (a subdomain or http page could have set it).
    const plain = await raw(s, "/api/v1/auth/me", { headers: { cookie: `mdr_session=${value}`, ...https } });
    expect(plain.status).toBe(401);
    const out = await raw(s, "/api/v1/auth/logout", { method: "POST", headers: { cookie: pair, ...https, origin: s.url.replace("http:", "https:") } });
    expect([out.status, out.headers.get("set-cookie")]).toEqual([204, "__Host-mdr_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });

  it("over http: the plain names, no Secure", async () => {
    const r = await login("sven", "sven's long password");
    expect(r.headers.get("set-cookie")).toMatch(/^mdr_session=[A-Za-z0-9_-]{43}; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    const sso = await raw(s, "/api/v1/auth/oidc/callback?code=x&state=y");
    expect([sso.status, sso.headers.get("set-cookie")]).toEqual([303, "mdr_oidc=; Max-Age=0; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax"]);
  });

  it("the single sign-on state cookie too: __Host-mdr_oidc with Path=/ over https", async () => {
    const sso = await raw(s, "/api/v1/auth/oidc/callback?code=x&state=y", { headers: https });
    expect([sso.status, sso.headers.get("set-cookie")]).toEqual([303, "__Host-mdr_oidc=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"]);
  });
});

