// The sign-in of the app registration (client credentials at POST /{tenant}/oauth2/v2.0/token):
// the token endpoint failing (5xx, 429) or unreachable, and tokens renewed as they near their end.
// What the product answers, what it records, and that nothing reaches the API without a token.
import { describe, expect, it } from "vitest";
import { TENANT_A } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { freePort } from "../support/server";
import { type Json, anyActionId, detail, expectProblem, get, post, problem, steps, withoutTimeline } from "./helpers";
import { AUDIENCE, apiCalls, bearer, liveAction, liveEnv, liveSetup, mark, since } from "./live";

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const TOKEN = "POST /oauth2/v2.0/token";
const SCOPE = {
  defender: "https://api.securitycenter.microsoft.com/.default",
  graph: "https://graph.microsoft.com/.default",
};

/** The token requests received after `from`: the resource asked for and the answer's status. */
const tokenRequests = (emu: Emulator, from: number) =>
  since(emu, from, { service: "entra", method: "POST", path: "/oauth2/v2.0/token" }).map((t) => ({
    path: t.path,
    scope: (t.body as Json).scope,
    status: t.status,
  }));

const isolateRow = (hostname: string, over: Record<string, unknown>) =>
  liveAction({ type: "isolate_endpoint", target: hostname, provider: "defender", parameters: { hostname, machine_id: null, isolation_type: "Full" }, ...over });

describe("the token endpoint failing", () => {
  // Tokens of 60 s: MSAL renews a token within 5 minutes of its end, so every call signs in again
  // and meets whatever the token endpoint answers now.
  const live = liveSetup({ name: "live-token-faults", emulator: { tokenLifetimeSeconds: 60 } });

  it("503 from the token endpoint: 503 provider-unavailable naming the sign-in service, recorded failed, Defender never called; MSAL then waits before asking again", async () => {
    const { emu, server } = live();
    emu.setFault({ match: TOKEN, status: 503, times: 1 });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com" });
    const message = "[Defender] the sign-in service is unavailable (HTTP 503 temporarily_unavailable): AADSTS50196: Injected fault: ServiceUnavailable.";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(isolateRow("ws-0142.contoso.com", { id: r.body.action_id, status: "failed", error: message, completed_at: d.updated_at }));
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(apiCalls(emu, from)).toEqual([]);
    expect(tokenRequests(emu, from)).toEqual([{ path: `/${TENANT_A}/oauth2/v2.0/token`, scope: SCOPE.defender, status: 503 }]);

    // The endpoint is fine again, but MSAL keeps away from it for a while after a 5xx (60 s without
    // a Retry-After): the next action fails at once, saying why, without a request.
    const next = mark(emu);
    const again = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com" });
    const waiting =
      "[Defender] the sign-in service failed recently and is not asked again until its wait is over (50196): AADSTS50196: Injected fault: ServiceUnavailable.";
    expectProblem(again, problem("provider-unavailable", waiting, { action_id: anyActionId(), action_status: "failed" }));
    expect(since(emu, next)).toEqual([]);
    expect(emu.device(TENANT_A, "ws-0142.contoso.com").isolated).toBe(false);
  });

  it("429 from the token endpoint: 503, recorded failed, Graph never called; after its Retry-After the next action signs in and succeeds", async () => {
    const { emu, server } = live();
    emu.setFault({ match: TOKEN, status: 429, retryAfter: 2, times: 1 });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: "alex.wilber@contoso.com" });
    const message = "[Graph] the sign-in service is throttling requests (HTTP 429 invalid_request): AADSTS50196: Rate limit is exceeded. Try again later.";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(withoutTimeline(await detail(server, r.body.action_id))).toMatchObject({ status: "failed", error: message, active: false });
    expect(apiCalls(emu, from)).toEqual([]);
    expect(tokenRequests(emu, from)).toEqual([{ path: `/${TENANT_A}/oauth2/v2.0/token`, scope: SCOPE.graph, status: 429 }]);
    expect(emu.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled).toBe(true);

    await new Promise((res) => setTimeout(res, 2200));
    const again = mark(emu);
    const ok = await post(server, DISABLE, { upn: "alex.wilber@contoso.com", revoke_sessions: false });
    expect({ status: ok.status, row: ok.body.status }).toEqual({ status: 201, row: "succeeded" });
    // Signed in again (once per Graph call with tokens this short), for Graph only, successfully.
    const renewed = tokenRequests(emu, again);
    expect(renewed.length).toBeGreaterThanOrEqual(1);
    expect(new Set(renewed.map((t) => JSON.stringify(t)))).toEqual(
      new Set([JSON.stringify({ path: `/${TENANT_A}/oauth2/v2.0/token`, scope: SCOPE.graph, status: 200 })]),
    );
    expect(since(emu, again, { service: "graph" }).map((c) => c.auth)).toEqual([bearer(AUDIENCE.graph), bearer(AUDIENCE.graph)]);
    expect(emu.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled).toBe(false);
  });
});

describe("the token endpoint unreachable", async () => {
  // The authority is a port nothing listens on; the APIs themselves are up.
  const port = await freePort();
  const live = liveSetup({
    name: "live-token-unreachable",
    env: (emu) => liveEnv(emu, { AZURE_AUTHORITY_HOST: `https://127.0.0.1:${port}` }),
  });
  it("an action: 503 saying the sign-in service cannot be reached, recorded failed, no API called", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.95" });
    // MSAL cannot even read the authority's OpenID configuration; its message says no more.
    const message =
      "[Defender] cannot reach the sign-in service (endpoints_resolution_error): See https://aka.ms/msal.js.errors#endpoints_resolution_error for details";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "block_ip",
        status: "failed",
        target: "185.220.101.95",
        provider: "defender",
        parameters: { ip: "185.220.101.95", firewall_type: "defender", priority: null, duration_hours: 24 },
        error: message,
        completed_at: d.updated_at,
        expires_at: d.expires_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(since(emu, from)).toEqual([]);
  });
});
describe("token renewal", () => {
  // Tokens of 320 s: MSAL hands out the cached one until it is within 5 minutes of its end, that is
  // for 20 s, then signs in again. (The check of a fresh token, right after, has those 20 s.)
  const LIFETIME_S = 320;
  const live = liveSetup({ name: "live-token-renewal", emulator: { tokenLifetimeSeconds: LIFETIME_S } });

  it("a token is reused while fresh, and renewed once it nears its end: one new token request per resource, and the actions succeed", async () => {
    const { emu, server } = live();
    const lastToken = (scope: string) => emu.find({ service: "entra", method: "POST", path: "/oauth2/v2.0/token" }).filter((t) => (t.body as Json).scope === scope).at(-1)!;
    // The server's readiness check signed in for each resource: wait until those tokens are stale.
    const issued = Math.max(Date.parse(lastToken(SCOPE.defender).at), Date.parse(lastToken(SCOPE.graph).at));
    // MSAL counts in whole seconds: 2 s past the 20 s leaves no doubt.
    await new Promise((res) => setTimeout(res, Math.max(0, issued + (LIFETIME_S - 300 + 2) * 1000 - Date.now())));

    const from = mark(emu);
    const block = await post(server, BLOCK, { ip: "185.220.101.96" });
    const disable = await post(server, DISABLE, { upn: "alex.wilber@contoso.com", revoke_sessions: false });
    expect([block.status, block.body.status, disable.status, disable.body.status]).toEqual([201, "succeeded", 201, "succeeded"]);
    expect(tokenRequests(emu, from)).toEqual([
      { path: `/${TENANT_A}/oauth2/v2.0/token`, scope: SCOPE.defender, status: 200 },
      { path: `/${TENANT_A}/oauth2/v2.0/token`, scope: SCOPE.graph, status: 200 },
    ]);
    // Every API call carried a valid token for its own resource.
    expect(since(emu, from, { service: "defender" }).map((c) => c.auth)).toEqual([bearer(AUDIENCE.defender), bearer(AUDIENCE.defender)]);
    expect(since(emu, from, { service: "graph" }).map((c) => c.auth)).toEqual([bearer(AUDIENCE.graph), bearer(AUDIENCE.graph)]);

    // Fresh again: the next actions sign in no more.
    const next = mark(emu);
    const block2 = await post(server, BLOCK, { ip: "185.220.101.97" });
    expect(block2.status).toBe(201);
    expect(tokenRequests(emu, next)).toEqual([]);
  }, 60_000);
});

describe("/status while the token endpoint fails", () => {
  // A server of its own, just started: no earlier sign-in failure is remembered by MSAL, and the
  // ARM token it got at its start is still good.
  const live = liveSetup({ name: "live-token-status", emulator: { tokenLifetimeSeconds: 60 } });

  it("each service that must sign in is down naming the sign-in failure; ARM, with a token still good, is up", async () => {
    const { emu, server } = live();
    const fault = emu.setFault({ match: TOKEN, status: 500, times: Infinity });
    try {
      const r = await get(server, "/api/v1/mdr/status");
      expect(r.status).toBe(200);
      const down = (error: string) => ({ status: "down", latency_ms: expect.any(Number), error });
      const failing = (label: string) =>
        `[${label}] the sign-in service is unavailable (HTTP 500 temporarily_unavailable): AADSTS50196: Injected fault: InternalServerError.`;
      expect(r.body.services).toEqual({
        defender: down(failing("Defender")),
        graph: down(failing("Graph")),
        // The ARM client keeps the token it got at the server's start until shortly before it ends
        // (60 s later), trying to renew it in the background meanwhile: ARM is still reached, and up.
        azure_nsg: { status: "up", latency_ms: expect.any(Number), error: null },
        aws: { status: "up", latency_ms: expect.any(Number), error: null },
        aws_waf: { status: "not_configured", latency_ms: null, error: null },
      });
    } finally {
      fault.clear();
    }
  });
});
