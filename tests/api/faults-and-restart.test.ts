// The server when the outside world misbehaves (simulated outages, refused operations, transient
// failures) and when it is killed: what it answers, and that the audit log stays truthful.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_USERS } from "@/lib/mdr/providers/simulation";
import { type TestServer, eventually, startServer } from "../support/server";
import {
  type Json,
  type Reply,
  action,
  allActions,
  anyIso,
  detail,
  expectProblem,
  get,
  post,
  problem,
  type ProblemType,
  steps,
  withoutTimeline,
} from "./helpers";
import { expireSoon } from "./live";

const OUTAGE = "connection refused (simulated outage)";
const up = { status: "up", latency_ms: expect.any(Number), error: null };
const down = { status: "down", latency_ms: null, error: OUTAGE };

/** One server for a describe block, stopped after it. */
function serverFor(env: Record<string, string>, name: string): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(env, name);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => server!;
}

/** Asserts a provider failure answer carrying the action id, and the row it left. */
async function expectFailedAction(
  server: TestServer,
  reply: Reply,
  type: ProblemType,
  message: string,
  row: Record<string, unknown>,
  timeline: [string, string][],
) {
  expectProblem(reply, problem(type, message, { action_id: expect.any(String), action_status: row.status }));
  const d = await detail(server, reply.body.action_id);
  expect(withoutTimeline(d)).toEqual(action({ id: reply.body.action_id, error: message, completed_at: anyIso(), ...row }));
  expect(d.updated_at).toBe(d.completed_at);
  expect(steps(d)).toEqual(timeline);
  return d;
}

async function status(server: TestServer) {
  const r = await get(server, "/api/v1/mdr/status");
  expect(r.status).toBe(200);
  return r.body;
}

describe("MDR_SIM_FAULTS=graph:down", () => {
  const server = serverFor({ MDR_SIM_FAULTS: "graph:down" }, "graph-down");

  it("status is degraded, Graph down with the error", async () => {
    expect(await status(server())).toEqual({
      status: "degraded",
      mode: "simulation",
      checked_at: anyIso(),
      services: { defender: up, graph: down, azure_nsg: up, aws: up, aws_waf: up },
    });
  });

  it("disable-user: 503 with the action id, recorded failed, nothing disabled", async () => {
    const r = await post(server(), "/api/v1/mdr/disable-user", { upn: "alice@contoso.com" });
    await expectFailedAction(
      server(),
      r,
      "provider-unavailable",
      `[Graph] ${OUTAGE}`,
      {
        type: "disable_user",
        status: "failed",
        target: "alice@contoso.com",
        provider: "graph",
        parameters: { upn: "alice@contoso.com", revoke_sessions: true },
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", `[Graph] ${OUTAGE}`],
      ],
    );
  });

  it("Defender still works: isolation is accepted", async () => {
    const r = await post(server(), "/api/v1/mdr/isolate", { hostname: "ws-0142" });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
  });
});

describe("MDR_SIM_FAULTS=defender:down,graph:down", () => {
  const server = serverFor({ MDR_SIM_FAULTS: "defender:down,graph:down" }, "core-down");

  it("status is unhealthy, both down", async () => {
    expect(await status(server())).toEqual({
      status: "unhealthy",
      mode: "simulation",
      checked_at: anyIso(),
      services: { defender: down, graph: down, azure_nsg: up, aws: up, aws_waf: up },
    });
  });

  it("isolate: 503 with the action id, recorded failed", async () => {
    const r = await post(server(), "/api/v1/mdr/isolate", { hostname: "ws-0142" });
    await expectFailedAction(
      server(),
      r,
      "provider-unavailable",
      `[Defender] ${OUTAGE}`,
      {
        type: "isolate_endpoint",
        status: "failed",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", `[Defender] ${OUTAGE}`],
      ],
    );
  });

  it("a firewall that is up still blocks", async () => {
    const r = await post(server(), "/api/v1/mdr/block-ip", { ip: "185.220.101.0/24", firewall_type: "aws_sg" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });
});

describe("operation faults: graph.revokeSessions=503 and more", () => {
  const server = serverFor(
    { MDR_SIM_FAULTS: "graph.revokeSessions=503, defender.block=403, azure_nsg.block=429, aws.block=504, graph.move=409" },
    "operation-faults",
  );
  const alice = SIM_USERS.find((u) => u.userPrincipalName === "alice@contoso.com")!;

  it("disable-user whose sessions cannot be revoked: 503, recorded failed, the account disabled (active)", async () => {
    const message =
      "Partial failure: the account is disabled, but revoking its sign-in sessions failed: [Graph] 503 Service Unavailable (simulated fault on graph.revokeSessions)";
    const r = await post(server(), "/api/v1/mdr/disable-user", { upn: "alice@contoso.com", reason: "token theft" });
    await expectFailedAction(
      server(),
      r,
      "provider-unavailable",
      message,
      {
        type: "disable_user",
        status: "failed",
        target: "alice@contoso.com",
        provider: "graph",
        parameters: { upn: "alice@contoso.com", revoke_sessions: true },
        reason: "token theft",
        provider_ref: alice.id,
        result: { user_id: alice.id, was_enabled: true },
        active: true,
      },
      [
        ["pending", "Requested by token:tests"],
        ["pending", "Account disabled (accountEnabled=false)"],
        ["failed", message],
      ],
    );

    // The account is disabled, and the audit log knows it: a second disable is refused, naming it.
    const again = await post(server(), "/api/v1/mdr/disable-user", { upn: "alice@contoso.com", revoke_sessions: false });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(again.body.holder_action_id).toBe(r.body.action_id);

    // The metrics count the partial failure as a failure, and the account as contained.
    const m = (await get(server(), "/api/v1/mdr/metrics")).body;
    expect(m.by_type_and_status.disable_user).toEqual({ queued: 0, pending: 0, in_progress: 0, succeeded: 0, failed: 1, rejected: 1 });
    expect(m.contained_now.disabled_users).toBe(1);
  });

  const blocks: [string, Record<string, unknown>, number, ProblemType, string, string | null][] = [
    ["defender 403", { ip: "185.220.101.34" }, 502, "provider-error", "[Defender] 403 Forbidden (simulated fault on defender.block)", null],
    [
      "azure_nsg 429",
      { ip: "185.220.101.0/24", firewall_type: "azure_nsg" },
      503,
      "provider-unavailable",
      "[Azure NSG] 429 Too Many Requests (simulated fault on azure_nsg.block)",
      "1",
    ],
    [
      "aws 504",
      { ip: "185.220.101.0/24", firewall_type: "aws_sg" },
      504,
      "provider-timeout",
      "[AWS] 504 Gateway Timeout (simulated fault on aws.block)",
      null,
    ],
  ];
  it.each(blocks)("block-ip refused with %s: %i with the action id, recorded failed", async (_n, body, code, type, message, retryAfter) => {
    const r = await post(server(), "/api/v1/mdr/block-ip", body);
    expect(r.status).toBe(code);
    expect(r.headers.get("retry-after")).toBe(retryAfter);
    const firewall = (body.firewall_type as string | undefined) ?? "defender";
    await expectFailedAction(
      server(),
      r,
      type,
      message,
      {
        type: "block_ip",
        status: "failed",
        target: body.ip,
        provider: firewall,
        parameters: { ip: body.ip, firewall_type: firewall, priority: null, duration_hours: 24 },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
  });

  it("quarantine refused by Graph with 409: 409 conflict, recorded rejected", async () => {
    const msg = "<CAH7x9kQm2vR8pLw3NfT5uYb1cZ0eJdK4sXa6gHo@mail.gmail.com>";
    const message = "[Graph] 409 Conflict (simulated fault on graph.move)";
    const r = await post(server(), "/api/v1/mdr/quarantine-email", { message_id: msg, user_principal_name: "alice@contoso.com" });
    await expectFailedAction(
      server(),
      r,
      "conflict",
      message,
      {
        type: "quarantine_email",
        status: "rejected",
        target: msg,
        provider: "graph",
        parameters: { message_id: msg, user_principal_name: "alice@contoso.com", action: "softDelete" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });

  it("operation faults do not make a service look down", async () => {
    expect((await status(server())).status).toBe("healthy");
  });
});

describe("MDR_SIM_FAILURE_RATE=1", () => {
  const server = serverFor({ MDR_SIM_FAILURE_RATE: "1" }, "failure-rate");
  const transient = (label: string) => `[${label}] 503 Service Unavailable (simulated transient failure, MDR_SIM_FAILURE_RATE=1)`;

  it.each([
    ["defender", "Defender", "185.220.101.34"],
    ["azure_nsg", "Azure NSG", "185.220.101.0/24"],
    ["aws_sg", "AWS", "185.220.101.0/24"],
  ])("block-ip on %s: 503 with the action id, recorded failed", async (firewall, label, ip) => {
    const r = await post(server(), "/api/v1/mdr/block-ip", { ip, firewall_type: firewall, duration_hours: 2 });
    await expectFailedAction(
      server(),
      r,
      "provider-unavailable",
      transient(label),
      {
        type: "block_ip",
        status: "failed",
        target: ip,
        provider: firewall,
        parameters: { ip, firewall_type: firewall, priority: null, duration_hours: 2 },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", transient(label)],
      ],
    );
  });

  it("isolate: the device is found (a read), the isolation fails (a write): 503, recorded failed", async () => {
    const r = await post(server(), "/api/v1/mdr/isolate", { hostname: "ws-0142" });
    await expectFailedAction(
      server(),
      r,
      "provider-unavailable",
      transient("Defender"),
      {
        type: "isolate_endpoint",
        status: "failed",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        result: { machine_id: "792546cf2e567740bf14f0c192a6163af1c517a6", computer_dns_name: "ws-0142.corp.contoso.com" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["pending", "Resolved to device 792546cf2e567740bf14f0c192a6163af1c517a6 (ws-0142.corp.contoso.com)"],
        ["failed", transient("Defender")],
      ],
    );
  });

  it("the metrics show nothing succeeded and nothing contained", async () => {
    const m = (await get(server(), "/api/v1/mdr/metrics")).body;
    expect(m).toMatchObject({
      total: 4,
      by_status: { queued: 0, pending: 0, in_progress: 0, succeeded: 0, failed: 4, rejected: 0 },
      success_rate: 0,
      time_to_completion_ms: { median: null, p90: null },
      contained_now: { isolated_endpoints: 0, active_ip_blocks: 0, disabled_users: 0 },
    });
  });
});

describe("a restart after SIGKILL", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({}, "restart");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("keeps every action as it was, and ends a block that expired while it was down", async () => {
    const isolation = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0143", reason: "malware" });
    expect(isolation.status).toBe(202);
    await eventually(
      async () => ((await detail(server, isolation.body.id)).status === "succeeded" ? true : undefined),
      15_000,
      "the isolation to succeed",
    );
    const made: Reply[] = [
      isolation,
      await post(server, "/api/v1/mdr/disable-user", { upn: "bob@contoso.com" }),
      await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.0/24", firewall_type: "azure_nsg" }),
      await post(server, "/api/v1/mdr/isolate", { hostname: "nope-host" }),
      await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.34", duration_hours: 1, reason: "Tor exit" }),
    ];
    expect(made.map((r) => r.status)).toEqual([202, 201, 201, 404, 201]);
    const ids = made.map((r) => (r.body.id ?? r.body.action_id) as string);
    const blockId = ids[4]!;
    // The block ends 8 s from now: time enough to read everything and kill the server while it is
    // still active, however slow the machine; the restart waits until it has passed.
    const expiresAt = Date.parse(await expireSoon(server, blockId, 8_000));
    const before = new Map<string, Json>();
    for (const id of ids) before.set(id, await detail(server, id));
    const listBefore = await allActions(server);
    const block = before.get(blockId);
    expect(block).toMatchObject({ status: "succeeded", active: true, reverted_by: null });

    expect(Date.parse(block.expires_at) - Date.now(), "the block must still be active when the server is killed").toBeGreaterThan(500);
    await server.stop("SIGKILL");
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt + 100 - Date.now())));
    await server.restart();

    // Everything but the expiring block is exactly as it was.
    for (const id of ids.slice(0, 4)) expect(await detail(server, id)).toEqual(before.get(id));

    const ended = await eventually(
      async () => {
        const d = await detail(server, blockId);
        return d.reverted_by ? d : undefined;
      },
      20_000,
      "the expired block to be reverted",
    );
    const unblockId = ended.reverted_by as string;
    const unblock = await detail(server, unblockId);
    expect(unblock).toEqual({
      ...action({
        id: unblockId,
        type: "unblock_ip",
        status: "succeeded",
        target: "185.220.101.34",
        provider: "defender",
        parameters: { ip: "185.220.101.34", firewall_type: "defender", block_action_id: blockId, rule: block.provider_ref },
        reason: `Expired at ${block.expires_at}`,
        requested_by: "system",
        provider_ref: block.provider_ref,
        // The restarted simulation no longer has the indicator; the block is verified gone.
        result: { already_absent: true },
        completed_at: anyIso(),
        reverts: blockId,
      }),
      timeline: [
        { at: unblock.created_at, status: "pending", message: "Requested by system" },
        {
          at: unblock.completed_at,
          status: "succeeded",
          message: `Defender for Endpoint (IP indicator) no longer had rule ${block.provider_ref}; the block is verified gone`,
        },
      ],
    });
    expect(Date.parse(unblock.created_at)).toBeGreaterThanOrEqual(Date.parse(block.expires_at));
    expect(ended).toEqual({
      ...block,
      active: false,
      reverted_by: unblockId,
      updated_at: unblock.completed_at,
      timeline: [...block.timeline, { at: unblock.completed_at, status: "succeeded", message: `Reverted by ${unblockId}` }],
    });

    // The log: the unblock on top, then everything from before, only the block changed.
    const listAfter = await allActions(server);
    expect(listAfter).toEqual([
      withoutTimeline(unblock),
      ...listBefore.map((a) => (a.id === blockId ? withoutTimeline(ended) : a)),
    ]);

    // Exactly one unblock, however many sweeps ran: a later block, ended by a later sweep, proves
    // sweeps did run since, and left this one alone.
    const later = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.35", duration_hours: 1 });
    expect(later.status).toBe(201);
    await expireSoon(server, later.body.id);
    await eventually(async () => ((await detail(server, later.body.id)).reverted_by ? true : undefined), 15_000, "the sweep to end the later block");
    expect((await allActions(server, "type=unblock_ip")).filter((a) => a.reverts === blockId)).toEqual([withoutTimeline(unblock)]);
  });
});
