// Slow outside APIs with MDR_PROVIDER_TIMEOUT_MS=1000: the action answers 504 and is recorded
// failed in about that time, nothing is retried after the pipeline gave up, and a status check
// does not hang on a slow probe.
import { describe, expect, it } from "vitest";
import { ACL_A, TENANT_A, WAF_V4 } from "../emulator/fixtures";
import { anyActionId, anyIso, detail, expectProblem, get, post, problem, steps, withoutTimeline } from "./helpers";
import { eventually } from "../support/server";
import { liveAction, liveEnv, liveSetup, mark, since } from "./live";

const TIMEOUT_MS = 1000;
const live = liveSetup({
  name: "live-timeout",
  env: (emu) =>
    liveEnv(emu, {
      MDR_PROVIDER_TIMEOUT_MS: String(TIMEOUT_MS),
      AWS_WAF_IPV4_SET_ARN: WAF_V4,
      AWS_ENDPOINT_URL_WAFV2: emu.urls.waf,
      // A turn at WAF's one call a second would take most of the 1 s every call is given here.
      MDR_RATE_LIMIT_AWS_WAF: "none",
    }),
});

const timedOut = (label: string) => `[${label}] no answer within ${TIMEOUT_MS} ms; the outcome is unknown`;

describe("live timeouts", () => {
  it("a POST isolate that does not answer in time: 504 with the action id after ~1 s, recorded failed, one call", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    // Defender holds the isolation until the test has the 504: an answer that came from waiting
    // for it could not arrive at all (whatever the machine's speed), so no upper bound is needed
    // to tell the two apart; the generous one only says "about the timeout".
    let release = () => {};
    const held = emu.setFault({ match: "POST /isolate", until: new Promise<void>((res) => (release = res)) });
    const from = mark(emu);
    const started = Date.now();
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142.contoso.com" });
    const took = Date.now() - started;
    const message = timedOut("Defender");
    expectProblem(r, problem("provider-timeout", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(held.hits).toBe(1);
    // Served only once the server has abandoned the call too (its own abort may come a moment
    // after the 504), so no answer can reach it.
    const sent = since(emu, from, { method: "POST", path: "/isolate" })[0]!;
    try {
      await eventually(async () => (sent.clientGone ? true : undefined), 10_000, "the server to abandon the held isolation");
    } finally {
      release();
    }
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(took).toBeLessThan(TIMEOUT_MS + 10_000);
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "isolate_endpoint",
        status: "failed",
        target: "ws-0142.contoso.com",
        provider: "defender",
        parameters: { hostname: "ws-0142.contoso.com", machine_id: null, isolation_type: "Full" },
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-0142.contoso.com)`],
      ["failed", message],
    ]);
    // A POST that may have been acted on is never sent again. Once Defender has served the held
    // one (it made a machine action) and a later action's isolation has gone through the same
    // client, a retry would have been sent before it (the first retry waits at most 0.75 s).
    const servedFor = (machineId: string) => [...emu.tenant(TENANT_A).machineActions.values()].some((a) => a.machineId === machineId);
    await eventually(async () => (servedFor(ws.id) ? true : undefined), 10_000, "the held isolation to be served");
    const marker = await post(server, "/api/v1/mdr/isolate", { hostname: "srv-db01.contoso.com" });
    expect(marker.status, JSON.stringify(marker.body)).toBe(202);
    expect(since(emu, from, { method: "POST" }).map((p) => [p.path.endsWith("/isolate"), p.fault ?? false])).toEqual([
      [true, true],
      [true, false],
    ]);
    expect(since(emu, from, { method: "POST" })[1]!.path).toBe(`/api/machines/${emu.device(TENANT_A, "srv-db01.contoso.com").id}/isolate`);
  });

  it("a device resolved only after the 504: the late answer is recorded, and no isolation is sent", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    // Exact name (0.5 s, nothing), then startswith, held until the test has the 504: Defender
    // answers only after the pipeline gave up at 1 s, and about 0.5 s before that call's own
    // deadline (its start + 1 s).
    emu.setFault({ match: /^GET \/api\/machines$/, delayMs: 500 });
    let release = () => {};
    emu.setFault({ match: /^GET \/api\/machines$/, until: new Promise<void>((res) => (release = res)) });
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0143" }).finally(() => release());
    const message = timedOut("Defender");
    expectProblem(r, problem("provider-timeout", message, { action_id: anyActionId(), action_status: "failed" }));
    const late = await eventually(
      async () => {
        const d = await detail(server, r.body.action_id);
        return d.timeline.length === 3 ? d : undefined;
      },
      5000,
      "the late answer in the timeline",
    );
    expect(withoutTimeline(late)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "isolate_endpoint",
        status: "failed",
        target: "ws-0143",
        provider: "defender",
        parameters: { hostname: "ws-0143", machine_id: null, isolation_type: "Full" },
        result: { machine_id: ws.id, computer_dns_name: "ws-0143.contoso.com" },
        error: message,
        completed_at: anyIso(),
        updated_at: anyIso(),
      }),
    );
    expect(steps(late)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
      ["failed", `Resolved to device ${ws.id} (ws-0143.contoso.com) (after the action had been closed)`],
    ]);
    // (Besides the poller's reads of machine actions still running from earlier tests.)
    expect(since(emu, from).filter((c) => !c.path.startsWith("/api/machineactions/")).map((c) => [c.method, c.path, c.query.$filter])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'ws-0143'"],
      ["GET", "/api/machines", "startswith(computerDnsName,'ws-0143.')"],
    ]);
    expect(ws.isolated).toBe(false);
    expect([...emu.tenant(TENANT_A).machineActions.values()].filter((a) => a.machineId === ws.id)).toEqual([]);
  });

  it("a Graph PATCH that does not answer in time: 504, and nothing is retried once the pipeline gave up", async () => {
    const { emu, server } = live();
    const u = emu.user(TENANT_A, "alex.wilber@contoso.com");
    let release = () => {};
    emu.setFault({ match: "PATCH /v1.0/users/", until: new Promise<void>((res) => (release = res)) });
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/disable-user", { upn: "alex.wilber@contoso.com" });
    const message = timedOut("Graph");
    expectProblem(r, problem("provider-timeout", message, { action_id: anyActionId(), action_status: "failed" }));
    // The server gives up on the call too (its own abort, which may come a moment after the 504):
    // only then is the held PATCH served, so no answer can reach the server.
    const held = since(emu, from, { method: "PATCH" })[0]!;
    try {
      await eventually(async () => (held.clientGone ? true : undefined), 10_000, "the server to abandon the held PATCH");
    } finally {
      release();
    }
    // The retries of the (idempotent) PATCH would outlive the action: they must stop with it.
    // The slow PATCH itself reached the emulator and was served after the client had gone: the
    // outcome really is unknown (here the account did get disabled), which is what the row says.
    await eventually(async () => (u.accountEnabled ? undefined : true), 10_000, "the slow PATCH to be served");
    // A later disable through the same Graph client, done after that: a retry (the first waits at
    // most 0.75 s) would have come before it.
    const marker = await post(server, "/api/v1/mdr/disable-user", { upn: "no.mailbox@contoso.com", revoke_sessions: false });
    expect(marker.status, JSON.stringify(marker.body)).toBe(201);
    expect(since(emu, from, { method: "PATCH" }).map((p) => [p.path, p.fault ?? false])).toEqual([
      ["/v1.0/users/alex.wilber%40contoso.com", true],
      ["/v1.0/users/no.mailbox%40contoso.com", false],
    ]);
    expect(since(emu, from, { method: "POST" })).toEqual([]);
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "disable_user",
        status: "failed",
        target: "alex.wilber@contoso.com",
        provider: "graph",
        parameters: { upn: "alex.wilber@contoso.com", revoke_sessions: true },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
  });

  it.each([
    { firewall: "azure_nsg", label: "Azure NSG", ip: "203.0.113.70", match: "PUT /securityRules/", planned: null },
    {
      firewall: "aws_sg",
      label: "AWS",
      ip: "198.51.100.70",
      match: "ec2:CreateNetworkAclEntry",
      // The entry it was writing, recorded before the call: the outcome is unknown, and a restart
      // would look for exactly this entry.
      planned: { network_acl_id: ACL_A, rule_number: 1, cidr: "198.51.100.70/32" },
    },
    {
      firewall: "aws_waf",
      label: "AWS WAF",
      ip: "198.51.100.71",
      match: "waf:UpdateIPSet",
      // The set and CIDR it was writing, and that the set did not hold it: a restart looks there.
      planned: { ip_set_arn: WAF_V4, cidr: "198.51.100.71/32", already_present: 0 },
    },
  ])("a $firewall write that does not answer in time: 504, recorded failed", async ({ firewall, label, ip, match, planned }) => {
    const { emu, server } = live();
    emu.setFault({ match, delayMs: 2500 });
    const r = await post(server, "/api/v1/mdr/block-ip", { ip, firewall_type: firewall });
    const message = timedOut(label);
    expectProblem(r, problem("provider-timeout", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "block_ip",
        status: "failed",
        target: ip,
        provider: firewall,
        parameters: { ip, firewall_type: firewall, priority: null, duration_hours: 24 },
        result: planned,
        error: message,
        completed_at: d.updated_at,
        expires_at: anyIso(),
      }),
    );
  });

  it("a slow probe: that service is down (no answer in time) within about the timeout; the others up", async () => {
    const { emu, server } = live();
    // Defender's probe is held until /status has answered: the answer cannot have waited for it.
    let release = () => {};
    const fault = emu.setFault({ match: /^GET \/api\/machines$/, until: new Promise<void>((res) => (release = res)), times: Infinity });
    try {
      const started = Date.now();
      const r = await get(server, "/api/v1/mdr/status").finally(() => release());
      const took = Date.now() - started;
      const up = { status: "up", latency_ms: expect.any(Number), error: null };
      expect({ status: r.status, body: r.body }).toEqual({
        status: 200,
        body: {
          status: "degraded",
          mode: "live",
          checked_at: anyIso(),
          services: {
            defender: { status: "down", latency_ms: expect.any(Number), error: "[Defender] no answer in time" },
            graph: up,
            azure_nsg: up,
            aws: up,
            aws_waf: up,
          },
        },
      });
      expect(r.body.services.defender.latency_ms).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(took).toBeLessThan(TIMEOUT_MS + 10_000);
      expect(fault.hits).toBe(1);
    } finally {
      release();
      fault.clear();
    }
  });
});
