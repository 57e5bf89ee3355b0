// Blocking and unblocking addresses through the live firewall adapters, against the emulator:
// Defender IP indicators, Azure NSG rules (through ARM's long-running operations) and AWS network
// ACL entries — the exact calls received, the rows and timelines, the refusals, and the expiry
// sweep removing exactly what each block created.
import { beforeEach, describe, expect, it } from "vitest";
import { ACL_A, AWS_KEY, exampleSeed, NSG, RESOURCE_GROUP, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import type { RecordedRequest } from "../emulator/server";
import { eventually } from "../support/server";
import {
  type Json,
  type Reply,
  allActions,
  anyActionId,
  anyIso,
  defenderSubmitted,
  detail,
  expectAction,
  expectProblem,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { AUDIENCE, REGION, apiCalls, bearer, expireSoon, freshLive, liveAction, liveSetup, mark, nsgPath, since } from "./live";

const seed = exampleSeed();
// NSG: inbound priorities 100 and 101 taken, 102 only outbound (which does not count for inbound).
seed.subscriptions![0]!.nsgs![0]!.rules!.push(
  { name: "deny-scanner", priority: 100, direction: "Inbound", access: "Deny", sourceAddressPrefix: "192.0.2.0/24" },
  { name: "allow-bastion", priority: 101, direction: "Inbound", access: "Allow", sourceAddressPrefix: "10.0.0.0/8" },
  { name: "deny-smtp-out", priority: 102, direction: "Outbound", access: "Deny", destinationPortRange: "25" },
);
// ACL: inbound rule numbers 1 and 2 taken, 3 only outbound.
seed.networkAcls![0]!.entries!.push(
  { ruleNumber: 1, egress: false, ruleAction: "deny", cidrBlock: "192.0.2.0/24" },
  { ruleNumber: 2, egress: false, ruleAction: "deny", cidrBlock: "198.18.0.0/15" },
  { ruleNumber: 3, egress: true, ruleAction: "deny", cidrBlock: "192.0.2.0/24" },
);

const live = liveSetup({
  name: "live-firewalls",
  // At most 7 inbound IPv4 entries (4 are seeded: the quota counts the default deny entry), so a
  // test can fill the ACL.
  emulator: { ...seed, aws: { entriesPerDirectionLimit: 7 } },
  env: { AZURE_NSG_PRIORITY_RANGE: "100-109", AWS_NACL_RULE_RANGE: "1-9" },
});

beforeEach(() => freshLive(live));

const BLOCK = "/api/v1/mdr/block-ip";
const API_VERSION = { "api-version": "2025-05-01" };
const OPERATION = new RegExp(
  `^/subscriptions/${SUBSCRIPTION_A}/providers/Microsoft\\.Network/locations/westeurope/operations/[0-9a-f-]{36}$`,
);
const SIGV4 = { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: REGION, service: "ec2" };
const nsgState = () => live().emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG);
const aclState = () => live().emu.acl(ACL_A);

/** A block row as the API answers it. */
function blockRow(firewall: string, ip: string, over: Record<string, unknown> = {}, durationHours = 24): Record<string, unknown> {
  return liveAction({
    type: "block_ip",
    status: "succeeded",
    target: ip,
    provider: firewall,
    parameters: { ip, firewall_type: firewall, priority: null, duration_hours: durationHours },
    active: true,
    completed_at: anyIso(),
    expires_at: anyIso(),
    ...over,
  });
}

/** Asserts a refused block: the whole problem, the rejected row and its timeline. */
async function expectRejectedBlock(reply: Json, type: "conflict" | "not-found", message: string, row: Record<string, unknown>) {
  const { server } = live();
  expectProblem(reply, problem(type, message, { action_id: anyActionId(), action_status: "rejected" }));
  const d = await detail(server, reply.body.action_id);
  expect(withoutTimeline(d)).toEqual(
    liveAction({ id: reply.body.action_id, type: "block_ip", status: "rejected", error: message, completed_at: d.updated_at, expires_at: anyIso(), ...row }),
  );
  expect(steps(d)).toEqual([
    ["pending", "Requested by token:tests"],
    ["rejected", message],
  ]);
}

const ec2 = (r: RecordedRequest) => ({ action: r.action, body: r.body, status: r.status });

describe("live block-ip: Defender indicator", () => {
  it("POSTs an IpAddress Block indicator whose expirationTime is the row's expires_at; the indicator id is provider_ref", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.34", reason: "Tor exit node", duration_hours: 12 });
    const indicator = [...emu.tenant(TENANT_A).indicators.values()][0]!;
    expectAction(
      r,
      201,
      blockRow(
        "defender",
        "185.220.101.34",
        {
          reason: "Tor exit node",
          provider_ref: indicator.id,
          result: { indicator_id: indicator.id, expiration_time: r.body.expires_at },
        },
        12,
      ),
    );
    const { id, created_at: createdAt, expires_at: expiresAt } = r.body;
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(12 * 3_600_000);
    expect(apiCalls(emu, from)).toEqual([
      // First: does the address have an indicator already? (A POST would overwrite it.)
      {
        method: "GET",
        path: "/api/indicators",
        query: { $filter: "indicatorValue eq '185.220.101.34' and indicatorType eq 'IpAddress'" },
        body: undefined,
        status: 200,
      },
      {
        method: "POST",
        path: "/api/indicators",
        query: {},
        body: {
          indicatorValue: "185.220.101.34",
          indicatorType: "IpAddress",
          action: "Block",
          title: `MDR block ${id}`,
          description: `MDR ${id} by token:tests: Tor exit node`,
          expirationTime: expiresAt,
          severity: "High",
          generateAlert: true,
        },
        status: 200,
      },
    ]);
    for (const req of since(emu, from, { service: "defender" })) expect(req.auth).toEqual(bearer(AUDIENCE.defender));
    expect(indicator).toMatchObject({ indicatorValue: "185.220.101.34", action: "Block", expirationTime: expiresAt });
    expect(steps(await detail(server, id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", defenderSubmitted("185.220.101.34", indicator.id, expiresAt)],
    ]);
  });

  it("an address that already has an indicator from elsewhere: 409, the indicator left as it was (Defender would overwrite it)", async () => {
    const { emu, server } = live();
    // An analyst's own indicator, made in the portal: not in the audit log.
    const now = new Date().toISOString();
    emu.tenant(TENANT_A).indicators.set("9001", {
      id: "9001",
      indicatorValue: "185.220.101.40",
      indicatorType: "IpAddress",
      action: "Block",
      application: null,
      source: "analyst@contoso.com",
      sourceType: "User",
      createdBy: "analyst@contoso.com",
      createdBySource: "Portal",
      severity: "High",
      title: "Known C2",
      description: "Blocked by hand",
      recommendedActions: null,
      creationTimeDateTimeUtc: now,
      expirationTime: null,
      lastUpdateTime: now,
      lastUpdatedBy: null,
      rbacGroupNames: [],
      generateAlert: true,
    });
    const before = structuredClone(emu.tenant(TENANT_A).indicators.get("9001"));
    const from = mark(emu);
    const second = await post(server, BLOCK, { ip: "185.220.101.40", duration_hours: 1 });
    const message = `[Defender] 185.220.101.40 already has indicator 9001 (Block, "Known C2"); Defender keeps one indicator per address, so a second block would overwrite it`;
    await expectRejectedBlock(second, "conflict", message, {
      target: "185.220.101.40",
      provider: "defender",
      parameters: { ip: "185.220.101.40", firewall_type: "defender", priority: null, duration_hours: 1 },
    });
    expect(apiCalls(emu, from)).toEqual([
      {
        method: "GET",
        path: "/api/indicators",
        query: { $filter: "indicatorValue eq '185.220.101.40' and indicatorType eq 'IpAddress'" },
        body: undefined,
        status: 200,
      },
    ]);
    expect(emu.tenant(TENANT_A).indicators.get("9001")).toEqual(before);
  });
});

describe("live block-ip: Azure NSG", () => {
  it("an inbound Deny rule named mdr-block-{id} at the lowest free inbound priority, through the ARM long-running operation", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.0/24", firewall_type: "azure_nsg", reason: "scanner" });
    const name = `mdr-block-${r.body.id}`;
    expectAction(
      r,
      201,
      blockRow("azure_nsg", "203.0.113.0/24", {
        reason: "scanner",
        provider_ref: name,
        result: { rule_name: name, priority: 102, nsg: NSG },
      }),
    );
    const calls = apiCalls(emu, from);
    expect(calls).toEqual([
      { method: "GET", path: nsgPath(), query: API_VERSION, body: undefined, status: 200 },
      {
        method: "PUT",
        path: nsgPath(SUBSCRIPTION_A, name),
        query: API_VERSION,
        body: {
          properties: {
            description: `MDR ${r.body.id} by token:tests: scanner`,
            protocol: "*",
            sourcePortRange: "*",
            destinationPortRange: "*",
            sourceAddressPrefix: "203.0.113.0/24",
            destinationAddressPrefix: "*",
            access: "Deny",
            priority: 102,
            direction: "Inbound",
          },
        },
        status: 201,
      },
      { method: "GET", path: expect.stringMatching(OPERATION), query: API_VERSION, body: undefined, status: 200 },
      { method: "GET", path: expect.stringMatching(OPERATION), query: API_VERSION, body: undefined, status: 200 },
      { method: "GET", path: nsgPath(SUBSCRIPTION_A, name), query: API_VERSION, body: undefined, status: 200 },
    ]);
    expect(since(emu, from, { path: "/operations/" }).map((o) => o.responseBody)).toEqual([{ status: "InProgress" }, { status: "Succeeded" }]);
    for (const req of since(emu, from, { service: "arm" })) expect(req.auth).toEqual(bearer(AUDIENCE.arm));
    expect(nsgState().rules.get(name.toLowerCase())?.properties).toMatchObject({
      access: "Deny",
      direction: "Inbound",
      priority: 102,
      sourceAddressPrefix: "203.0.113.0/24",
      provisioningState: "Succeeded",
    });
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 203.0.113.0/24 on Azure network security group (${name}) until ${r.body.expires_at}`],
    ]);
  });

  it("an explicit priority is used as given", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "2001:db8::/48", firewall_type: "azure_nsg", priority: 150 });
    const name = `mdr-block-${r.body.id}`;
    expectAction(
      r,
      201,
      blockRow("azure_nsg", "2001:db8::/48", {
        parameters: { ip: "2001:db8::/48", firewall_type: "azure_nsg", priority: 150, duration_hours: 24 },
        provider_ref: name,
        result: { rule_name: name, priority: 150, nsg: NSG },
      }),
    );
    const put = since(emu, from, { method: "PUT" })[0]!;
    expect(put.body).toMatchObject({ properties: { priority: 150, sourceAddressPrefix: "2001:db8::/48", access: "Deny" } });
  });

  it("an explicit priority already taken: 409 naming the rule, nothing written", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.9", firewall_type: "azure_nsg", priority: 101 });
    await expectRejectedBlock(r, "conflict", "[Azure NSG] priority 101 is already used by rule allow-bastion", {
      target: "203.0.113.9",
      provider: "azure_nsg",
      parameters: { ip: "203.0.113.9", firewall_type: "azure_nsg", priority: 101, duration_hours: 24 },
    });
    expect(apiCalls(emu, from).map((c) => c.method)).toEqual(["GET"]);
  });

  it("no free inbound priority in the range: 409 naming the range, nothing written", async () => {
    const { emu, server } = live();
    const rules = nsgState().rules;
    const template = rules.get("deny-scanner")!;
    for (let p = 102; p <= 109; p++) {
      rules.set(`taken-${p}`, { name: `taken-${p}`, etag: template.etag, properties: { ...template.properties, priority: p } });
    }
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.10", firewall_type: "azure_nsg" });
    await expectRejectedBlock(r, "conflict", `[Azure NSG] no free priority in 100-109 on ${NSG} (AZURE_NSG_PRIORITY_RANGE)`, {
      target: "203.0.113.10",
      provider: "azure_nsg",
      parameters: { ip: "203.0.113.10", firewall_type: "azure_nsg", priority: null, duration_hours: 24 },
    });
    expect(apiCalls(emu, from).map((c) => [c.method, c.path])).toEqual([["GET", nsgPath()]]);
  });

  it("the long-running operation ends Failed: 503 with ARM's error (not 'cannot reach'), recorded failed, no rule left", async () => {
    const { emu, server } = live();
    emu.failNextArmOperation({ code: "InternalServerError", message: "An error occurred." });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.11", firewall_type: "azure_nsg" });
    const name = `mdr-block-${r.body.action_id}`;
    const message = `[Azure NSG] PUT securityRules/${name}: the operation failed at Azure (InternalServerError): An error occurred.`;
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "block_ip",
        status: "failed",
        target: "203.0.113.11",
        provider: "azure_nsg",
        parameters: { ip: "203.0.113.11", firewall_type: "azure_nsg", priority: null, duration_hours: 24 },
        error: message,
        completed_at: d.updated_at,
        expires_at: anyIso(),
      }),
    );
    expect(since(emu, from, { path: "/operations/" }).map((o) => o.responseBody)).toEqual([
      { status: "InProgress" },
      { status: "Failed", error: { code: "InternalServerError", message: "An error occurred.", details: [] } },
    ]);
    expect(nsgState().rules.has(name.toLowerCase())).toBe(false);
  });
});

describe("live block-ip: AWS network ACL", () => {
  it("an inbound deny entry at the lowest free inbound rule number, signed with the configured key", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "198.51.100.0/24", firewall_type: "aws_sg" });
    expectAction(
      r,
      201,
      blockRow("aws_sg", "198.51.100.0/24", {
        provider_ref: "3",
        result: { network_acl_id: ACL_A, rule_number: 3, cidr: "198.51.100.0/24" },
      }),
    );
    const calls = since(emu, from, { service: "ec2" });
    expect(calls.map(ec2)).toEqual([
      { action: "DescribeNetworkAcls", body: { Action: "DescribeNetworkAcls", Version: "2016-11-15", "NetworkAclId.1": ACL_A }, status: 200 },
      {
        action: "CreateNetworkAclEntry",
        body: {
          Action: "CreateNetworkAclEntry",
          Version: "2016-11-15",
          NetworkAclId: ACL_A,
          RuleNumber: "3",
          Protocol: "-1",
          RuleAction: "deny",
          Egress: "false",
          CidrBlock: "198.51.100.0/24",
        },
        status: 200,
      },
    ]);
    for (const c of calls) expect(c.auth).toEqual(SIGV4);
    expect(aclState().entries).toContainEqual({ ruleNumber: 3, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: "198.51.100.0/24" });
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 198.51.100.0/24 on AWS network ACL (3) until ${r.body.expires_at}`],
    ]);
  });

  it("an IPv6 address becomes an Ipv6CidrBlock /128 entry", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "2001:db8::7", firewall_type: "aws_sg" });
    expectAction(
      r,
      201,
      blockRow("aws_sg", "2001:db8::7", { provider_ref: "3", result: { network_acl_id: ACL_A, rule_number: 3, cidr: "2001:db8::7/128" } }),
    );
    expect(since(emu, from, { action: "CreateNetworkAclEntry" })[0]!.body).toMatchObject({ RuleNumber: "3", Ipv6CidrBlock: "2001:db8::7/128" });
  });

  it("an address the ACL already denies: 409 naming the rule, nothing written", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "192.0.2.0/24", firewall_type: "aws_sg" });
    await expectRejectedBlock(r, "conflict", `[AWS] 192.0.2.0/24 is already denied by rule 1 of ${ACL_A}`, {
      target: "192.0.2.0/24",
      provider: "aws_sg",
      parameters: { ip: "192.0.2.0/24", firewall_type: "aws_sg", priority: null, duration_hours: 24 },
    });
    expect(since(emu, from, { service: "ec2" }).map((c) => c.action)).toEqual(["DescribeNetworkAcls"]);
  });

  it("a full ACL (AWS's entry limit): 409 with AWS's message, recorded rejected", async () => {
    const { emu, server } = live();
    for (const n of [4, 5, 6]) aclState().entries.push({ ruleNumber: n, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: `198.18.${n}.0/24` });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "198.51.100.8", firewall_type: "aws_sg" });
    await expectRejectedBlock(
      r,
      "conflict",
      "[AWS] 400 NetworkAclEntryLimitExceeded on CreateNetworkAclEntry: The maximum number of rules per network ACL (7) has been reached.",
      {
        target: "198.51.100.8",
        provider: "aws_sg",
        parameters: { ip: "198.51.100.8", firewall_type: "aws_sg", priority: null, duration_hours: 24 },
        // The entry it was about to write, recorded before the call: after a crash it is how the
        // entry would be told from another's.
        result: { network_acl_id: ACL_A, rule_number: 3, cidr: "198.51.100.8/32" },
      },
    );
    expect(since(emu, from, { service: "ec2" }).map((c) => [c.action, c.status])).toEqual([
      ["DescribeNetworkAcls", 200],
      ["CreateNetworkAclEntry", 400],
    ]);
  });

  it("no free rule number in the range: 409 naming the range, nothing written", async () => {
    const { emu, server } = live();
    for (let n = 3; n <= 9; n++) aclState().entries.push({ ruleNumber: n, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: `198.18.${n}.0/24` });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "198.51.100.9", firewall_type: "aws_sg" });
    await expectRejectedBlock(r, "conflict", `[AWS] no free rule number in 1-9 on ${ACL_A} (AWS_NACL_RULE_RANGE)`, {
      target: "198.51.100.9",
      provider: "aws_sg",
      parameters: { ip: "198.51.100.9", firewall_type: "aws_sg", priority: null, duration_hours: 24 },
    });
    expect(since(emu, from, { service: "ec2" }).map((c) => c.action)).toEqual(["DescribeNetworkAcls"]);
  });
});

describe("live block-ip: concurrent blocks", () => {
  it("three blocks at once on one NSG, and on one ACL another writer takes a number: each gets its own priority / rule number (a lost race is retried)", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const ips = ["203.0.113.21", "203.0.113.22", "203.0.113.23"];
    // A collision for certain: the first write to arrive is held until the other two blocks have
    // written theirs, so it lands on a priority / rule number taken meanwhile.
    async function withFirstWriteHeld(match: string, written: () => number, send: () => Promise<Reply[]>): Promise<Reply[]> {
      let release = () => {};
      const held = emu.setFault({ match, until: new Promise<void>((r) => (release = r)) });
      try {
        const replies = send();
        await eventually(async () => (held.hits === 1 && written() >= 2 ? true : undefined), 15_000, `two writes besides the held ${match}`);
        release();
        return await replies;
      } finally {
        release();
      }
    }
    const nsg = await withFirstWriteHeld(
      "PUT /securityRules/",
      () => since(emu, from, { method: "PUT" }).filter((c) => c.status === 201).length,
      () => Promise.all(ips.map((ip) => post(server, BLOCK, { ip, firewall_type: "azure_nsg" }))),
    );
    // The ACL: this server writes its entries one at a time (a bulk's blocks would otherwise all
    // take the same lowest free number), so the collision comes from another writer: while the
    // first write is held, an entry appears at the number it is for.
    let release = () => {};
    const held = emu.setFault({ match: "ec2:CreateNetworkAclEntry", until: new Promise<void>((r) => (release = r)) });
    let acl: Reply[];
    try {
      const replies = Promise.all(ips.map((ip) => post(server, BLOCK, { ip, firewall_type: "aws_sg" })));
      await eventually(async () => (held.hits === 1 ? true : undefined), 15_000, "the first entry write held");
      // (room for it: the ACL here holds 7 entries; the next test starts from the seed again)
      aclState().entriesLimit = 8;
      aclState().entries.push({ ruleNumber: 3, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: "198.51.100.99/32" });
      release();
      acl = await replies;
    } finally {
      release();
    }
    expect([...nsg, ...acl].map((r) => r.status), JSON.stringify(acl.map((r) => r.body))).toEqual([201, 201, 201, 201, 201, 201]);
    expect(nsg.map((r) => r.body.result.priority).sort()).toEqual([102, 103, 104]);
    expect(acl.map((r) => r.body.result.rule_number).sort()).toEqual([4, 5, 6]);
    // In the emulator: one rule / entry per block, for its own address.
    for (const r of nsg) {
      expect(nsgState().rules.get(r.body.provider_ref.toLowerCase())?.properties).toMatchObject({
        priority: r.body.result.priority,
        sourceAddressPrefix: r.body.target,
      });
    }
    for (const r of acl) {
      expect(aclState().entries.filter((e) => e.ruleNumber === r.body.result.rule_number && !e.egress)).toEqual([
        { ruleNumber: r.body.result.rule_number, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: `${r.body.target}/32` },
      ]);
    }
    // Whatever collided (the held write at least, on each) was refused by the provider as a
    // conflict, then tried again: every write is either one of the three that took, or refused.
    const puts = since(emu, from, { method: "PUT" });
    const creates = since(emu, from, { action: "CreateNetworkAclEntry" });
    expect(puts.filter((c) => c.status === 201)).toHaveLength(3);
    expect(creates.filter((c) => c.status === 200)).toHaveLength(3);
    const refused = since(emu, from).filter((c) => c.status === 400);
    expect(refused).toHaveLength(puts.length - 3 + creates.length - 3);
    expect(refused.filter((c) => c.fault)).toHaveLength(2);
    expect(refused.filter((c) => c.method === "PUT").length).toBeGreaterThanOrEqual(1);
    expect(refused.filter((c) => c.action === "CreateNetworkAclEntry").length).toBeGreaterThanOrEqual(1);
    for (const c of refused) {
      expect(c.method === "PUT" ? (c.responseBody as Json).error.code : c.action).toBe(c.method === "PUT" ? "SecurityRuleConflict" : "CreateNetworkAclEntry");
    }
  });
});

describe("live unblock: the expiry sweep", () => {
  // Blocks are made for an hour, and their end is then moved to a second from now (PATCH): each
  // test sets its scene with the block surely in effect, however slow the machine.

  /** Moves the block's end to about a second from now; the row as it then is (without timeline). */
  async function endSoon(blockId: string): Promise<Json> {
    const { server } = live();
    await expireSoon(server, blockId);
    return withoutTimeline(await detail(server, blockId));
  }

  async function reverted(blockId: string): Promise<{ block: Json; unblock: Json }> {
    const { server } = live();
    const block = await eventually(
      async () => {
        const d = await detail(server, blockId);
        return d.reverted_by ? d : undefined;
      },
      10_000,
      `block ${blockId} to be reverted`,
    );
    return { block, unblock: await detail(server, block.reverted_by) };
  }

  function expectUnblock(made: Json, block: Json, unblock: Json, message: string, alreadyAbsent = false) {
    expect(withoutTimeline(unblock)).toEqual(
      liveAction({
        id: block.reverted_by,
        type: "unblock_ip",
        status: "succeeded",
        target: made.target,
        provider: made.provider,
        parameters: { ip: made.target, firewall_type: made.provider, block_action_id: made.id, rule: made.provider_ref },
        reason: `Expired at ${made.expires_at}`,
        requested_by: "system",
        provider_ref: made.provider_ref,
        result: { already_absent: alreadyAbsent },
        completed_at: unblock.updated_at,
        reverts: made.id,
      }),
    );
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by system"],
      ["succeeded", message],
    ]);
    expect(Date.parse(unblock.created_at)).toBeGreaterThanOrEqual(Date.parse(made.expires_at));
    expect(withoutTimeline(block)).toEqual({ ...made, active: false, reverted_by: unblock.id, updated_at: unblock.completed_at });
    expect(block.timeline.at(-1)).toEqual({ at: unblock.completed_at, status: "succeeded", message: `Reverted by ${unblock.id}` });
  }

  it("a NACL create whose answer was lost: the SDK's retry meets NetworkAclEntryAlreadyExists for our own entry; succeeded, not 409, and it expires as usual", async () => {
    const { emu, server } = live();
    // EC2 makes the entry, and the answer never arrives: the SDK sends the same create again.
    emu.setFault({ match: "ec2:CreateNetworkAclEntry", loseAnswer: true });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "198.51.100.7", firewall_type: "aws_sg", duration_hours: 1 });
    const result = { network_acl_id: ACL_A, rule_number: 3, cidr: "198.51.100.7/32" };
    expectAction(r, 201, blockRow("aws_sg", "198.51.100.7", { provider_ref: "3", result }, 1));
    expect(since(emu, from, { service: "ec2" }).map((c) => [c.action, c.status, c.answerLost ?? false])).toEqual([
      ["DescribeNetworkAcls", 200, false],
      ["CreateNetworkAclEntry", 200, true],
      ["CreateNetworkAclEntry", 400, false],
      ["DescribeNetworkAcls", 200, false],
    ]);
    expect(since(emu, from, { action: "CreateNetworkAclEntry" })[1]!.responseBody).toContain("<Code>NetworkAclEntryAlreadyExists</Code>");
    expect(aclState().entries.filter((e) => e.cidrBlock === "198.51.100.7/32")).toEqual([
      { ruleNumber: 3, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: "198.51.100.7/32" },
    ]);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 198.51.100.7 on AWS network ACL (3) until ${r.body.expires_at}`],
    ]);

    const made = await endSoon(r.body.id);
    const swept = mark(emu);
    const { block, unblock } = await reverted(r.body.id);
    expectUnblock(made, block, unblock, "Removed rule 3 from AWS network ACL");
    expect(since(emu, swept, { service: "ec2" }).map((c) => [c.action, c.body, c.status])).toEqual([
      ["DescribeNetworkAcls", { Action: "DescribeNetworkAcls", Version: "2016-11-15", "NetworkAclId.1": ACL_A }, 200],
      ["DeleteNetworkAclEntry", { Action: "DeleteNetworkAclEntry", Version: "2016-11-15", NetworkAclId: ACL_A, RuleNumber: "3", Egress: "false" }, 200],
    ]);
    expect(aclState().entries.filter((e) => e.cidrBlock === "198.51.100.7/32")).toEqual([]);
  });

  it("removes exactly what each block created (DELETE indicator, DELETE rule, DeleteNetworkAclEntry) and records unblock_ip by system", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const made = await Promise.all([
      post(server, BLOCK, { ip: "185.220.101.35", duration_hours: 1 }),
      post(server, BLOCK, { ip: "203.0.113.0/25", firewall_type: "azure_nsg", duration_hours: 1 }),
      post(server, BLOCK, { ip: "198.51.100.7", firewall_type: "aws_sg", duration_hours: 1 }),
    ]);
    expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
    const madeAt = mark(emu);
    const [d, n, a] = (await Promise.all(made.map((r) => endSoon(r.body.id)))).map((body) => ({ body })) as [{ body: Json }, { body: Json }, { body: Json }];
    const rule = `mdr-block-${n.body.id}`;

    const [dd, nn, aa] = await Promise.all([reverted(d.body.id), reverted(n.body.id), reverted(a.body.id)]);
    expectUnblock(d.body, dd.block, dd.unblock, `Removed rule ${d.body.provider_ref} from Defender for Endpoint (IP indicator)`);
    expectUnblock(n.body, nn.block, nn.unblock, `Removed rule ${rule} from Azure network security group`);
    expectUnblock(a.body, aa.block, aa.unblock, "Removed rule 3 from AWS network ACL");

    // What the sweep sent: one delete each, naming exactly the created indicator / rule / entry
    // (at Defender, after the indicator's new expiry: a Defender block's PATCH updates it there).
    expect(apiCalls(emu, madeAt, { service: "defender" }).map((c) => [c.method, c.path, c.status])).toEqual([
      ["GET", "/api/indicators", 200],
      ["POST", "/api/indicators", 200],
      ["DELETE", `/api/indicators/${d.body.provider_ref}`, 204],
    ]);
    expect(apiCalls(emu, madeAt, { service: "defender" }).at(-1)).toEqual(
      { method: "DELETE", path: `/api/indicators/${d.body.provider_ref}`, query: {}, body: undefined, status: 204 },
    );
    const arm = apiCalls(emu, madeAt, { service: "arm" });
    expect(arm.slice(0, 2)).toEqual([
      { method: "GET", path: nsgPath(SUBSCRIPTION_A, rule), query: API_VERSION, body: undefined, status: 200 },
      { method: "DELETE", path: nsgPath(SUBSCRIPTION_A, rule), query: API_VERSION, body: undefined, status: 202 },
    ]);
    // Then the operation is polled until it is done.
    expect(arm.slice(2).every((c) => c.method === "GET" && /\/operation(s|Results)\//.test(c.path))).toBe(true);
    expect(arm.length).toBeGreaterThan(2);
    expect(since(emu, madeAt, { service: "ec2" }).map(ec2)).toEqual([
      { action: "DescribeNetworkAcls", body: { Action: "DescribeNetworkAcls", Version: "2016-11-15", "NetworkAclId.1": ACL_A }, status: 200 },
      {
        action: "DeleteNetworkAclEntry",
        body: { Action: "DeleteNetworkAclEntry", Version: "2016-11-15", NetworkAclId: ACL_A, RuleNumber: "3", Egress: "false" },
        status: 200,
      },
    ]);

    // Gone, and nothing else touched.
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
    expect([...nsgState().rules.keys()]).toEqual(["allow-https-in", "deny-scanner", "allow-bastion", "deny-smtp-out"]);
    expect(aclState().entries.map((e) => [e.ruleNumber, e.egress])).toEqual([
      [100, false],
      [100, true],
      [1, false],
      [2, false],
      [3, true],
      [32767, true],
      [32767, false],
    ]);
    // No more calls for them once reverted: a later block, ended by a later sweep, is the last delete.
    const marker = await post(server, BLOCK, { ip: "198.51.100.8", firewall_type: "aws_sg", duration_hours: 1 });
    expect(marker.status).toBe(201);
    await endSoon(marker.body.id);
    await reverted(marker.body.id);
    const deleted = apiCalls(emu, madeAt)
      .filter((c) => c.method === "DELETE" || (c.body as { Action?: string } | undefined)?.Action === "DeleteNetworkAclEntry")
      .map((c) => (c.method === "DELETE" ? c.path : `ACL rule ${(c.body as { RuleNumber: string }).RuleNumber}`));
    expect(deleted).toHaveLength(4);
    expect(deleted.slice(0, 3).sort()).toEqual([`/api/indicators/${d.body.provider_ref}`, nsgPath(SUBSCRIPTION_A, rule), "ACL rule 3"].sort());
    expect(deleted[3]).toBe(`ACL rule ${marker.body.provider_ref}`);
    expect(since(emu, from, { service: "entra" })).toEqual([]);
  });

  it("a rule number since reused for another address: the unblock is refused, the entry left in place, the block stays active; retries back off", async () => {
    const { emu, server } = live();
    const made = await post(server, BLOCK, { ip: "198.51.100.13", firewall_type: "aws_sg", duration_hours: 1 });
    expect(made.status).toBe(201);
    const entry = aclState().entries.find((e) => e.ruleNumber === 3 && !e.egress)!;
    entry.cidrBlock = "198.51.100.14/32";
    const from = mark(emu);
    const r = { body: await endSoon(made.body.id) };
    const message = `[AWS] rule 3 of ${ACL_A} no longer denies 198.51.100.13/32; left in place`;

    // Sweeps run every 250 ms; attempts that fail are retried after 250, 500, 1000... ms, not every sweep.
    const attempts: Json[] = await eventually(
      async () => {
        const list = (await allActions(server, "type=unblock_ip")).filter((a: Json) => a.reverts === r.body.id);
        const done = list.reverse().filter((a: Json) => a.status !== "pending");
        return done.length >= 3 ? done.slice(0, 3) : undefined;
      },
      10_000,
      "three unblock attempts",
    );
    const first = await detail(server, attempts[0].id);
    expect(withoutTimeline(first)).toEqual(
      liveAction({
        id: attempts[0].id,
        type: "unblock_ip",
        status: "rejected",
        target: "198.51.100.13",
        provider: "aws_sg",
        parameters: { ip: "198.51.100.13", firewall_type: "aws_sg", block_action_id: r.body.id, rule: "3" },
        reason: `Expired at ${r.body.expires_at}`,
        requested_by: "system",
        error: message,
        completed_at: first.updated_at,
        reverts: r.body.id,
      }),
    );
    expect(steps(first)).toEqual([
      ["pending", "Requested by system"],
      ["rejected", message],
    ]);
    for (const a of attempts) expect(a).toMatchObject({ status: "rejected", error: message });
    const at = attempts.map((a) => Date.parse(a.created_at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(250);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(500);

    expect(withoutTimeline(await detail(server, r.body.id))).toEqual(r.body);
    expect(entry).toEqual({ ruleNumber: 3, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: "198.51.100.14/32" });
    expect(since(emu, from, { action: "DeleteNetworkAclEntry" })).toEqual([]);

    // Once the entry is ours again, a later attempt ends the block.
    entry.cidrBlock = "198.51.100.13/32";
    const { block, unblock } = await reverted(r.body.id);
    expect(unblock).toMatchObject({ status: "succeeded", requested_by: "system", result: { already_absent: false } });
    expect(block).toMatchObject({ active: false, reverted_by: unblock.id });
    expect(since(emu, from, { action: "DeleteNetworkAclEntry" }).map((c) => c.body)).toEqual([
      { Action: "DeleteNetworkAclEntry", Version: "2016-11-15", NetworkAclId: ACL_A, RuleNumber: "3", Egress: "false" },
    ]);
  });

  it("a rule someone already removed: the unblock verifies it gone (already_absent) without deleting anything", async () => {
    const { emu, server } = live();
    const made = await post(server, BLOCK, { ip: "198.51.100.12", firewall_type: "aws_sg", duration_hours: 1 });
    expect(made.status).toBe(201);
    const entries = aclState().entries;
    entries.splice(
      entries.findIndex((e) => e.ruleNumber === 3 && !e.egress),
      1,
    );
    const from = mark(emu);
    const r = { body: await endSoon(made.body.id) };
    const { block, unblock } = await reverted(r.body.id);
    expectUnblock(r.body, block, unblock, "AWS network ACL no longer had rule 3; the block is verified gone", true);
    expect(since(emu, from, { service: "ec2" }).map((c) => c.action)).toEqual(["DescribeNetworkAcls"]);
  });
});
