// The action lifecycle in live mode against the emulator: changing a block's expiry (the Defender
// indicator updated in place), duplicates refused from the audit log without a provider call, the
// rate limiter holding a burst of 300 isolations under Defender's limit, the circuit breaker, a
// SIGKILL in the middle of 50 actions settled truthfully at restart, and a block that expired
// while the server was down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACL_A, exampleSeed, NSG, RESOURCE_GROUP, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import { type Emulator, type RecordedRequest, startEmulator } from "../emulator/server";
import type { EmulatorSeed } from "../emulator/types";
import { type TestServer, eventually, startServer } from "../support/server";
import {
  type Json,
  allActions,
  anyActionId,
  anyIso,
  call,
  detail,
  expectProblem,
  get,
  invalidBody,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { apiCalls, expireSoon, liveAction, liveEnv, liveSetup, mark } from "./live";

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const HOUR_MS = 3_600_000;

const patch = (server: TestServer, id: string, body: unknown) =>
  call(server, `/api/v1/mdr/actions/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The example seed with `devices` more devices (burst-000...) and `users` more users in tenant A. */
function biggerSeed(devices: number, users = 0): EmulatorSeed {
  const seed = exampleSeed();
  const a = seed.tenants[0]!;
  for (let i = 0; i < devices; i++) a.devices!.push({ computerDnsName: `burst-${String(i).padStart(3, "0")}.contoso.com` });
  for (let i = 0; i < users; i++) {
    a.users!.push({ userPrincipalName: `user${i}@contoso.com`, displayName: `User ${i}`, hasMailbox: false });
  }
  return seed;
}

describe("PATCH /actions/{id}: the expiry of an active block", () => {
  const live = liveSetup({ name: "live-expiry" });

  it("a Defender indicator: updated at Defender in place (same id, new expirationTime), the row and its timeline", async () => {
    const { emu, server } = live();
    const block = (await post(server, BLOCK, { ip: "185.220.101.60", duration_hours: 2, reason: "Tor exit" })).body;
    const before = await detail(server, block.id);
    const to = new Date(Date.now() + 48 * HOUR_MS).toISOString().replace(/\.\d{3}Z$/, ".000Z");
    const from = mark(emu);
    const r = await patch(server, block.id, { expires_at: to, reason: "campaign still active" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual({
      ...withoutTimeline(before),
      expires_at: to,
      result: { indicator_id: block.provider_ref, expiration_time: to },
      updated_at: anyIso(),
    });
    // Submit or Update Indicator: the same value, the block's own title and description, the new expiry.
    expect(apiCalls(emu, from)).toEqual([
      {
        method: "GET",
        path: "/api/indicators",
        query: { $filter: "indicatorValue eq '185.220.101.60' and indicatorType eq 'IpAddress'" },
        body: undefined,
        status: 200,
      },
      {
        method: "POST",
        path: "/api/indicators",
        query: {},
        body: {
          indicatorValue: "185.220.101.60",
          indicatorType: "IpAddress",
          action: "Block",
          title: `MDR block ${block.id}`,
          description: `MDR ${block.id} by token:tests: Tor exit`,
          expirationTime: to,
          severity: "High",
          generateAlert: true,
        },
        status: 200,
      },
    ]);
    const indicators = [...emu.tenant(TENANT_A).indicators.values()].filter((i) => i.indicatorValue === "185.220.101.60");
    expect(indicators).toHaveLength(1);
    expect(indicators[0]).toMatchObject({ id: block.provider_ref, expirationTime: to, title: `MDR block ${block.id}` });
    const after = await detail(server, block.id);
    expect(steps(after)).toEqual([
      ...steps(before),
      [
        "succeeded",
        `Expiry changed from ${block.expires_at} to ${to} (indicator ${block.provider_ref} updated at Defender) by token:tests: campaign still active`,
      ],
    ]);
  });

  it("an NSG rule: only the row changes (the sweep ends it), shortened to seconds it is removed then", async () => {
    const { emu, server } = live();
    const block = (await post(server, BLOCK, { ip: "45.155.205.0/24", firewall_type: "azure_nsg", duration_hours: 24 })).body;
    const from = mark(emu);
    const to = new Date(Date.now() + 1500).toISOString();
    const r = await patch(server, block.id, { expires_at: to });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.expires_at).toBe(to);
    expect(apiCalls(emu, from)).toEqual([]);
    expect(steps(await detail(server, block.id)).at(-1)).toEqual([
      "succeeded",
      `Expiry changed from ${block.expires_at} to ${to} (Azure network security group: the expiry sweep removes it then) by token:tests`,
    ]);
    const ended = await eventually(
      async () => ((await detail(server, block.id)).reverted_by ? true : undefined),
      15_000,
      "the sweep to end the block at its new expiry",
    );
    expect(ended).toBe(true);
    expect(emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.has(`mdr-block-${block.id}`.toLowerCase())).toBe(false);
  });

  it("refusals: 404, 409 saying why (not a block, ended), 422 naming the field; nothing sent", async () => {
    const { emu, server } = live();
    /** A PATCH that must reach no provider. */
    const refused = async (id: string, body: unknown) => {
      const before = mark(emu);
      const r = await patch(server, id, body);
      expect(apiCalls(emu, before), `PATCH ${JSON.stringify(body)} answered ${r.status}`).toEqual([]);
      return r;
    };
    const unknown = "act_01ARZ3NDEKTSV4RRFFQ69G5FAV";
    expectProblem(await refused(unknown, { expires_at: new Date(Date.now() + HOUR_MS).toISOString() }), problem("not-found", `No action ${unknown}.`));
    const user = (await post(server, DISABLE, { upn: "alex.wilber@contoso.com", revoke_sessions: false })).body;
    const later = new Date(Date.now() + HOUR_MS).toISOString();
    expectProblem(
      await refused(user.id, { expires_at: later }),
      problem(
        "conflict",
        `The expiry of action ${user.id} cannot be changed: it is disable_user; only an IP block (block_ip) has an expiry.`,
      ),
    );
    // A Defender block: a change of its expiry is a call to Defender, so a refusal that reached the
    // provider would show in the emulator (an NSG or ACL expiry is only the row's).
    const block = (await post(server, BLOCK, { ip: "185.220.101.77", firewall_type: "defender" })).body;
    const undo = await post(server, `/api/v1/mdr/actions/${block.id}/revert`, {});
    expect(undo.status).toBe(201);
    expectProblem(
      await refused(block.id, { expires_at: later }),
      problem("conflict", `The expiry of action ${block.id} cannot be changed: the block was already ended by ${undo.body.id}.`),
    );
    const other = (await post(server, BLOCK, { ip: "198.51.100.78", firewall_type: "aws_sg" })).body;
    const calls = mark(emu);
    expectProblem(await patch(server, other.id, {}), invalidBody("expires_at", "is required"));
    expectProblem(
      await patch(server, other.id, { expires_at: "tomorrow" }),
      invalidBody("expires_at", "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z"),
    );
    expectProblem(await patch(server, other.id, { expires_at: later, duration_hours: 2 }), invalidBody("duration_hours", "is not a known field"));
    const past = await patch(server, other.id, { expires_at: "2020-01-01T00:00:00Z" });
    expect(past.status).toBe(422);
    expect(past.body.errors).toEqual([{ path: "expires_at", message: expect.stringMatching(/^must be in the future \(it is now .+\)$/) }]);
    const far = await patch(server, other.id, { expires_at: new Date(Date.now() + 8761 * HOUR_MS).toISOString() });
    expectProblem(
      far,
      problem("validation-failed", "expires_at: must be at most 8760 hours (one year) from now", {
        errors: [{ path: "expires_at", message: "must be at most 8760 hours (one year) from now" }],
      }),
    );
    expect(apiCalls(emu, calls)).toEqual([]);
    expect((await detail(server, other.id)).expires_at).toBe(other.expires_at);
  });
});

describe("duplicates: refused from the audit log, nothing sent to the provider", () => {
  const live = liveSetup({ name: "live-duplicates" });

  /** The 409 for a duplicate, the rejected row, and no call at the emulator. */
  async function expectDuplicate(emu: Emulator, server: TestServer, path: string, body: unknown, holder: Json, detailText: string) {
    const from = mark(emu);
    const r = await post(server, path, body);
    expectProblem(
      r,
      problem("conflict", detailText, { holder_action_id: holder.id, action_id: anyActionId(), action_status: "rejected" }),
    );
    // Only the poller's reads of running machine actions go on meanwhile.
    expect(apiCalls(emu, from).filter((c) => !c.path.startsWith("/api/machineactions/"))).toEqual([]);
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toMatchObject({ status: "rejected", error: detailText, active: false, provider_ref: null, result: null });
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["rejected", detailText],
    ]);
  }

  it("an isolation pending at Defender, then done: the same host again is 409 with the holder", async () => {
    const { emu, server } = live();
    const first = (await post(server, ISOLATE, { hostname: "ws-0143.contoso.com" })).body;
    expect(first.status).toBe("in_progress");
    await expectDuplicate(
      emu,
      server,
      ISOLATE,
      { hostname: "ws-0143.contoso.com", isolation_type: "Selective" },
      first,
      `ws-0143.contoso.com is already being isolated by ${first.id} (in progress); nothing was sent to Defender`,
    );
    await eventually(async () => ((await detail(server, first.id)).status === "succeeded" ? true : undefined), 15_000);
    await expectDuplicate(
      emu,
      server,
      ISOLATE,
      { hostname: "ws-0143.contoso.com" },
      first,
      `ws-0143.contoso.com is already isolated by ${first.id}; nothing was sent to Defender`,
    );
    // By its machine id, which the holder recorded when Defender resolved the name.
    const device = emu.device(TENANT_A, "ws-0143.contoso.com");
    await expectDuplicate(
      emu,
      server,
      ISOLATE,
      { machine_id: device.id },
      first,
      `${device.id} is already isolated by ${first.id}; nothing was sent to Defender`,
    );
  });

  it.each([
    ["defender", { ip: "185.220.101.61" }, "Defender for Endpoint (IP indicator)"],
    ["azure_nsg", { ip: "45.155.206.0/24", firewall_type: "azure_nsg" }, "Azure network security group"],
    ["aws_sg", { ip: "198.51.100.90", firewall_type: "aws_sg" }, "AWS network ACL"],
  ])("a block on %s in effect: the same address on the same firewall is 409 with the holder", async (_fw, body, label) => {
    const { emu, server } = live();
    const first = (await post(server, BLOCK, body)).body;
    expect(first.status).toBe("succeeded");
    await expectDuplicate(
      emu,
      server,
      BLOCK,
      { ...body, duration_hours: 1 },
      first,
      `${first.target} is already blocked on ${label} by ${first.id} until ${first.expires_at}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${first.id})`,
    );
  });

  it("a disabled account and a quarantined message: 409 with the holder", async () => {
    const { emu, server } = live();
    const disabled = (await post(server, DISABLE, { upn: "alex.wilber@contoso.com" })).body;
    expect(disabled.status).toBe("succeeded");
    await expectDuplicate(
      emu,
      server,
      DISABLE,
      { upn: "Alex.Wilber@contoso.com", revoke_sessions: false },
      disabled,
      `alex.wilber@contoso.com is already disabled by ${disabled.id}; nothing was sent to Graph`,
    );
    const q = (await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: "alex.wilber@contoso.com" })).body;
    expect(q.status).toBe("succeeded");
    await expectDuplicate(
      emu,
      server,
      QUARANTINE,
      { message_id: "<phish-1@evil.example>", user_principal_name: "alex.wilber@contoso.com", action: "hardDelete" },
      q,
      `<phish-1@evil.example> in the mailbox of alex.wilber@contoso.com is already quarantined by ${q.id} (softDelete); nothing was sent to Graph`,
    );
  });
});

/** The most requests that fall in any window of `ms` (by the emulator's arrival times). */
function maxInWindow(requests: RecordedRequest[], ms: number): number {
  const times = requests.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= ms) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

describe("the rate limiter: a burst of 300 isolations", () => {
  // Defender's published limit is 100 calls a minute and 1,500 an hour. At that pace 300
  // isolations (a lookup, the isolation and its polls: ~1,000 calls) take over 10 minutes, so the
  // windows are scaled down 60 times: 90 a second and 1,350 a minute, the same shape as the
  // defaults (90/60s, 1350/1h). The test proves the limiter holds whatever rate is configured,
  // measured where it matters: the arrival times at the emulator.
  const live = liveSetup({
    name: "live-burst",
    // The emulator's Defender limits scaled the same 60 times (100 per API a second, 1,500 a minute).
    emulator: { ...biggerSeed(300), defender: { actionProgress: { mode: "time", stepMs: 300 } }, throttle: { scale: 60 } },
    env: (emu) => liveEnv(emu, { MDR_RATE_LIMIT_DEFENDER: "90/1s,1350/60s", MDR_POLL_INTERVAL_MS: "300" }),
  });

  it("all 300 complete, at most 100 Defender calls in any second at the emulator (90 let go), and the queued ones say so", async () => {
    const { emu, server } = live();
    const hosts = Array.from({ length: 300 }, (_, i) => `burst-${String(i).padStart(3, "0")}.contoso.com`);
    const from = mark(emu);
    const started = Date.now();
    const answers = await Promise.all(hosts.map((hostname) => post(server, ISOLATE, { hostname, reason: "burst" })));
    expect(answers.map((a) => a.status)).toEqual(hosts.map(() => 202));
    const ids = answers.map((a) => a.body.id as string);
    await eventually(
      async () => {
        const open = await allActions(server, "type=isolate_endpoint&status=in_progress");
        return open.length === 0 ? true : undefined;
      },
      120_000,
      "every isolation to finish",
    );
    const tookMs = Date.now() - started;
    const done = await Promise.all(ids.map((id) => detail(server, id)));
    expect(done.map((d) => d.status)).toEqual(hosts.map(() => "succeeded"));
    for (const host of hosts) expect(emu.device(TENANT_A, host).isolated, host).toBe(true);

    const defender = emu.requests.filter((r) => r.seq > from && r.service === "defender");
    const perSecond = maxInWindow(defender, 1000);
    const perMinute = maxInWindow(defender, 60_000);
    console.log(
      `[burst] 300 isolations in ${(tookMs / 1000).toFixed(1)} s; ${defender.length} Defender calls; at most ${perSecond} in any 1 s window, ${perMinute} in any 60 s`,
    );
    // The limiter lets at most 90 go in any 1.1 s (the window plus a 10% margin for transit);
    // what arrives is that give or take each call's transit time (more on a loaded machine), so the
    // emulator is held to Defender's own limit, scaled: at most 100 in any second (Defender allows
    // 100 a minute; the 101st is its 429), under 1,500 a minute.
    expect(perSecond).toBeLessThanOrEqual(100);
    expect(perMinute).toBeLessThan(1500);
    // The emulator throttles like Defender (scaled alike): a limiter looser than that gets 429s here.
    expect(defender.filter((r) => r.status === 429).map((r) => `${r.method} ${r.path}`)).toEqual([]);
    const queued = done.filter((d) => d.timeline.some((e: Json) => e.message.startsWith("Queued: ")));
    expect(queued.length).toBeGreaterThan(0);
    expect(queued[0].timeline.find((e: Json) => e.message.startsWith("Queued: ")).message).toMatch(
      /^Queued: (Defender allows 90 calls per 1 s per tenant here|earlier calls to Defender go first); the Defender call waits \d+\.\d s for its turn$/,
    );
  }, 180_000);
});

describe("the circuit breaker", () => {
  const live = liveSetup({
    name: "live-breaker",
    env: (emu) => liveEnv(emu, { MDR_BREAKER_THRESHOLD: "3", MDR_BREAKER_COOLDOWN_MS: "2000" }),
  });

  it("Defender failing trips it: 503 at once without a call, /status down with the reason; a probe after the cool-down closes it", async () => {
    const { emu, server } = live();
    const outage = emu.setFault({ match: "/api/", status: 503, times: 1000 });
    // Three tries of the lookup (a read is retried), three failures: the circuit opens.
    const first = await post(server, ISOLATE, { hostname: "ws-0142" });
    expect(first.status).toBe(503);
    const from = mark(emu);
    const fast = await post(server, ISOLATE, { hostname: "ws-0142" });
    expect(apiCalls(emu, from)).toEqual([]);
    const reason = expect.stringMatching(
      /^\[Defender\] circuit open: 3 consecutive failures of Defender \(last: .*503.*\); calls fail fast until a probe after .+ succeeds$/,
    );
    expectProblem(fast, { ...problem("provider-unavailable", "x"), detail: reason, action_id: anyActionId(), action_status: "failed" });
    expect(Number(fast.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const failedFast = await detail(server, fast.body.action_id);
    expect(failedFast).toMatchObject({ status: "failed", error: fast.body.detail });
    // At once: no call (above), and no waiting for the cool-down (2 s) either, by the server's own
    // clock (the time from the row to its end, whatever the HTTP round trip took on a busy machine).
    expect(Date.parse(failedFast.completed_at) - Date.parse(failedFast.created_at)).toBeLessThan(2000);
    const status = (await get(server, "/api/v1/mdr/status")).body;
    expect(status.services.defender).toEqual({ status: "down", latency_ms: null, error: expect.stringMatching(/^circuit open: /) });
    expect(status.services.graph.status).toBe("up");

    // Defender is back; after the cool-down the next call is the probe, and it closes the circuit.
    outage.clear();
    await new Promise((r) => setTimeout(r, 2100));
    const again = await post(server, ISOLATE, { hostname: "ws-0142" });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect((await get(server, "/api/v1/mdr/status")).body.services.defender.status).toBe("up");
  });
});

describe("a restart after SIGKILL in the middle of 50 actions", () => {
  let emu: Emulator;
  let server: TestServer;
  beforeAll(async () => {
    emu = await startEmulator({ ...biggerSeed(20, 10), defender: { actionProgress: { mode: "time", stepMs: 300 } } });
    // A slow Defender limit keeps some actions queued (never sent) when the server is killed.
    server = await startServer(liveEnv(emu, { MDR_RATE_LIMIT_DEFENDER: "8/1s" }), "live-sigkill");
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });

  it("every action ends recorded as what really happened at the provider; none stays pending", async () => {
    // Every write is slow: the server is killed while many are at the provider, some not sent yet.
    const DELAY = 2000;
    for (const match of ["POST /isolate", "POST /api/indicators", "PUT /subscriptions/", "ec2:CreateNetworkAclEntry", "PATCH /v1.0/users/"]) {
      emu.setFault({ match, delayMs: DELAY, times: 1000 });
    }
    const requests: [string, Record<string, unknown>][] = [
      ...Array.from({ length: 15 }, (_, i): [string, Record<string, unknown>] => [ISOLATE, { hostname: `burst-${String(i).padStart(3, "0")}.contoso.com` }]),
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, unknown>] => [BLOCK, { ip: `185.220.102.${i + 1}` }]),
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, unknown>] => [BLOCK, { ip: `203.0.113.${i + 1}`, firewall_type: "aws_sg" }]),
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, unknown>] => [BLOCK, { ip: `198.51.100.${i + 1}`, firewall_type: "azure_nsg" }]),
      ...Array.from({ length: 5 }, (_, i): [string, Record<string, unknown>] => [DISABLE, { upn: `user${i}@contoso.com` }]),
    ];
    const inFlight = requests.map(([path, body]) => post(server, path, body).catch(() => undefined));
    await eventually(async () => ((await allActions(server)).length === 50 ? true : undefined), 10_000, "all 50 rows");
    await new Promise((r) => setTimeout(r, 800));
    await server.stop("SIGKILL");
    await Promise.all(inFlight);
    // Let every request the emulator was holding finish, as a real provider would.
    await new Promise((r) => setTimeout(r, DELAY + 500));
    emu.clearFaults();
    await server.restart();

    const settled = await eventually(
      async () => {
        const all = await allActions(server);
        return all.every((a) => a.status !== "pending" && a.status !== "in_progress") ? all : undefined;
      },
      60_000,
      "every row settled",
    );
    expect(settled).toHaveLength(50);
    const recovered = [];
    for (const a of settled) {
      const d = await detail(server, a.id);
      if (d.timeline.some((e: Json) => e.message.startsWith("Verified after a restart"))) recovered.push(d);
      const tenant = emu.tenant(TENANT_A);
      let inPlace: boolean;
      if (a.type === "isolate_endpoint") {
        const sent = [...tenant.machineActions.values()].some((m) => m.requestorComment.startsWith(`MDR ${a.id} `));
        inPlace = emu.device(TENANT_A, a.target).isolated && sent;
      } else if (a.type === "disable_user") {
        inPlace = emu.user(TENANT_A, a.target).accountEnabled === false;
      } else if (a.provider === "defender") {
        inPlace = [...tenant.indicators.values()].some((i) => i.title === `MDR block ${a.id}`);
      } else if (a.provider === "azure_nsg") {
        inPlace = emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.has(`mdr-block-${a.id}`.toLowerCase());
      } else {
        inPlace = emu.acl(ACL_A).entries.some((e) => e.cidrBlock === `${a.target}/32` && e.ruleAction === "deny" && !e.egress);
      }
      expect({ id: a.id, type: a.type, target: a.target, status: a.status, active: a.active }).toEqual({
        id: a.id,
        type: a.type,
        target: a.target,
        status: inPlace ? "succeeded" : "failed",
        active: inPlace,
      });
    }
    console.log(
      `[sigkill] 50 actions: ${settled.filter((a) => a.status === "succeeded").length} succeeded, ${settled.filter((a) => a.status === "failed").length} failed; ${recovered.length} settled by recovery`,
    );
    expect(recovered.length).toBeGreaterThan(0);
  }, 120_000);
});

describe("a block whose expiry passed while the server was down", () => {
  const live = liveSetup({ name: "live-expired-while-down" });

  it("is removed at Defender at start, as an unblock_ip by system", async () => {
    const { emu, server } = live();
    const made = (await post(server, BLOCK, { ip: "185.220.101.62", duration_hours: 1 })).body;
    expect(made.status).toBe("succeeded");
    // Its end moved to 8 s from now, and the server stopped at once: it expires while the server is
    // down, however slow the machine (the indicator is still there after the stop).
    await expireSoon(server, made.id, 8_000);
    const block = await detail(server, made.id);
    await server.stop();
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(block.expires_at) - Date.now() + 300)));
    expect(emu.tenant(TENANT_A).indicators.has(block.provider_ref)).toBe(true);
    const from = mark(emu);
    await server.restart();
    const ended = await eventually(
      async () => {
        const d = await detail(server, block.id);
        return d.reverted_by ? d : undefined;
      },
      15_000,
      "the block to be ended at start",
    );
    const unblock = await detail(server, ended.reverted_by);
    expect(withoutTimeline(unblock)).toEqual(
      liveAction({
        id: ended.reverted_by,
        type: "unblock_ip",
        status: "succeeded",
        target: "185.220.101.62",
        provider: "defender",
        parameters: { ip: "185.220.101.62", firewall_type: "defender", block_action_id: block.id, rule: block.provider_ref },
        reason: `Expired at ${block.expires_at}`,
        requested_by: "system",
        provider_ref: block.provider_ref,
        result: { already_absent: false },
        completed_at: anyIso(),
        reverts: block.id,
      }),
    );
    expect(emu.tenant(TENANT_A).indicators.has(block.provider_ref)).toBe(false);
    expect(apiCalls(emu, from, { method: "DELETE" })).toEqual([
      { method: "DELETE", path: `/api/indicators/${block.provider_ref}`, query: {}, body: undefined, status: 204 },
    ]);
  });
});
