// Single sign-on against a real OpenID provider (oidc-provider over HTTPS, PKCE required) and the
// production server: a browser (cookie jar, redirects followed by hand) goes from
// /api/v1/auth/oidc/login to the provider, back to the callback and on to the page. Then the
// session is used like any other; the ways a login must fail are each tried and found audited.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Browser, type Hop } from "../support/browser";
import { type TestIdp, startOidcProvider } from "../support/oidc-provider";
import { PortInUseError, type TestServer, freePort, startServer } from "../support/server";
import { type Json, get, post } from "./helpers";

let server: TestServer;
let idp: TestIdp;
let callbackUrl: string;

beforeAll(async () => {
  // The URL must be known before either starts (the provider's redirect URI, MDR_PUBLIC_URL): a
  // port that another process takes before the server binds it means a fresh port for both.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    callbackUrl = `${url}/api/v1/auth/oidc/callback`;
    idp = await startOidcProvider({ redirectUris: [callbackUrl] });
    idp.accounts.set("erin", { sub: "3f1c7a52-0005-4a8e-9c1d-e71e00000005", preferred_username: "Erin", roles: ["MDR.Admin"] });
    idp.accounts.set("frank", { sub: "3f1c7a52-0006-4a8e-9c1d-f7a4c0000006", preferred_username: "frank", roles: ["MDR.Viewer"] });
    try {
      server = await startServer(
        {
          MDR_PUBLIC_URL: url,
          MDR_OIDC_ISSUER: idp.issuer,
          MDR_OIDC_CLIENT_ID: idp.clientId,
          MDR_OIDC_CLIENT_SECRET: idp.clientSecret,
        },
        "oidc",
        { port },
      );
      return;
    } catch (err) {
      await idp.close();
      if (!(err instanceof PortInUseError) || attempt === 5) throw err;
    }
  }
});

afterAll(async () => {
  await server?.stop();
  await idp?.close();
});

// ---- the flow -------------------------------------------------------------------------------

interface Flow {
  hops: Hop[];
  /** The authorization request the app sent the browser to (before the test's login_hint). */
  authorization: URL;
  /** The answer to the callback. */
  callback: Hop;
  last: Response;
  /** The Set-Cookie headers of the login route's answer. */
  loginCookies: string[];
}

const LOGIN = "/api/v1/auth/oidc/login";
/** openid-client's words for a state that is not the one this browser started with. */
const STATE_MISMATCH = 'invalid response encountered: unexpected "state" response parameter value';

/**
 * Signs in through the provider as `account` (its login hint; the provider's session in this
 * browser, if any, wins) and follows every redirect to the end.
 */
async function ssoSignIn(browser: Browser, account: string, next?: string): Promise<Flow> {
  const start = await browser.fetch(`${server.url}${LOGIN}${next === undefined ? "" : `?next=${encodeURIComponent(next)}`}`);
  expect(start.status, await start.clone().text()).toBe(302);
  const authorization = new URL(start.headers.get("location")!);
  const toProvider = new URL(authorization);
  toProvider.searchParams.set("login_hint", account);
  const rest = await browser.follow(toProvider, { max: 10 });
  const hops = [{ url: start.url, status: start.status, location: start.headers.get("location") }, ...rest.hops];
  const callback = hops.find((h) => h.url.startsWith(callbackUrl));
  expect(callback, JSON.stringify(hops, null, 2)).toBeDefined();
  return { hops, authorization, callback: callback!, last: rest.last, loginCookies: start.headers.getSetCookie() };
}

/** Goes through the provider but stops before the callback: its URL, with code and state. */
async function untilCallback(browser: Browser, account: string): Promise<URL> {
  const start = await browser.fetch(`${server.url}${LOGIN}`);
  expect(start.status).toBe(302);
  let current = new URL(start.headers.get("location")!);
  current.searchParams.set("login_hint", account);
  for (let i = 0; i < 10; i++) {
    const res = await browser.fetch(current);
    await res.arrayBuffer();
    const location = res.headers.get("location");
    expect(location, `${res.status} at ${current.href}`).toBeTruthy();
    current = new URL(location!, current);
    if (current.href.startsWith(callbackUrl)) return current;
  }
  throw new Error("the provider did not redirect back");
}

// ---- what the server says -------------------------------------------------------------------

async function me(browser: Browser): Promise<{ status: number; body: Json }> {
  const res = await browser.fetch(`${server.url}/api/v1/auth/me`);
  return { status: res.status, body: await res.json() };
}

async function auditEvents(): Promise<Json[]> {
  const r = await get(server, "/api/v1/admin/audit?limit=200");
  expect(r.status).toBe(200);
  return r.body.events;
}

let auditMark = 0;
/** Audit rows written since the current test began, oldest first, without id/at. */
async function newAudit(): Promise<Json[]> {
  return (await auditEvents())
    .filter((e: Json) => e.id > auditMark)
    .reverse()
    .map(({ id: _id, at: _at, ...rest }: Json) => rest);
}

async function user(username: string): Promise<Json | undefined> {
  const r = await get(server, "/api/v1/admin/users");
  return r.body.users.find((u: Json) => u.username === username);
}

beforeEach(async () => {
  auditMark = Math.max(0, ...(await auditEvents()).map((e: Json) => e.id));
});

const subjectOf = (account: string) => `${idp.issuer}|${idp.accounts.get(account)!.sub}`;
const failedLogin = (reason: string, extra: Record<string, unknown> = {}) => ({
  event: "sign_in_failed",
  actor: "anonymous",
  subject: null,
  detail: { method: "oidc", reason, ...extra },
  ip: expect.any(String),
});

// ---- tests ------------------------------------------------------------------------------------

describe("single sign-on: the happy path", () => {
  it("login -> provider (PKCE S256, state, nonce) -> callback -> /mdr; a session as user:alice, admin", async () => {
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "alice");

    // The authorization request: code flow with PKCE (S256), state and nonce, to our callback.
    const a = flow.authorization;
    expect(`${a.origin}${a.pathname}`).toBe(`${idp.issuer}/auth`);
    expect(Object.fromEntries(a.searchParams)).toEqual({
      client_id: idp.clientId,
      response_type: "code",
      redirect_uri: callbackUrl,
      scope: "openid profile email",
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: "S256",
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // The values to check the answer against stay in this browser: httpOnly, Lax, 10 min, only the flow's routes.
    expect(flow.loginCookies).toEqual([
      expect.stringMatching(/^mdr_oidc=[A-Za-z0-9_-]+; Max-Age=600; Path=\/api\/v1\/auth\/oidc; HttpOnly; SameSite=Lax$/),
    ]);
    expect(flow.loginCookies[0]).not.toContain(a.searchParams.get("code_challenge"));

    // Provider, back to the callback with a code, then a 303 to the page, which renders signed in.
    expect(flow.callback).toEqual({ url: expect.stringMatching(/[?&]code=/), status: 303, location: "/mdr" });
    expect(flow.hops.at(-1)).toEqual({ url: `${server.url}/mdr`, status: 200, location: null });
    expect(await flow.last.text()).toContain("alice");
    expect(browser.cookie(callbackUrl, "mdr_oidc")).toBeUndefined();
    expect(browser.cookie(`${server.url}/`, "mdr_session")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // The code went to the token endpoint with the PKCE verifier and the client secret (post).
    expect(idp.tokenRequests.at(-1)).toEqual({ clientId: idp.clientId, authMethod: "client_secret_post", codeVerifier: true });

    expect(await me(browser)).toEqual({
      status: 200,
      body: { actor: "user:alice", name: "alice", role: "admin", tenants: null, via: "session", session_expires_at: expect.any(String), must_change_password: false },
    });
    expect(await user("alice")).toEqual({
      username: "alice",
      role: "admin",
      tenants: null,
      source: "oidc",
      disabled: false,
      created_at: expect.any(String),
      last_sign_in_at: expect.any(String),
    });
    expect(await newAudit()).toEqual([
      { event: "user_created", actor: "system", subject: "alice", detail: { role: "admin", source: "oidc" }, ip: null },
      {
        event: "sign_in",
        actor: "user:alice",
        subject: "alice",
        detail: { method: "oidc", session_id: expect.stringMatching(/^ses_/), role: "admin" },
        ip: expect.any(String),
      },
    ]);
  });

  it("an action posted with the session cookie (and our Origin) records requested_by user:alice", async () => {
    const browser = new Browser();
    await ssoSignIn(browser, "alice");
    const res = await browser.fetch(`${server.url}/api/v1/mdr/block-ip`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ ip: "185.220.101.77", reason: "SSO test" }),
    });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.requested_by).toBe("user:alice");
    const row = await get(server, `/api/v1/mdr/actions/${body.id}`);
    expect(row.body.requested_by).toBe("user:alice");
    expect(row.body.timeline[0].message).toBe("Requested by user:alice");
    // A second sign-in finds the same account: nothing new is created.
    expect((await newAudit()).map((e) => e.event)).toEqual(["sign_in"]);
  });

  it("the username claim is lower-cased (bob's UPN); next= is honoured; the responder role applies", async () => {
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "bob", "/api/v1/auth/me");
    expect(flow.callback.location).toBe("/api/v1/auth/me");
    expect(flow.last.status).toBe(200);
    expect(await flow.last.json()).toEqual({
      actor: "user:bob@contoso.com",
      name: "bob@contoso.com",
      role: "responder",
      tenants: null,
      via: "session",
      session_expires_at: expect.any(String),
      must_change_password: false,
    });
  });

  it("a viewer signs in, can read and cannot act; a next= off this site falls back to /mdr", async () => {
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "carol", "//evil.example/steal");
    expect(flow.callback.location).toBe("/mdr");
    expect((await me(browser)).body.role).toBe("viewer");
    const res = await browser.fetch(`${server.url}/api/v1/mdr/isolate`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ hostname: "ws-0142" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("single sign-on: refusals, each audited", () => {
  it("a tampered state: sso_failed, no session, the state cookie cleared, the code never recorded", async () => {
    const browser = new Browser();
    const callback = await untilCallback(browser, "alice");
    const code = callback.searchParams.get("code")!;
    callback.searchParams.set("state", "forged-state-value");
    const res = await browser.fetch(callback);
    expect({ status: res.status, location: res.headers.get("location") }).toEqual({ status: 303, location: "/login?error=sso_failed" });
    expect(browser.cookie(`${server.url}/`, "mdr_session")).toBeUndefined();
    expect(browser.cookie(callbackUrl, "mdr_oidc")).toBeUndefined();
    const audit = await newAudit();
    expect(audit).toEqual([failedLogin(STATE_MISMATCH)]);
    expect(JSON.stringify(audit)).not.toContain(code);
    expect(server.output()).not.toContain(code);
  });

  it("a callback in another browser (no state cookie): sso_failed; the browser that started it still can finish", async () => {
    const started = new Browser();
    const callback = await untilCallback(started, "alice");
    const other = new Browser();
    const res = await other.fetch(callback);
    expect({ status: res.status, location: res.headers.get("location") }).toEqual({ status: 303, location: "/login?error=sso_failed" });
    expect(other.cookie(`${server.url}/`, "mdr_session")).toBeUndefined();
    expect(await newAudit()).toEqual([failedLogin("no sign-in was started in this browser, or it expired (no state cookie)")]);

    // Nothing was redeemed: the right browser completes the same answer.
    const own = await started.fetch(callback);
    expect({ status: own.status, location: own.headers.get("location") }).toEqual({ status: 303, location: "/mdr" });
    expect((await me(started)).body.actor).toBe("user:alice");
  });

  it("a state cookie from another login: the state does not match, sso_failed", async () => {
    const browser = new Browser();
    const first = await untilCallback(browser, "alice");
    // A second login in the same browser replaces the pending one (its state cookie).
    const again = await browser.fetch(`${server.url}${LOGIN}`);
    expect(again.status).toBe(302);
    const res = await browser.fetch(first);
    expect(res.headers.get("location")).toBe("/login?error=sso_failed");
    expect(await newAudit()).toEqual([failedLogin(STATE_MISMATCH)]);
  });

  it("the provider refuses (access_denied): sso_failed with its reason", async () => {
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "nobody", "/mdr/somewhere");
    expect(flow.callback.location).toBe("/login?error=sso_failed&next=%2Fmdr%2Fsomewhere");
    expect(await newAudit()).toEqual([failedLogin("the identity provider answered access_denied: no such test account")]);
  });

  it("an error_description with CR/LF and a bidi override: recorded escaped, never as a line of its own", async () => {
    const browser = new Browser();
    const callback = await untilCallback(browser, "alice");
    // The provider's answer as the browser brings it back (state and iss its own), with an error in place of the code.
    const answer = new URL(callback.origin + callback.pathname);
    for (const name of ["state", "iss"]) if (callback.searchParams.has(name)) answer.searchParams.set(name, callback.searchParams.get(name)!);
    answer.searchParams.set("error", "access_denied");
    answer.searchParams.set("error_description", "denied\r\n[mdr] single sign-on for admin succeeded \u202Etxt.exe");
    const res = await browser.fetch(answer);
    expect(res.headers.get("location")).toBe("/login?error=sso_failed");
    expect(await newAudit()).toEqual([
      failedLogin("the identity provider answered access_denied: denied\\u000d\\u000a[mdr] single sign-on for admin succeeded \\u202etxt.exe"),
    ]);
    expect(server.output()).not.toContain("\n[mdr] single sign-on for admin succeeded");
  });

  it("the token endpoint fails: sso_failed naming it, without the code", async () => {
    const browser = new Browser();
    const callback = await untilCallback(browser, "alice");
    idp.failTokenEndpoint = true;
    try {
      const res = await browser.fetch(callback);
      expect(res.headers.get("location")).toBe("/login?error=sso_failed");
    } finally {
      idp.failTokenEndpoint = false;
    }
    const audit = await newAudit();
    expect(audit).toEqual([failedLogin(`unexpected HTTP response status code (HTTP 503 from ${idp.issuer}/token)`)]);
    expect(JSON.stringify(audit)).not.toContain(callback.searchParams.get("code"));
  });

  it("an account without a mapped role: sso_no_role, audited, no account made", async () => {
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "dave");
    expect(flow.callback.location).toBe("/login?error=sso_no_role");
    expect(flow.hops.at(-1)).toMatchObject({ url: `${server.url}/login?error=sso_no_role`, status: 200 });
    expect(await newAudit()).toEqual([failedLogin("no role", { oidc_subject: subjectOf("dave"), username: "dave" })]);
    expect(await user("dave")).toBeUndefined();
  });

  it("a local account of the same name is not taken over, even by an admin at the provider", async () => {
    const created = await post(server, "/api/v1/admin/users", { username: "erin", role: "viewer", password: "local-password-123" });
    expect(created.status).toBe(201);
    auditMark = Math.max(auditMark, ...(await auditEvents()).map((e: Json) => e.id));
    const browser = new Browser();
    const flow = await ssoSignIn(browser, "erin");
    expect(flow.callback.location).toBe("/login?error=sso_failed");
    expect(browser.cookie(`${server.url}/`, "mdr_session")).toBeUndefined();
    expect(await newAudit()).toEqual([
      failedLogin("username erin belongs to a local account", { oidc_subject: subjectOf("erin"), username: "erin" }),
    ]);
    expect(await user("erin")).toMatchObject({ username: "erin", role: "viewer", source: "local" });
  });

  it("a disabled single sign-on account is refused", async () => {
    const res = await server.fetch("/api/v1/admin/users/bob@contoso.com", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ disabled: true }),
    });
    expect(res.status).toBe(200);
    auditMark = Math.max(auditMark, ...(await auditEvents()).map((e: Json) => e.id));
    const flow = await ssoSignIn(new Browser(), "bob");
    expect(flow.callback.location).toBe("/login?error=sso_failed");
    expect(await newAudit()).toEqual([
      { ...failedLogin("account disabled", { oidc_subject: subjectOf("bob"), username: "bob@contoso.com" }), subject: "bob@contoso.com" },
    ]);
  });
});

describe("single sign-on: the provider decides the role", () => {
  it("a role change at the provider applies at the next sign-in; the highest role wins; no role left: refused", async () => {
    const browser = new Browser();
    await ssoSignIn(browser, "frank");
    expect((await me(browser)).body.role).toBe("viewer");

    idp.accounts.get("frank")!.roles = ["MDR.Viewer", "MDR.Admin", "Unrelated"];
    auditMark = Math.max(auditMark, ...(await auditEvents()).map((e: Json) => e.id));
    // The same browser: the provider's own session signs frank in without asking; the old
    // session cookie (ended by the role change) is no obstacle.
    const flow = await ssoSignIn(browser, "frank");
    expect(flow.callback.location).toBe("/mdr");
    expect((await me(browser)).body).toMatchObject({ actor: "user:frank", role: "admin" });
    expect(await newAudit()).toEqual([
      {
        event: "user_updated",
        actor: "system",
        subject: "frank",
        detail: { role: "admin", previous_role: "viewer", source: "oidc" },
        ip: null,
      },
      {
        event: "sign_in",
        actor: "user:frank",
        subject: "frank",
        detail: { method: "oidc", session_id: expect.stringMatching(/^ses_/), role: "admin" },
        ip: expect.any(String),
      },
    ]);

    // Every app role removed: the next sign-in is refused (and recorded against frank).
    const other = new Browser();
    idp.accounts.get("frank")!.roles = [];
    auditMark = Math.max(auditMark, ...(await auditEvents()).map((e: Json) => e.id));
    const refused = await ssoSignIn(other, "frank");
    expect(refused.callback.location).toBe("/login?error=sso_no_role");
    expect(await newAudit()).toEqual([
      { ...failedLogin("no role", { oidc_subject: subjectOf("frank"), username: "frank" }), subject: "frank" },
    ]);
  });

  it("a session that was ended does not stop a new sign-in, and the new one replaces it", async () => {
    const browser = new Browser();
    await ssoSignIn(browser, "carol");
    const first = browser.cookie(`${server.url}/`, "mdr_session");
    // Sign out elsewhere-style: an admin changes carol's role, which ends her sessions.
    const res = await server.fetch("/api/v1/admin/users/carol", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "responder" }),
    });
    expect(res.status).toBe(200);
    expect((await me(browser)).status).toBe(401);
    const flow = await ssoSignIn(browser, "carol");
    expect(flow.callback.location).toBe("/mdr");
    expect(browser.cookie(`${server.url}/`, "mdr_session")).not.toBe(first);
    // The provider still says viewer: that is the role again.
    expect((await me(browser)).body).toMatchObject({ actor: "user:carol", role: "viewer" });
  });
});
