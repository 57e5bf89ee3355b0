// Bulk blocks at the firewalls' real limits, the live adapters in-process against the emulator:
// an Azure NSG takes many addresses per rule (`sourceAddressPrefixes`), undoes one without lifting
// the others, and says how many more it takes; an AWS network ACL says how many entries it still
// holds. The exact requests ARM and EC2 received, and the state they were left in.
import { emulatorEnv } from "../support/emulator-env";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { createLiveProviders } from "@/lib/mdr/providers/live";
import { createSimulatedProviders, SIM_NACL, SIM_TENANT_ID } from "@/lib/mdr/providers/simulation";
import type { BlockRequest, FirewallProvider, Providers } from "@/lib/mdr/providers/types";
import { certsFromEnv, processTrusts } from "../emulator/certs";
import { ACL_A, AWS_KEY, CLIENT_A, exampleSeed, NSG, RESOURCE_GROUP, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import { type Emulator, startEmulator } from "../emulator/server";

let emu: Emulator;
beforeAll(async () => {
  const certs = certsFromEnv();
  if (!certs || !processTrusts(certs)) {
    throw new Error("this worker does not trust the emulator certificate: tests/emulator/global-setup.ts must be the vitest globalSetup");
  }
  // Operations end at their first poll, so a rule write is three requests and no wait.
  emu = await startEmulator({ ...exampleSeed(), certs, arm: { inProgressPolls: 0 } });
});
afterAll(() => emu?.close());
beforeEach(() => emu.reset());

function providers(over: Record<string, string> = {}): Providers {
  const cfg = parseConfig({
    ...emulatorEnv(emu.url),
    AZURE_SUBSCRIPTION_ID: SUBSCRIPTION_A,
    AZURE_NSG_RESOURCE_GROUP: RESOURCE_GROUP,
    AZURE_NSG_NAME: NSG,
    AWS_REGION: "eu-west-1",
    AWS_NETWORK_ACL_ID: ACL_A,
    AWS_ENDPOINT_URL_EC2: emu.ec2Url,
    ...over,
  });
  cfg.live!.tenants[0]!.awsNacl!.credentials = { ...AWS_KEY };
  return createLiveProviders(cfg);
}

const nsg = () => emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG);
const RULES = `/subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}/securityRules/`;
const ruleCalls = (from = 0) =>
  emu.requests.filter((r) => r.seq > from && r.service === "arm" && r.path.startsWith(RULES)).map((r) => `${r.method} ${r.path.slice(RULES.length)} ${r.status}`);
const last = () => emu.requests.at(-1)?.seq ?? 0;

/** The n-th test address (n < 65,536): 100.64.x.y. */
const v4 = (n: number) => `100.64.${n >> 8}.${n & 255}`;
const v6 = (n: number) => `2001:db8::${n.toString(16)}`;
const actionId = (n: number) => `act_${String(n).padStart(5, "0")}`;

/** Block requests for `addresses`, recording what each `planned` was told and how many rule PUTs ARM had seen by then. */
function requests(addresses: string[], first = 0) {
  const planned: { address: string; details: Record<string, string | number>; putsBefore: number }[] = [];
  const list: BlockRequest[] = addresses.map((address, i) => ({
    actionId: actionId(first + i),
    address,
    expiresAt: new Date(Date.now() + 3600_000),
    description: `MDR ${actionId(first + i)} by user:alice: threat intel list`,
    planned: (details) => planned.push({ address, details, putsBefore: emu.find({ service: "arm", method: "PUT" }).length }),
  }));
  return { list, planned };
}

/** The rules MDR wrote: name -> [priority, source prefixes]. */
function bulkRules(): Record<string, [number, string[]]> {
  return Object.fromEntries(
    [...nsg().rules.values()]
      .filter((r) => r.name.startsWith("mdr-"))
      .map((r) => [r.name, [r.properties.priority, r.properties.sourceAddressPrefixes.length ? r.properties.sourceAddressPrefixes : [r.properties.sourceAddressPrefix!]]]),
  );
}

/** Adds a rule to the emulated NSG as it stands (another team's, or an earlier bulk's). */
function seedRule(name: string, priority: number, prefixes: string[]): void {
  nsg().rules.set(name.toLowerCase(), {
    name,
    etag: `W/"seed-${name}"`,
    properties: {
      protocol: "*",
      access: "Deny",
      direction: "Inbound",
      priority,
      sourcePortRange: "*",
      destinationPortRange: "*",
      destinationAddressPrefix: "*",
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: prefixes,
      destinationAddressPrefixes: [],
      provisioningState: "Succeeded",
    },
  });
}

describe("Azure NSG: a bulk of addresses in few rules", () => {
  it("500 addresses: one rule PUT holding all 500 (sourceAddressPrefixes), each told its rule before it is written", async () => {
    const fw = providers().firewalls.azure_nsg;
    const addresses = Array.from({ length: 500 }, (_, i) => v4(i));
    const { list, planned } = requests(addresses);
    const outcomes = await fw.blockMany!(TENANT_A, list);

    const name = "mdr-bulk-act_00000-1";
    expect(outcomes).toEqual(
      addresses.map((address) => ({ ok: true, value: { ref: name, details: { rule_name: name, priority: 100, nsg: NSG, address } } })),
    );
    expect(planned).toEqual(addresses.map((address) => ({ address, details: { rule_name: name, priority: 100, nsg: NSG, address }, putsBefore: 0 })));
    // One GET of the NSG (priorities and limits), one PUT, its operation's poll and the final
    // read of the rule (the long-running operation's protocol).
    expect(emu.find({ service: "arm" }).map((r) => `${r.method} ${r.path.replace(/.*\/(networkSecurityGroups|operations)\//, "$1/")} ${r.status}`)).toEqual([
      `GET networkSecurityGroups/${NSG} 200`,
      `PUT networkSecurityGroups/${NSG}/securityRules/${name} 201`,
      expect.stringMatching(/^GET operations\/[0-9a-f-]{36} 200$/),
      `GET networkSecurityGroups/${NSG}/securityRules/${name} 200`,
    ]);
    const put = emu.find({ service: "arm", method: "PUT" })[0]!;
    expect(put.body).toEqual({
      properties: {
        access: "Deny",
        direction: "Inbound",
        priority: 100,
        protocol: "*",
        sourceAddressPrefixes: addresses,
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
        description: "MDR act_00000 and 499 more by user:alice: threat intel list",
      },
    });
    expect(bulkRules()).toEqual({ [name]: [100, addresses] });
    expect(await fw.findBlock(TENANT_A, actionId(7), v4(7), planned[7]!.details)).toEqual({
      ref: name,
      details: { rule_name: name, priority: 100, nsg: NSG, address: v4(7) },
    });
  });

  it("undoing one of the 500 rewrites its rule without it (If-Match its etag): the other 499 stay blocked", async () => {
    const fw = providers().firewalls.azure_nsg;
    const addresses = Array.from({ length: 500 }, (_, i) => v4(i));
    await fw.blockMany!(TENANT_A, requests(addresses).list);
    const name = "mdr-bulk-act_00000-1";
    const etag = nsg().rules.get(name)!.etag;
    const from = last();

    expect(await fw.unblock(TENANT_A, name, v4(42))).toEqual({ alreadyAbsent: false });
    expect(ruleCalls(from)).toEqual([`GET ${name} 200`, `PUT ${name} 200`, `GET ${name} 200`]);
    const put = emu.find({ service: "arm", method: "PUT" }).at(-1)!;
    expect(put.headers["if-match"]).toBe(etag);
    expect((put.body as { properties: { sourceAddressPrefixes: string[] } }).properties.sourceAddressPrefixes).toEqual(
      addresses.filter((a) => a !== v4(42)),
    );
    expect(bulkRules()).toEqual({ [name]: [100, addresses.filter((a) => a !== v4(42))] });
    // Gone from the rule: a second undo finds nothing to remove, and writes nothing.
    const again = last();
    expect(await fw.unblock(TENANT_A, name, v4(42))).toEqual({ alreadyAbsent: true });
    expect(ruleCalls(again)).toEqual([`GET ${name} 200`]);
    expect(await fw.findBlock(TENANT_A, actionId(42), v4(42), { rule_name: name })).toBeNull();
  });

  it("1,000 addresses of both families: 3 rules (a family each, 500 at most); undoing 100 rewrites only the rules holding them", async () => {
    const fw = providers().firewalls.azure_nsg;
    const addresses = [...Array.from({ length: 900 }, (_, i) => v4(i)), ...Array.from({ length: 100 }, (_, i) => v6(i + 1))];
    const outcomes = await fw.blockMany!(TENANT_A, requests(addresses).list);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(ruleCalls()).toEqual([
      "PUT mdr-bulk-act_00000-1 201",
      "GET mdr-bulk-act_00000-1 200",
      "PUT mdr-bulk-act_00000-2 201",
      "GET mdr-bulk-act_00000-2 200",
      "PUT mdr-bulk-act_00000-3 201",
      "GET mdr-bulk-act_00000-3 200",
    ]);
    const rules = bulkRules();
    expect(rules).toEqual({
      "mdr-bulk-act_00000-1": [100, addresses.slice(0, 500)],
      "mdr-bulk-act_00000-2": [101, addresses.slice(500, 900)],
      "mdr-bulk-act_00000-3": [102, addresses.slice(900)],
    });
    const ref = (i: number) => (outcomes[i] as { value: { ref: string } }).value.ref;

    // 100 of the first rule: one read and one rewrite of it, the others untouched.
    const from = last();
    const firstRule = Array.from({ length: 100 }, (_, i) => ({ ref: ref(i * 3), address: addresses[i * 3]! }));
    expect(await fw.unblockMany!(TENANT_A, firstRule)).toEqual(firstRule.map(() => ({ ok: true, value: { alreadyAbsent: false } })));
    expect(ruleCalls(from)).toEqual(["GET mdr-bulk-act_00000-1 200", "PUT mdr-bulk-act_00000-1 200", "GET mdr-bulk-act_00000-1 200"]);
    const removed = new Set(firstRule.map((x) => x.address));
    expect(bulkRules()).toEqual({ ...rules, "mdr-bulk-act_00000-1": [100, addresses.slice(0, 500).filter((a) => !removed.has(a))] });

    // 50 of the second rule and all 100 IPv6 of the third: one rewrite, and one delete (its last address).
    const from2 = last();
    const mixed = [
      ...Array.from({ length: 50 }, (_, i) => ({ ref: ref(500 + i), address: addresses[500 + i]! })),
      ...Array.from({ length: 100 }, (_, i) => ({ ref: ref(900 + i), address: addresses[900 + i]! })),
    ];
    expect(await fw.unblockMany!(TENANT_A, mixed)).toEqual(mixed.map(() => ({ ok: true, value: { alreadyAbsent: false } })));
    expect(ruleCalls(from2)).toEqual([
      "GET mdr-bulk-act_00000-2 200",
      "PUT mdr-bulk-act_00000-2 200",
      "GET mdr-bulk-act_00000-2 200",
      "GET mdr-bulk-act_00000-3 200",
      "DELETE mdr-bulk-act_00000-3 202",
    ]);
    expect(Object.keys(bulkRules())).toEqual(["mdr-bulk-act_00000-1", "mdr-bulk-act_00000-2"]);
    expect(bulkRules()["mdr-bulk-act_00000-2"]).toEqual([101, addresses.slice(550, 900)]);
  });

  it("two undos of one shared rule at once in one process: both take effect", async () => {
    const fw = providers().firewalls.azure_nsg;
    const addresses = Array.from({ length: 10 }, (_, i) => v4(i));
    await fw.blockMany!(TENANT_A, requests(addresses).list);
    const name = "mdr-bulk-act_00000-1";
    expect(await Promise.all([fw.unblock(TENANT_A, name, v4(3)), fw.unblock(TENANT_A, name, v4(6))])).toEqual([
      { alreadyAbsent: false },
      { alreadyAbsent: false },
    ]);
    expect(bulkRules()).toEqual({ [name]: [100, addresses.filter((a) => a !== v4(3) && a !== v4(6))] });
  });

  it("two undos of one shared rule from two servers, both reading it before either writes: the second write is refused (412) and redone", async () => {
    const [a, b] = [providers().firewalls.azure_nsg, providers().firewalls.azure_nsg];
    const addresses = Array.from({ length: 10 }, (_, i) => v4(i));
    await a.blockMany!(TENANT_A, requests(addresses).list);
    const name = "mdr-bulk-act_00000-1";
    // Both GETs of the rule are held until both arrived: each then writes from the same read.
    let release!: () => void;
    const held = emu.setFault({ match: `GET ${RULES}${name}`, times: 2, until: new Promise<void>((r) => (release = r)) });
    const from = last();
    const both = Promise.all([a.unblock(TENANT_A, name, v4(3)), b.unblock(TENANT_A, name, v4(6))]);
    for (let i = 0; held.hits < 2 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(held.hits).toBe(2);
    release();
    expect(await both).toEqual([{ alreadyAbsent: false }, { alreadyAbsent: false }]);
    expect(bulkRules()).toEqual({ [name]: [100, addresses.filter((a) => a !== v4(3) && a !== v4(6))] });
    // Two reads held, one read again after the 412; each write's final read (the operation's protocol).
    expect(ruleCalls(from).sort()).toEqual([...Array(5).fill(`GET ${name} 200`), `PUT ${name} 200`, `PUT ${name} 200`, `PUT ${name} 412`]);
  });

  it("a name an earlier try of the batch left in the NSG is not written over: the next number is taken", async () => {
    const fw = providers().firewalls.azure_nsg;
    seedRule("mdr-bulk-act_00000-1", 150, ["192.0.2.1"]);
    const outcomes = await fw.blockMany!(TENANT_A, requests([v4(1), v4(2)]).list);
    expect(outcomes.map((o) => o.ok && o.value.ref)).toEqual(["mdr-bulk-act_00000-2", "mdr-bulk-act_00000-2"]);
    expect(bulkRules()).toEqual({ "mdr-bulk-act_00000-1": [150, ["192.0.2.1"]], "mdr-bulk-act_00000-2": [100, [v4(1), v4(2)]] });
  });

  it("what is not an address, or is listed twice, fails alone; the rest are blocked", async () => {
    const fw = providers().firewalls.azure_nsg;
    const outcomes = await fw.blockMany!(TENANT_A, requests([v4(1), "not-an-ip", v4(1), v4(2)]).list);
    expect(outcomes.map((o) => (o.ok ? o.value.ref : `${o.error.kind}: ${o.error.message}`))).toEqual([
      "mdr-bulk-act_00000-1",
      "bad_request: [Azure NSG] 'not-an-ip' is not an IP address or CIDR range",
      "conflict: [Azure NSG] 100.64.0.1 is listed twice in this batch (with act_00000)",
      "mdr-bulk-act_00000-1",
    ]);
    expect(bulkRules()).toEqual({ "mdr-bulk-act_00000-1": [100, [v4(1), v4(2)]] });
  });
});

describe("Azure NSG: capacity, and a list that does not fit refused whole", () => {
  it("a half-full NSG (2,000 of its 4,000 source prefixes in 4 rules): 2,000 more fit", async () => {
    for (let r = 0; r < 4; r++) seedRule(`deny-list-${r}`, 100 + r, Array.from({ length: 500 }, (_, i) => v4(1000 + r * 500 + i)));
    const fw = providers().firewalls.azure_nsg;
    expect(await fw.capacity!(TENANT_A)).toEqual({
      free: 2000,
      detail:
        `2000 more addresses fit in ${NSG}: 2000 of its 4000 source prefixes and 995 of its 1000 rules are free, ` +
        "and 96 priorities of 100-199 (AZURE_NSG_PRIORITY_RANGE), at 500 addresses a rule",
    });
    expect(emu.find({ service: "arm" }).map((r) => r.method)).toEqual(["GET"]);
  });

  it("bounded by the free priorities of the range: 2 free, 1,000 addresses", async () => {
    seedRule("deny-other", 101, ["192.0.2.1"]);
    const fw = providers({ AZURE_NSG_PRIORITY_RANGE: "100-102" }).firewalls.azure_nsg;
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 1000 });
    // Three rules (two families, one of them over 500) cannot fit in two priorities: nothing is written.
    const list = [...Array.from({ length: 501 }, (_, i) => v4(i)), v6(1)];
    await expect(fw.blockMany!(TENANT_A, requests(list).list)).rejects.toThrow(
      `[Azure NSG] 502 addresses in 3 rules do not fit in ${NSG}: 2 priorities of 100-102 are free (AZURE_NSG_PRIORITY_RANGE); nothing was written`,
    );
    expect(emu.find({ service: "arm", method: "PUT" })).toEqual([]);
  });

  it("bounded by the NSG's 4,000 prefixes: with 3,600 held, 500 are refused whole, saying 400 fit", async () => {
    for (let r = 0; r < 8; r++) seedRule(`deny-list-${r}`, 110 + r, Array.from({ length: r < 7 ? 500 : 100 }, (_, i) => v4(2000 + r * 500 + i)));
    const fw = providers().firewalls.azure_nsg;
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 400 });
    const { list, planned } = requests(Array.from({ length: 500 }, (_, i) => v4(i)));
    await expect(fw.blockMany!(TENANT_A, list)).rejects.toThrow(
      `[Azure NSG] 500 addresses in 1 rule do not fit in ${NSG}: it holds 3600 of its 4000 source prefixes, 400 more fit; nothing was written`,
    );
    expect(planned).toEqual([]);
    expect(emu.find({ service: "arm", method: "PUT" })).toEqual([]);
  });

  it("ARM enforces the limit too: a single block on an NSG naming 4,000 source prefixes is its 400", async () => {
    for (let r = 0; r < 8; r++) seedRule(`deny-list-${r}`, 110 + r, Array.from({ length: 500 }, (_, i) => v4(2000 + r * 500 + i)));
    const fw = providers().firewalls.azure_nsg;
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 0 });
    await expect(fw.block(TENANT_A, requests([v4(1)]).list[0]!)).rejects.toThrow(
      `[Azure NSG] 400 SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached on PUT securityRules/mdr-block-act_00000: Network security group /subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG} has 4001 SourceAddressPrefixes. A security group cannot have more than 4000 SourceAddressPrefixes as per the limit MaxSecurityRuleAddressesOrPor`,
    );
  });

  it("bounded by the NSG's 1,000 rules: with 999, one rule of 500 more", async () => {
    for (let r = 0; r < 998; r++) nsg().rules.set(`allow-${r}`, { ...structuredClone(nsg().rules.get("allow-https-in")!), name: `allow-${r}` });
    const fw = providers().firewalls.azure_nsg;
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 500 });
  });
});

describe("the emulated ARM holds to the NSG's limits and to If-Match", () => {
  const put = async (name: string, properties: Record<string, unknown>, headers: Record<string, string> = {}, method = "PUT") => {
    const token = emu.issueToken({ tenantId: TENANT_A, clientId: CLIENT_A.clientId, audience: "https://management.azure.com" });
    const res = await fetch(`${emu.url}${RULES}${name}?api-version=2025-05-01`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      ...(method === "PUT" ? { body: JSON.stringify({ properties }) } : {}),
    });
    return { status: res.status, body: res.status === 202 || res.status === 204 ? null : ((await res.json()) as unknown) };
  };
  const deny = (prefixes: string[]) => ({
    access: "Deny",
    direction: "Inbound",
    priority: 150,
    protocol: "*",
    sourceAddressPrefixes: prefixes,
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "*",
  });

  it("one address family per rule: IPv4 and IPv6 together are its 400", async () => {
    expect(await put("mixed", deny(["192.0.2.1", "2001:db8::1"]))).toEqual({
      status: 400,
      body: {
        error: {
          code: "ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies",
          message: `Security rule ${RULES}mixed contains IP addresses or prefixes in SourceAddressPrefixes that belong to different address families. All IP addresses or prefixes in the resource should belong to the same address family.`,
          details: [],
        },
      },
    });
    expect(nsg().rules.has("mixed")).toBe(false);
  });

  it("1,000 rules: the 1,001st is SecurityRuleCountLimitReached; rewriting one of the 1,000 is not", async () => {
    for (let r = 0; r < 999; r++) nsg().rules.set(`allow-${r}`, { ...structuredClone(nsg().rules.get("allow-https-in")!), name: `allow-${r}` });
    expect(await put("one-more", deny(["192.0.2.1"]))).toEqual({
      status: 400,
      body: { error: { code: "SecurityRuleCountLimitReached", message: "A security group cannot have more than 1000 security rules.", details: [] } },
    });
    expect((await put("allow-7", { ...deny(["192.0.2.1"]), priority: 160 })).status).toBe(200);
  });

  it("If-Match: a stale etag is 412 and writes nothing; the current one writes", async () => {
    seedRule("shared", 150, ["192.0.2.1", "192.0.2.2"]);
    const stale = `W/"00000000-0000-0000-0000-000000000000"`;
    const refused = await put("shared", deny(["192.0.2.1"]), { "If-Match": stale });
    expect(refused).toMatchObject({ status: 412, body: { error: { code: "PreconditionFailed" } } });
    expect((await put("shared", {}, { "If-Match": stale }, "DELETE")).status).toBe(412);
    expect(nsg().rules.get("shared")!.properties.sourceAddressPrefixes).toEqual(["192.0.2.1", "192.0.2.2"]);
    expect((await put("shared", deny(["192.0.2.1"]), { "If-Match": `W/"seed-shared"` })).status).toBe(200);
    expect(nsg().rules.get("shared")!.properties.sourceAddressPrefixes).toEqual(["192.0.2.1"]);
    expect(nsg().rules.get("shared")!.etag).not.toBe(`W/"seed-shared"`);
  });
});

describe("AWS network ACL: capacity", () => {
  /** Fills ACL_A's inbound IPv4 side to `n` entries, the seeded allow and the default deny included. */
  function fill(n: number) {
    const acl = emu.acl(ACL_A);
    const have = acl.entries.filter((e) => !e.egress && e.cidrBlock !== undefined).length;
    for (let k = 0; k < n - have; k++) acl.entries.push({ ruleNumber: 10 + k, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: `198.18.${k}.0/24` });
  }

  it("17 inbound entries of the default quota of 20: 3 free, and a 4th entry is EC2's NetworkAclEntryLimitExceeded", async () => {
    fill(17);
    const fw = providers().firewalls.aws_sg;
    expect(await fw.capacity!(TENANT_A)).toEqual({
      free: 3,
      detail:
        `3 more inbound entries fit in ${ACL_A}: it holds 17 of its 20 inbound IPv4 entries (the default deny included; ` +
        "AWS_NACL_RULES_QUOTA) and 0 of its 20 IPv6 ones, and 84 rule numbers of 1-99 are free (AWS_NACL_RULE_RANGE)",
    });
    expect(emu.find({ service: "ec2" }).map((r) => r.action)).toEqual(["DescribeNetworkAcls"]);
    // The number is the one EC2 holds to.
    for (let n = 1; n <= 3; n++) await fw.block(TENANT_A, requests([`203.0.113.${n}`]).list[0]!);
    await expect(fw.block(TENANT_A, requests(["203.0.113.4"]).list[0]!)).rejects.toThrow(
      "[AWS] 400 NetworkAclEntryLimitExceeded on CreateNetworkAclEntry: The maximum number of rules per network ACL (20) has been reached.",
    );
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 0 });
  });

  it("the quota raised to 40 (AWS_NACL_RULES_QUOTA; the ACL's own in the emulator): 23 free", async () => {
    fill(17);
    emu.acl(ACL_A).entriesLimit = 40;
    expect(await providers({ AWS_NACL_RULES_QUOTA: "40" }).firewalls.aws_sg.capacity!(TENANT_A)).toMatchObject({ free: 23 });
  });

  it("bounded by the free rule numbers of the configured range", async () => {
    fill(5);
    const fw = providers({ AWS_NACL_RULE_RANGE: "10-14" }).firewalls.aws_sg;
    // 10-12 are taken by fill's entries: 13 and 14 are free.
    expect(await fw.capacity!(TENANT_A)).toMatchObject({ free: 2 });
  });
});

describe("the simulated doubles behave alike", () => {
  const sim = () =>
    createSimulatedProviders({
      failureRate: 0,
      faults: "",
      stepMs: 1000,
      nsgPriorityRange: { min: 100, max: 199 },
      naclRuleRange: { min: 1, max: 99 },
      random: () => 0.5,
    });
  const T = SIM_TENANT_ID;
  const simRequests = (addresses: string[]) => requests(addresses).list.map((r) => ({ ...r, planned: undefined }));

  it("NSG: 500 addresses in one rule; undo one, then 100 at once; capacity counts what it holds", async () => {
    const fw: FirewallProvider = sim().firewalls.azure_nsg;
    // The seeded rules take 100 and 102: the bulk gets 101.
    const addresses = Array.from({ length: 500 }, (_, i) => v4(i));
    const outcomes = await fw.blockMany!(T, simRequests(addresses));
    const name = "mdr-bulk-act_00000-1";
    expect(outcomes).toEqual(
      addresses.map((address) => ({ ok: true, value: { ref: name, details: { rule_name: name, priority: 101, nsg: "nsg-prod-eastus", address } } })),
    );
    expect(await fw.capacity!(T)).toEqual({
      free: 3499,
      detail:
        "3499 more addresses fit in nsg-prod-eastus: 3499 of its 4000 source prefixes and 996 of its 1000 rules are free, " +
        "and 97 priorities of 100-199 (AZURE_NSG_PRIORITY_RANGE), at 500 addresses a rule",
    });
    expect(await fw.unblock(T, name, v4(1))).toEqual({ alreadyAbsent: false });
    expect(await fw.findBlock(T, actionId(1), v4(1), { rule_name: name })).toBeNull();
    expect(await fw.findBlock(T, actionId(2), v4(2), { rule_name: name })).toEqual({
      ref: name,
      details: { rule_name: name, priority: 101, nsg: "nsg-prod-eastus", address: v4(2) },
    });
    const items = Array.from({ length: 100 }, (_, i) => ({ ref: name, address: v4(i) }));
    expect((await fw.unblockMany!(T, items)).map((o) => o.ok && o.value.alreadyAbsent)).toEqual([false, true, ...Array(98).fill(false)]);
    expect(await fw.capacity!(T)).toMatchObject({ free: 3599 });
    for (let k = 1; k <= 3; k++) {
      await expect(fw.blockMany!(T, simRequests(Array.from({ length: 1000 }, (_, i) => v4(k * 1000 + i))))).resolves.toHaveLength(1000);
    }
    await expect(fw.blockMany!(T, simRequests(Array.from({ length: 1000 }, (_, i) => v4(9000 + i))))).rejects.toThrow(
      "[Azure NSG] 1000 addresses in 2 rules do not fit in nsg-prod-eastus: it holds 3401 of its 4000 source prefixes, 599 more fit; nothing was written",
    );
  });

  it("ACL: 20 entries a family, the default deny included: the seed's 2 IPv4 entries leave 17", async () => {
    const fw = sim().firewalls.aws_sg;
    expect(await fw.capacity!(T)).toEqual({
      free: 17,
      detail:
        `17 more inbound entries fit in ${SIM_NACL.networkAclId}: it holds 3 of its 20 inbound IPv4 entries (the default deny included; ` +
        "AWS_NACL_RULES_QUOTA) and 2 of its 20 IPv6 ones, and 98 rule numbers of 1-99 are free (AWS_NACL_RULE_RANGE)",
    });
    for (let n = 1; n <= 17; n++) await fw.block(T, simRequests([`203.0.113.${n}`])[0]!);
    expect(await fw.capacity!(T)).toMatchObject({ free: 0 });
    await expect(fw.block(T, simRequests(["203.0.113.99"])[0]!)).rejects.toThrow("NetworkAclEntryLimitExceeded");
  });
});

