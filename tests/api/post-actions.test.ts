// The four action routes through HTTP against the production server: whole answers, and the
// audit row each one leaves (GET /actions/{id}), timeline included.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_DEVICES, SIM_MAILBOXES, SIM_PHISHING_MESSAGE, SIM_USERS } from "@/lib/mdr/providers/simulation";
import { type TestServer, eventually, startServer } from "../support/server";
import {
  GUID,
  HOUR_MS,
  ISO,
  action,
  anyActionId,
  anyIso,
  countActions,
  defenderSubmitted,
  detail,
  expectAction,
  expectProblem,
  invalidBody,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";

// Isolations stay Pending for one step and InProgress for another: a second long enough that the
// poller (every 200 ms) always sees InProgress, and a request made right after one still meets it.
const STEP_MS = 1000;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MDR_SIM_STEP_MS: String(STEP_MS) }, "post-actions");
});
afterAll(async () => {
  await server?.stop();
});

const device = (name: string) => {
  const d = SIM_DEVICES.find((x) => x.computerDnsName === name);
  if (!d) throw new Error(`no seeded device ${name}`);
  return d;
};
const user = (upn: string) => {
  const u = SIM_USERS.find((x) => x.userPrincipalName === upn);
  if (!u) throw new Error(`no seeded user ${upn}`);
  return u;
};
const phishIn = (mailbox: string) => {
  const m = SIM_MAILBOXES[mailbox]?.find((x) => x.internetMessageId === SIM_PHISHING_MESSAGE.internetMessageId);
  if (!m) throw new Error(`no phishing message in ${mailbox}`);
  return m;
};

/** Asserts a refused action: the whole problem, and a row recorded as `status` with that error. */
async function expectRecordedRefusal(
  reply: Awaited<ReturnType<typeof post>>,
  expected: Record<string, unknown>,
  row: Record<string, unknown>,
  timeline: [string, string][],
) {
  expectProblem(reply, { ...expected, action_id: expect.any(String), action_status: row.status });
  const d = await detail(server, reply.body.action_id);
  expect(withoutTimeline(d)).toEqual(
    action({
      id: reply.body.action_id,
      error: reply.body.detail,
      completed_at: d.updated_at,
      ...row,
    }),
  );
  expect(steps(d)).toEqual(timeline);
  return d;
}

describe("POST /api/v1/mdr/isolate", () => {
  it("by short hostname: 202 with Location, then the poller takes the row to succeeded", async () => {
    const ws = device("ws-0142.corp.contoso.com");
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "WS-0142", reason: "C2 beacon to 185.220.101.34" });
    const accepted = action({
      type: "isolate_endpoint",
      status: "in_progress",
      target: "ws-0142",
      provider: "defender",
      parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
      reason: "C2 beacon to 185.220.101.34",
      provider_ref: expect.stringMatching(GUID),
      result: { machine_id: ws.id, computer_dns_name: ws.computerDnsName, machine_action_status: "Pending" },
    });
    expectAction(r, 202, accepted);
    const { id, provider_ref: ref, created_at: createdAt } = r.body;

    // Right away the row is what the answer said (Defender still has it Pending).
    expect(withoutTimeline(await detail(server, id))).toEqual(r.body);

    const done = await eventually(
      async () => {
        const d = await detail(server, id);
        return d.status === "succeeded" ? d : undefined;
      },
      15_000,
      "the isolation to succeed",
    );
    expect(withoutTimeline(done)).toEqual({
      ...r.body,
      status: "succeeded",
      result: { machine_id: ws.id, computer_dns_name: ws.computerDnsName, machine_action_status: "Succeeded" },
      active: true,
      updated_at: done.completed_at,
      completed_at: expect.stringMatching(ISO),
    });
    expect(Date.parse(done.completed_at) - Date.parse(createdAt)).toBeGreaterThanOrEqual(2 * STEP_MS);
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (${ws.computerDnsName})`],
      ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: isolation Succeeded"],
    ]);
    expect(done.timeline[0].at).toBe(createdAt);
    expect(done.timeline.at(-1).at).toBe(done.completed_at);

    // Isolated now: the audit log knows it, so Defender is not asked again: 409 naming the holder.
    const again = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142" });
    const held = `ws-0142 is already isolated by ${id}; nothing was sent to Defender`;
    await expectRecordedRefusal(
      again,
      problem("conflict", held, { holder_action_id: id }),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", held],
      ],
    );
  });

  const byKind: { name: string; body: Record<string, unknown>; device: string; target: string; parameters: object }[] = [
    {
      name: "by machine_id (any case), Selective",
      body: { machine_id: device("ws-0143.corp.contoso.com").id.toUpperCase(), isolation_type: "Selective" },
      device: "ws-0143.corp.contoso.com",
      target: device("ws-0143.corp.contoso.com").id,
      parameters: { hostname: null, machine_id: device("ws-0143.corp.contoso.com").id, isolation_type: "Selective" },
    },
    {
      name: "by fully qualified name with a trailing dot, UnManagedDevice",
      body: { hostname: "Laptop-JDoe.corp.contoso.com.", isolation_type: "UnManagedDevice", reason: "  " },
      device: "laptop-jdoe.corp.contoso.com",
      target: "laptop-jdoe.corp.contoso.com",
      parameters: { hostname: "laptop-jdoe.corp.contoso.com", machine_id: null, isolation_type: "UnManagedDevice" },
    },
    {
      name: "by machine_id and its matching short hostname, Full by default",
      body: { machine_id: device("srv-web-01.corp.contoso.com").id, hostname: "srv-web-01" },
      device: "srv-web-01.corp.contoso.com",
      target: "srv-web-01",
      parameters: { hostname: "srv-web-01", machine_id: device("srv-web-01.corp.contoso.com").id, isolation_type: "Full" },
    },
  ];
  it.each(byKind)("$name: 202, parameters passed through", async ({ body, device: name, target, parameters }) => {
    const d = device(name);
    const r = await post(server, "/api/v1/mdr/isolate", body);
    expectAction(
      r,
      202,
      action({
        type: "isolate_endpoint",
        status: "in_progress",
        target,
        provider: "defender",
        parameters,
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: d.id, computer_dns_name: d.computerDnsName, machine_action_status: "Pending" },
      }),
    );
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${d.id} (${d.computerDnsName})`],
      ["in_progress", `Defender accepted the isolation: machine action ${r.body.provider_ref} is Pending`],
    ]);
  });

  it("machine_id with a hostname that is not that machine: 422 naming hostname, recorded rejected", async () => {
    const ws = device("ws-0143.corp.contoso.com");
    const message = `does not match machine ${ws.id}, which is named ${ws.computerDnsName}`;
    const r = await post(server, "/api/v1/mdr/isolate", { machine_id: ws.id, hostname: "ws-0144" });
    await expectRecordedRefusal(
      r,
      problem("validation-failed", `hostname: ${message}`, { errors: [{ path: "hostname", message }] }),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: "ws-0144",
        provider: "defender",
        parameters: { hostname: "ws-0144", machine_id: ws.id, isolation_type: "Full" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", `hostname: ${message}`],
      ],
    );
  });

  it("an ambiguous short name: 409 listing the candidates, nothing isolated, recorded rejected", async () => {
    const [corp, lab] = [device("ws-finance-07.corp.contoso.com"), device("ws-finance-07.lab.contoso.com")];
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-finance-07", reason: "ransom note" });
    const d = await expectRecordedRefusal(
      r,
      problem(
        "ambiguous-target",
        "ws-finance-07 matches 2 devices; nothing was isolated. Choose one and send its machine_id.",
        {
          candidates: [
            { id: corp.id, name: corp.computerDnsName, last_seen: anyIso() },
            { id: lab.id, name: lab.computerDnsName, last_seen: anyIso() },
          ],
        },
      ),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: "ws-finance-07",
        provider: "defender",
        parameters: { hostname: "ws-finance-07", machine_id: null, isolation_type: "Full" },
        reason: "ransom note",
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", "ws-finance-07 matches 2 devices; nothing was isolated. Choose one and send its machine_id."],
      ],
    );
    // Last seen is the device's, not the request's: the lab machine was seen hours before the corp one.
    const [a, b] = r.body.candidates.map((c: { last_seen: string }) => Date.parse(c.last_seen));
    expect(a - b).toBe((lab.lastSeenMinutesAgo - corp.lastSeenMinutesAgo) * 60_000);
    expect(d.active).toBe(false);
  });

  it("an unknown host: 404 with the action id, recorded rejected", async () => {
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-9999" });
    await expectRecordedRefusal(
      r,
      problem("not-found", "[Defender] No device named ws-9999 is known to Defender for Endpoint"),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: "ws-9999",
        provider: "defender",
        parameters: { hostname: "ws-9999", machine_id: null, isolation_type: "Full" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", "[Defender] No device named ws-9999 is known to Defender for Endpoint"],
      ],
    );
  });

  it("an unknown machine_id: 404 from Defender, recorded rejected", async () => {
    const id = "0".repeat(40);
    const r = await post(server, "/api/v1/mdr/isolate", { machine_id: id });
    await expectRecordedRefusal(
      r,
      problem("not-found", `[Defender] ResourceNotFound: Machine '${id}' was not found`),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: id,
        provider: "defender",
        parameters: { hostname: null, machine_id: id, isolation_type: "Full" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", `[Defender] ResourceNotFound: Machine '${id}' was not found`],
      ],
    );
  });

  it("a host already being isolated: 409 naming the isolation in progress, recorded rejected, the first goes on", async () => {
    const first = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0144" });
    expect(first.status).toBe(202);
    const second = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0144", isolation_type: "Selective" });
    const held = `ws-0144 is already being isolated by ${first.body.id} (in progress); nothing was sent to Defender`;
    await expectRecordedRefusal(
      second,
      problem("conflict", held, { holder_action_id: first.body.id }),
      {
        type: "isolate_endpoint",
        status: "rejected",
        target: "ws-0144",
        provider: "defender",
        parameters: { hostname: "ws-0144", machine_id: null, isolation_type: "Selective" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", held],
      ],
    );
    await eventually(async () => ((await detail(server, first.body.id)).status === "succeeded" ? true : undefined), 15_000);
  });

  it.each([
    [{}, "hostname", "is required unless machine_id is given"],
    [{ hostname: "ws_0142" }, "hostname", "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63"],
    [{ hostname: `${"a".repeat(63)}.`.repeat(4) + "a" }, "hostname", "must be at most 255 characters"],
    [{ machine_id: "792546cf" }, "machine_id", "must be a Defender machine id (40 hexadecimal characters)"],
    [{ hostname: "ws-0142", isolation_type: "full" }, "isolation_type", 'Invalid option: expected one of "Full"|"Selective"|"UnManagedDevice"'],
    [{ hostname: "ws-0142", reason: "x".repeat(1001) }, "reason", "must be at most 1000 characters"],
    [{ hostname: "ws-0142", tenant_id: "not a tenant" }, "tenant_id", "must be a tenant GUID or domain name"],
  ])("refuses %j: 422 on %s, no row", async (body, path, message) => {
    const before = await countActions(server);
    expectProblem(await post(server, "/api/v1/mdr/isolate", body), invalidBody(path, message));
    expect(await countActions(server)).toBe(before);
  });

  it("a tenant that is not configured: 422 on tenant_id, no row", async () => {
    const before = await countActions(server);
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142", tenant_id: "fabrikam.com" });
    expectProblem(
      r,
      problem("validation-failed", "tenant_id: is not a configured tenant; yours: 8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d", {
        errors: [{ path: "tenant_id", message: "is not a configured tenant; yours: 8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d" }],
      }),
    );
    expect(await countActions(server)).toBe(before);
  });
});

describe("POST /api/v1/mdr/block-ip", () => {
  /** The whole answer for a block that took effect. */
  const blocked = (over: Record<string, unknown>) =>
    action({ type: "block_ip", status: "succeeded", active: true, completed_at: anyIso(), expires_at: anyIso(), ...over });

  /** Checks the times of a block: done at once, expiring duration_hours after it was made. */
  function expectBlockTimes(body: Record<string, string>, hours: number) {
    expect(body.updated_at).toBe(body.completed_at);
    expect(Date.parse(body.expires_at!) - Date.parse(body.created_at!)).toBe(Math.round(hours * HOUR_MS));
  }

  it("a single public address on Defender (the default): 201, an indicator until the expiry", async () => {
    const r = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.34", reason: "Tor exit node" });
    expectAction(
      r,
      201,
      blocked({
        target: "185.220.101.34",
        provider: "defender",
        parameters: { ip: "185.220.101.34", firewall_type: "defender", priority: null, duration_hours: 24 },
        reason: "Tor exit node",
        provider_ref: expect.stringMatching(/^\d+$/),
        result: { indicator_id: expect.stringMatching(/^\d+$/), expiration_time: anyIso() },
      }),
    );
    expectBlockTimes(r.body, 24);
    expect(r.body.result).toEqual({ indicator_id: r.body.provider_ref, expiration_time: r.body.expires_at });
    const d = await detail(server, r.body.id);
    expect(withoutTimeline(d)).toEqual(r.body);
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      [
        "succeeded",
        defenderSubmitted("185.220.101.34", r.body.provider_ref, r.body.expires_at),
      ],
    ]);

    // The same address again while the block is in effect: refused from the audit log, nothing sent.
    const again = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.34", duration_hours: 1 });
    const message = `185.220.101.34 is already blocked on Defender for Endpoint (IP indicator) by ${r.body.id} until ${r.body.expires_at}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${r.body.id})`;
    await expectRecordedRefusal(
      again,
      problem("conflict", message, { holder_action_id: r.body.id }),
      {
        type: "block_ip",
        status: "rejected",
        target: "185.220.101.34",
        provider: "defender",
        parameters: { ip: "185.220.101.34", firewall_type: "defender", priority: null, duration_hours: 1 },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });

  it("an IPv6 address on Defender, normalised", async () => {
    const r = await post(server, "/api/v1/mdr/block-ip", { ip: "2A0B:F4C2:0000:0000:0000:0000:0000:0001" });
    expectAction(
      r,
      201,
      blocked({
        target: "2a0b:f4c2::1",
        provider: "defender",
        parameters: { ip: "2a0b:f4c2::1", firewall_type: "defender", priority: null, duration_hours: 24 },
        provider_ref: expect.stringMatching(/^\d+$/),
        result: { indicator_id: expect.stringMatching(/^\d+$/), expiration_time: anyIso() },
      }),
    );
  });

  it("azure_nsg: a CIDR range gets the lowest free priority (101), an explicit one is kept, a used one is 409", async () => {
    const r = await post(server, "/api/v1/mdr/block-ip", {
      ip: "185.220.101.0/24",
      firewall_type: "azure_nsg",
      duration_hours: 1.5,
    });
    expectAction(
      r,
      201,
      blocked({
        target: "185.220.101.0/24",
        provider: "azure_nsg",
        parameters: { ip: "185.220.101.0/24", firewall_type: "azure_nsg", priority: null, duration_hours: 1.5 },
        provider_ref: `mdr-block-${r.body.id}`,
        result: { rule_name: `mdr-block-${r.body.id}`, priority: 101 },
      }),
    );
    expectBlockTimes(r.body, 1.5);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      [
        "succeeded",
        `Blocked 185.220.101.0/24 on Azure network security group (mdr-block-${r.body.id}) until ${r.body.expires_at}`,
      ],
    ]);

    const explicit = await post(server, "/api/v1/mdr/block-ip", {
      ip: "45.155.205.0/24",
      firewall_type: "azure_nsg",
      priority: 4096,
    });
    expectAction(
      explicit,
      201,
      blocked({
        target: "45.155.205.0/24",
        provider: "azure_nsg",
        parameters: { ip: "45.155.205.0/24", firewall_type: "azure_nsg", priority: 4096, duration_hours: 24 },
        provider_ref: `mdr-block-${explicit.body.id}`,
        result: { rule_name: `mdr-block-${explicit.body.id}`, priority: 4096 },
      }),
    );

    // 100, 101 and 102 are now used: the next free one is 103.
    const next = await post(server, "/api/v1/mdr/block-ip", { ip: "2a0b:f4c2::/48", firewall_type: "azure_nsg" });
    expect(next.status).toBe(201);
    expect(next.body.result).toEqual({ rule_name: `mdr-block-${next.body.id}`, priority: 103 });

    for (const [priority, holder] of [
      [102, "AllowAzureLoadBalancer"],
      [101, `mdr-block-${r.body.id}`],
    ] as const) {
      const taken = await post(server, "/api/v1/mdr/block-ip", {
        ip: "91.92.109.7",
        firewall_type: "azure_nsg",
        priority,
      });
      const message = `[Azure NSG] SecurityRuleConflict: priority ${priority} is already used by rule ${holder}`;
      await expectRecordedRefusal(
        taken,
        problem("conflict", message),
        {
          type: "block_ip",
          status: "rejected",
          target: "91.92.109.7",
          provider: "azure_nsg",
          parameters: { ip: "91.92.109.7", firewall_type: "azure_nsg", priority, duration_hours: 24 },
          expires_at: anyIso(),
        },
        [
          ["pending", "Requested by token:tests"],
          ["rejected", message],
        ],
      );
    }
  });

  it("aws_sg: a deny entry with the first free rule number of the network ACL", async () => {
    const r = await post(server, "/api/v1/mdr/block-ip", {
      ip: "194.26.192.0/24",
      firewall_type: "aws_sg",
      duration_hours: 0.25,
      reason: "scanner",
    });
    expectAction(
      r,
      201,
      blocked({
        target: "194.26.192.0/24",
        provider: "aws_sg",
        parameters: { ip: "194.26.192.0/24", firewall_type: "aws_sg", priority: null, duration_hours: 0.25 },
        reason: "scanner",
        provider_ref: "2",
        result: { network_acl_id: "acl-0a1b2c3d4e5f67890", rule_number: 2, cidr: "194.26.192.0/24" },
      }),
    );
    expectBlockTimes(r.body, 0.25);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 194.26.192.0/24 on AWS network ACL (2) until ${r.body.expires_at}`],
    ]);

    // The range already denied by the seeded rule 1: refused by AWS, recorded rejected.
    const dup = await post(server, "/api/v1/mdr/block-ip", { ip: "198.51.100.0/24", firewall_type: "aws_sg" });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toBe("[AWS] 198.51.100.0/24 is already denied by rule 1 of acl-0a1b2c3d4e5f67890");
    expect((await detail(server, dup.body.action_id)).status).toBe("rejected");
  });

  it("aws_waf: the address as a CIDR in its family's IP set of the simulated account", async () => {
    const v4Set = "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/mdr-blocked-v4/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    const v6Set = "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/mdr-blocked-v6/6f5e4d3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f";
    const r = await post(server, "/api/v1/mdr/block-ip", { ip: "194.26.193.7", firewall_type: "aws_waf", reason: "scanner" });
    const ref = `${v4Set}#194.26.193.7/32`;
    expectAction(
      r,
      201,
      blocked({
        target: "194.26.193.7",
        provider: "aws_waf",
        parameters: { ip: "194.26.193.7", firewall_type: "aws_waf", priority: null, duration_hours: 24 },
        reason: "scanner",
        provider_ref: ref,
        result: { ip_set_arn: v4Set, ip_set: "mdr-blocked-v4", cidr: "194.26.193.7/32", already_present: false },
      }),
    );
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 194.26.193.7 on AWS WAF IP set (${ref}) until ${r.body.expires_at}`],
    ]);
    const v6 = await post(server, "/api/v1/mdr/block-ip", { ip: "2a0b:f4c3::/48", firewall_type: "aws_waf" });
    expect({ status: v6.status, ref: v6.body.provider_ref }).toEqual({ status: 201, ref: `${v6Set}#2a0b:f4c3::/48` });
  });

  it.each([0.001, 0.5, 1.75, 8760])("duration_hours %s: expires_at is created_at plus that long", async (hours) => {
    const r = await post(server, "/api/v1/mdr/block-ip", {
      ip: `185.100.87.${Math.round(hours * 4) % 250}`,
      firewall_type: "aws_sg",
      duration_hours: hours,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expectBlockTimes(r.body, hours);
    expect(r.body.parameters.duration_hours).toBe(hours);
  });

  const refusals: [string, Record<string, unknown>, string, string][] = [
    ["0.0.0.0/0", { ip: "0.0.0.0/0", firewall_type: "azure_nsg" }, "ip", "/0 is too wide to block: IPv4 ranges must be /8 or narrower"],
    ["::/0", { ip: "::/0", firewall_type: "aws_sg" }, "ip", "/0 is too wide to block: IPv6 ranges must be /32 or narrower"],
    ["an IPv4 /7", { ip: "10.0.0.0/7", firewall_type: "azure_nsg" }, "ip", "/7 is too wide to block: IPv4 ranges must be /8 or narrower"],
    ["an IPv6 /31", { ip: "2a0b::/31", firewall_type: "aws_sg" }, "ip", "/31 is too wide to block: IPv6 ranges must be /32 or narrower"],
    [
      "a CIDR range for defender",
      { ip: "185.220.101.0/24" },
      "ip",
      "Defender indicators take single addresses only; use azure_nsg, aws_sg or aws_waf for a range",
    ],
    ["a private address for defender", { ip: "10.20.30.40" }, "ip", "is a private address; Defender indicators block public addresses only"],
    [
      "a documentation address for defender",
      { ip: "203.0.113.7", firewall_type: "defender" },
      "ip",
      "is a reserved address; Defender indicators block public addresses only",
    ],
    ["a loopback address anywhere", { ip: "127.0.0.1", firewall_type: "aws_sg" }, "ip", "is a loopback address, which cannot be blocked"],
    ["host bits set", { ip: "10.1.2.3/8", firewall_type: "aws_sg" }, "ip", "has host bits set: did you mean 10.0.0.0/8?"],
    ["a prefix over 32", { ip: "185.220.101.0/33", firewall_type: "aws_sg" }, "ip", "has an invalid prefix length: /33 (0-32)"],
    ["not an address", { ip: "185.220.101" }, "ip", "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24"],
    ["a missing ip", { firewall_type: "azure_nsg" }, "ip", "is required"],
    ["an empty ip", { ip: " " }, "ip", "must not be empty"],
    [
      "an unknown firewall",
      { ip: "185.220.101.34", firewall_type: "palo_alto" },
      "firewall_type",
      'Invalid option: expected one of "azure_nsg"|"aws_sg"|"defender"|"aws_waf"',
    ],
    ["priority with aws_sg", { ip: "185.220.101.34", firewall_type: "aws_sg", priority: 150 }, "priority", "applies to firewall_type azure_nsg only"],
    ["priority with defender", { ip: "185.220.101.34", priority: 150 }, "priority", "applies to firewall_type azure_nsg only"],
    ["priority 99", { ip: "185.220.101.34", firewall_type: "azure_nsg", priority: 99 }, "priority", "must be between 100 and 4096"],
    ["priority 4097", { ip: "185.220.101.34", firewall_type: "azure_nsg", priority: 4097 }, "priority", "must be between 100 and 4096"],
    ["priority 150.5", { ip: "185.220.101.34", firewall_type: "azure_nsg", priority: 150.5 }, "priority", "must be a whole number"],
    ["duration 0", { ip: "185.220.101.34", duration_hours: 0 }, "duration_hours", "must be greater than 0"],
    ["a negative duration", { ip: "185.220.101.34", duration_hours: -1 }, "duration_hours", "must be greater than 0"],
    ["duration 8761", { ip: "185.220.101.34", duration_hours: 8761 }, "duration_hours", "must be at most 8760 (one year)"],
    // A present value of the wrong type is not a missing one: it must not answer "is required".
    [
      "a duration given as a string",
      { ip: "185.220.101.34", duration_hours: "2" },
      "duration_hours",
      "Invalid input: expected number, received string",
    ],
    ["an unknown field", { ip: "185.220.101.34", ttl_hours: 2 }, "ttl_hours", "is not a known field"],
  ];
  it.each(refusals)("refuses %s: 422 naming the field, no row", async (_name, body, path, message) => {
    const before = await countActions(server);
    expectProblem(await post(server, "/api/v1/mdr/block-ip", body), invalidBody(path, message));
    expect(await countActions(server)).toBe(before);
  });
});

describe("POST /api/v1/mdr/disable-user", () => {
  it("disables and revokes: 201 succeeded, active, with the user's id", async () => {
    const alice = user("alice@contoso.com");
    const r = await post(server, "/api/v1/mdr/disable-user", { upn: "alice@contoso.com", reason: "impossible travel" });
    expectAction(
      r,
      201,
      action({
        type: "disable_user",
        status: "succeeded",
        target: "alice@contoso.com",
        provider: "graph",
        parameters: { upn: "alice@contoso.com", revoke_sessions: true },
        reason: "impossible travel",
        provider_ref: alice.id,
        result: { user_id: alice.id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(r.body.updated_at).toBe(r.body.completed_at);
    const d = await detail(server, r.body.id);
    expect(withoutTimeline(d)).toEqual(r.body);
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["succeeded", "Account disabled and sign-in sessions revoked"],
    ]);

    // Disabled now, by this action: a second request is refused naming it, and Graph is not asked.
    const again = await post(server, "/api/v1/mdr/disable-user", { upn: "alice@contoso.com" });
    const held = `alice@contoso.com is already disabled by ${r.body.id}; nothing was sent to Graph`;
    expectProblem(
      again,
      problem("conflict", held, { holder_action_id: r.body.id, action_id: anyActionId(), action_status: "rejected" }),
    );
  });

  it("normalises an upper-case UPN", async () => {
    const bob = user("bob@contoso.com");
    const r = await post(server, "/api/v1/mdr/disable-user", { upn: "  Bob@CONTOSO.com " });
    expectAction(
      r,
      201,
      action({
        type: "disable_user",
        status: "succeeded",
        target: "bob@contoso.com",
        provider: "graph",
        parameters: { upn: "bob@contoso.com", revoke_sessions: true },
        provider_ref: bob.id,
        result: { user_id: bob.id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
  });

  it("revoke_sessions false: disabled, sessions left alone, and the timeline says so", async () => {
    const carol = user("carol@contoso.com");
    const r = await post(server, "/api/v1/mdr/disable-user", {
      upn: "carol@contoso.com",
      revoke_sessions: false,
      tenant_id: "8F3B2C1D-5E6F-4A7B-9C8D-0E1F2A3B4C5D",
    });
    expectAction(
      r,
      201,
      action({
        type: "disable_user",
        status: "succeeded",
        target: "carol@contoso.com",
        provider: "graph",
        parameters: { upn: "carol@contoso.com", revoke_sessions: false },
        provider_ref: carol.id,
        result: { user_id: carol.id, was_enabled: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["succeeded", "Account disabled; sign-in sessions were not revoked, as asked"],
    ]);
  });

  it("an unknown user: 404 with the action id, recorded rejected", async () => {
    const message =
      "[Graph] Request_ResourceNotFound: Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.";
    const r = await post(server, "/api/v1/mdr/disable-user", { upn: "nobody@contoso.com" });
    await expectRecordedRefusal(
      r,
      problem("not-found", message),
      {
        type: "disable_user",
        status: "rejected",
        target: "nobody@contoso.com",
        provider: "graph",
        parameters: { upn: "nobody@contoso.com", revoke_sessions: true },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });

  it.each([
    [{ upn: "not-an-upn" }, "upn", "must be a user principal name like user@contoso.com"],
    [{}, "upn", "is required"],
    [{ upn: `${"a".repeat(250)}@contoso.com` }, "upn", "must be at most 256 characters"],
    [{ upn: "dave@contoso.com", revoke: false }, "revoke", "is not a known field"],
  ])("refuses %j: 422 on %s, no row", async (body, path, message) => {
    const before = await countActions(server);
    expectProblem(await post(server, "/api/v1/mdr/disable-user", body), invalidBody(path, message));
    expect(await countActions(server)).toBe(before);
  });
});

describe("POST /api/v1/mdr/quarantine-email", () => {
  const SUBJECT = SIM_PHISHING_MESSAGE.subject;
  const MSG = SIM_PHISHING_MESSAGE.internetMessageId;

  const cases = [
    { mailbox: "alice@contoso.com", act: "softDelete", folder: "recoverableitemsdeletions", explicit: false },
    { mailbox: "bob@contoso.com", act: "moveToJunk", folder: "junkemail", explicit: true },
  ] as const;
  it.each(cases)("$act in $mailbox: 201, the moved message's new id kept", async ({ mailbox, act, folder, explicit }) => {
    const original = phishIn(mailbox);
    const r = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: MSG,
      user_principal_name: mailbox,
      ...(explicit ? { action: act } : {}),
      reason: "payroll phish",
    });
    expectAction(
      r,
      201,
      action({
        type: "quarantine_email",
        status: "succeeded",
        target: MSG,
        provider: "graph",
        parameters: { message_id: MSG, user_principal_name: mailbox, action: act },
        reason: "payroll phish",
        provider_ref: expect.stringMatching(/^AAMkA[A-Za-z0-9_-]+AAA=$/),
        result: {
          messages: [{ id: original.id, new_id: expect.any(String), subject: SUBJECT }],
          folder,
        },
        active: true,
        completed_at: anyIso(),
      }),
    );
    const newId = r.body.result.messages[0].new_id;
    expect(newId).not.toBe(original.id);
    expect(r.body.provider_ref).toBe(newId);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "${SUBJECT}" from inbox to ${folder}`],
      ["succeeded", `Moved 1 message(s) to ${folder}`],
    ]);

    // The old id no longer names the message; the kept new one does.
    const byOld = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: original.id,
      user_principal_name: mailbox,
    });
    expect(byOld.status).toBe(404);
    expect(byOld.body.detail).toBe(`[Graph] No message ${original.id} in the mailbox of ${mailbox}`);
    const byNew = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: newId,
      user_principal_name: mailbox,
      action: "hardDelete",
    });
    expect(byNew.status, JSON.stringify(byNew.body)).toBe(201);
    expect(byNew.body.result).toEqual({ messages: [{ id: newId, new_id: null, subject: SUBJECT }], folder: "deleted" });
  });

  it("hardDelete in carol's mailbox: 201, deleted for good, the original id kept", async () => {
    const original = phishIn("carol@contoso.com");
    const r = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: MSG,
      user_principal_name: "Carol@Contoso.com",
      action: "hardDelete",
    });
    expectAction(
      r,
      201,
      action({
        type: "quarantine_email",
        status: "succeeded",
        target: MSG,
        provider: "graph",
        parameters: { message_id: MSG, user_principal_name: "carol@contoso.com", action: "hardDelete" },
        provider_ref: original.id,
        result: { messages: [{ id: original.id, new_id: null, subject: SUBJECT }], folder: "deleted" },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Permanently deleted "${SUBJECT}"`],
      ["succeeded", "Permanently deleted 1 message(s)"],
    ]);

    // Gone, by this action: asking again is refused naming it, recorded rejected.
    const again = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: MSG,
      user_principal_name: "carol@contoso.com",
    });
    expect(again.status).toBe(409);
    expect(again.body.holder_action_id).toBe(r.body.id);
    expect((await detail(server, again.body.action_id)).status).toBe("rejected");
  });

  it("an unknown message: 404 with the action id, recorded rejected", async () => {
    const message = "[Graph] No message <does-not-exist@mail.example> in the mailbox of dave@contoso.com";
    const r = await post(server, "/api/v1/mdr/quarantine-email", {
      message_id: "<does-not-exist@mail.example>",
      user_principal_name: "dave@contoso.com",
    });
    await expectRecordedRefusal(
      r,
      problem("not-found", message),
      {
        type: "quarantine_email",
        status: "rejected",
        target: "<does-not-exist@mail.example>",
        provider: "graph",
        parameters: {
          message_id: "<does-not-exist@mail.example>",
          user_principal_name: "dave@contoso.com",
          action: "softDelete",
        },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });

  it("a mailbox that does not exist: 404 from Graph, recorded rejected", async () => {
    const message = "[Graph] ErrorInvalidUser: The requested user 'nobody@contoso.com' is invalid.";
    const r = await post(server, "/api/v1/mdr/quarantine-email", { message_id: MSG, user_principal_name: "nobody@contoso.com" });
    await expectRecordedRefusal(
      r,
      problem("not-found", message),
      {
        type: "quarantine_email",
        status: "rejected",
        target: MSG,
        provider: "graph",
        parameters: { message_id: MSG, user_principal_name: "nobody@contoso.com", action: "softDelete" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });

  it.each([
    [{ message_id: "abc", user_principal_name: "alice@contoso.com" }, "message_id", "must be an RFC 5322 Message-ID such as <abc@host> or a provider message id"],
    [{ message_id: "<no-at-sign>", user_principal_name: "alice@contoso.com" }, "message_id", "must be an RFC 5322 Message-ID such as <abc@host> or a provider message id"],
    [{ message_id: MSG, user_principal_name: "alice@contoso.com", action: "delete" }, "action", 'Invalid option: expected one of "softDelete"|"hardDelete"|"moveToJunk"'],
    [{ message_id: MSG, user_principal_name: "alice" }, "user_principal_name", "must be a user principal name like user@contoso.com"],
    [{ message_id: MSG }, "user_principal_name", "is required"],
  ])("refuses %j: 422 on %s, no row", async (body, path, message) => {
    const before = await countActions(server);
    expectProblem(await post(server, "/api/v1/mdr/quarantine-email", body), invalidBody(path, message));
    expect(await countActions(server)).toBe(before);
  });
});
