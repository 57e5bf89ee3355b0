import { describe, expect, it } from "vitest";
import {
  createSimulatedProviders,
  SIM_DEVICES,
  SIM_MAILBOXES,
  SIM_NACL,
  SIM_PHISHING_MESSAGE,
  SIM_TENANT_ID,
  SIM_USERS,
  type SimulationOptions,
  simFleetDevice,
} from "@/lib/mdr/providers/simulation";
import { type BlockRequest, ProviderError } from "@/lib/mdr/providers/types";

/** The simulated firewalls find a rule by its reference alone; the address is for the live ones. */
const BLOCKED = "185.220.101.34";

const T = SIM_TENANT_ID;
const T0 = Date.parse("2025-03-14T09:00:00.000Z");
const STEP = 1000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function setup(overrides: Partial<SimulationOptions> = {}) {
  let now = T0;
  const clock = {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
  const p = createSimulatedProviders({
    failureRate: 0,
    faults: "",
    stepMs: STEP,
    nsgPriorityRange: { min: 100, max: 199 },
    naclRuleRange: { min: 1, max: 99 },
    now: clock.now,
    random: () => 0.5,
    ...overrides,
  });
  return { p, clock };
}

/** The rejection of `promise` as a plain object, so a test can assert all of it at once. */
async function failure(promise: Promise<unknown>) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return {
    service: err.service,
    kind: err.kind,
    httpStatus: err.httpStatus,
    message: err.message,
    retryAfterSeconds: err.retryAfterSeconds,
  };
}

const device = (name: string) => {
  const d = SIM_DEVICES.find((x) => x.computerDnsName === name);
  if (!d) throw new Error(`no seeded device ${name}`);
  return d;
};
const minutesAgo = (m: number) => new Date(T0 - m * 60_000).toISOString();
const iso = (ms: number) => new Date(ms).toISOString();

const block = (address: string, extra: Partial<BlockRequest> = {}): BlockRequest => ({
  actionId: `act_${Math.random().toString(36).slice(2, 12)}`,
  address,
  expiresAt: new Date(T0 + 24 * 3600_000),
  description: "MDR block",
  ...extra,
});

describe("seed", () => {
  it("has realistic, unique Defender machine ids and one inactive device", () => {
    expect(SIM_DEVICES.length).toBeGreaterThanOrEqual(12);
    for (const d of SIM_DEVICES) expect(d.id).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(SIM_DEVICES.map((d) => d.id)).size).toBe(SIM_DEVICES.length);
    expect(SIM_DEVICES.filter((d) => d.healthStatus === "Inactive")).toHaveLength(1);
    expect(SIM_DEVICES.filter((d) => d.computerDnsName.startsWith("ws-finance-07."))).toHaveLength(2);
  });

  it("has one disabled user and mail in every mailbox", () => {
    expect(SIM_USERS.filter((u) => !u.accountEnabled).map((u) => u.userPrincipalName)).toEqual([
      "former.employee@contoso.com",
    ]);
    for (const u of SIM_USERS) {
      const box = SIM_MAILBOXES[u.userPrincipalName];
      expect(box?.length).toBeGreaterThanOrEqual(3);
      expect(box?.length).toBeLessThanOrEqual(5);
    }
    const ids = Object.values(SIM_MAILBOXES).flatMap((box) => box.map((m) => m.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^AAMk[A-Za-z0-9_-]{100,}=$/);
  });
});

describe("createSimulatedProviders", () => {
  it("describes the simulated tenant", () => {
    const { p } = setup();
    expect(p.mode).toBe("simulation");
    expect(p.tenants).toEqual([SIM_TENANT_ID]);
  });

  it("gives every instance its own state", async () => {
    const a = setup().p;
    const b = setup().p;
    await a.identity.setAccountEnabled(T, "alice@contoso.com", false);
    expect((await a.identity.getUser(T, "alice@contoso.com")).accountEnabled).toBe(false);
    expect((await b.identity.getUser(T, "alice@contoso.com")).accountEnabled).toBe(true);
  });

  it("refuses options outside their ranges", () => {
    expect(() => setup({ failureRate: 1.5 })).toThrow("failureRate 1.5 is not within 0-1");
    expect(() => setup({ nsgPriorityRange: { min: 50, max: 199 } })).toThrow("nsgPriorityRange 50-199");
    expect(() => setup({ extraDevices: 2.5 })).toThrow("extraDevices 2.5 is not a whole number within 0-1000000");
    expect(() => setup({ extraDevices: -1 })).toThrow("extraDevices -1 is not a whole number");
  });

  it("answers 404 for a tenant it does not know", async () => {
    const { p } = setup();
    expect(await failure(p.identity.getUser("00000000-0000-0000-0000-000000000000", "alice@contoso.com"))).toEqual({
      service: "graph",
      kind: "not_found",
      httpStatus: 404,
      message: "[Graph] Tenant '00000000-0000-0000-0000-000000000000' is not known to the simulated tenant",
      retryAfterSeconds: undefined,
    });
  });

  it("reports every service up with a small latency", async () => {
    const { p } = setup();
    for (const service of ["defender", "graph", "azure_nsg", "aws", "aws_waf"] as const) {
      const health = await p.health(service);
      expect(health).toEqual({ status: "up", latency_ms: expect.any(Number), error: null });
      expect(health.latency_ms).toBeLessThan(100);
    }
  });
});

describe("endpoint: finding machines", () => {
  it("matches a full DNS name exactly and case-insensitively", async () => {
    const { p } = setup();
    const d = device("ws-0142.corp.contoso.com");
    expect(await p.endpoint.findMachines(T, "WS-0142.Corp.Contoso.com")).toEqual([
      {
        id: d.id,
        computerDnsName: "ws-0142.corp.contoso.com",
        lastSeen: minutesAgo(d.lastSeenMinutesAgo),
        osPlatform: "Windows11",
        healthStatus: "Active",
      },
    ]);
  });

  it("resolves a short name by the first DNS label", async () => {
    const { p } = setup();
    expect((await p.endpoint.findMachines(T, "srv-sql-02")).map((m) => m.computerDnsName)).toEqual([
      "srv-sql-02.corp.contoso.com",
    ]);
  });

  it("returns both devices for an ambiguous short name", async () => {
    const { p } = setup();
    const found = await p.endpoint.findMachines(T, "ws-finance-07");
    expect(found.map((m) => m.computerDnsName).sort()).toEqual([
      "ws-finance-07.corp.contoso.com",
      "ws-finance-07.lab.contoso.com",
    ]);
    expect(new Set(found.map((m) => m.id)).size).toBe(2);
  });

  it("does not resolve a full name by prefix or partial names", async () => {
    const { p } = setup();
    expect(await p.endpoint.findMachines(T, "ws-finance-07.corp.contoso.com")).toHaveLength(1);
    expect(await p.endpoint.findMachines(T, "ws-finance-07.corp")).toEqual([]);
    expect(await p.endpoint.findMachines(T, "ws-01")).toEqual([]);
    expect(await p.endpoint.findMachines(T, "nope.corp.contoso.com")).toEqual([]);
  });

  it("gets a machine by id and answers 404 for an unknown one", async () => {
    const { p } = setup();
    const d = device("dc-01.corp.contoso.com");
    expect(await p.endpoint.getMachine(T, d.id.toUpperCase())).toMatchObject({ id: d.id, computerDnsName: d.computerDnsName });
    expect(await failure(p.endpoint.getMachine(T, "f".repeat(40)))).toEqual({
      service: "defender",
      kind: "not_found",
      httpStatus: 404,
      message: `[Defender] ResourceNotFound: Machine '${"f".repeat(40)}' was not found`,
      retryAfterSeconds: undefined,
    });
  });
});

describe("endpoint: a generated fleet (extraDevices)", () => {
  it("adds fleet-NNNNNN devices with distinct, stable 40-hex machine ids, after the seeded ones", async () => {
    const { p } = setup({ extraDevices: 3000 });
    const first = await p.endpoint.findMachines(T, "fleet-000001");
    expect(first).toEqual([
      {
        id: simFleetDevice(1).id,
        computerDnsName: "fleet-000001.fleet.contoso.com",
        lastSeen: minutesAgo(2),
        osPlatform: "Windows11",
        healthStatus: "Active",
      },
    ]);
    const ids = new Set(Array.from({ length: 3000 }, (_, i) => simFleetDevice(i + 1).id));
    expect(ids.size).toBe(3000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect((await p.endpoint.getMachine(T, simFleetDevice(3000).id)).computerDnsName).toBe("fleet-003000.fleet.contoso.com");
    expect(await p.endpoint.findMachines(T, "fleet-003001")).toEqual([]);
    // The seeded devices are unchanged, ambiguity included.
    expect(await p.endpoint.findMachines(T, "ws-finance-07")).toHaveLength(2);
  });

  it("has none by default", async () => {
    const { p } = setup();
    expect(await p.endpoint.findMachines(T, "fleet-000001")).toEqual([]);
  });

  it("isolates each generated device once, like any other", async () => {
    const { p } = setup({ stepMs: 0, extraDevices: 2 });
    const input = { comment: "load test", isolationType: "Full" as const };
    const [a] = await p.endpoint.findMachines(T, "fleet-000001.fleet.contoso.com");
    const [b] = await p.endpoint.findMachines(T, "FLEET-000002");
    expect((await p.endpoint.isolate(T, a!.id, input)).status).toBe("Succeeded");
    expect((await p.endpoint.isolate(T, b!.id, input)).status).toBe("Succeeded");
    expect((await failure(p.endpoint.isolate(T, a!.id, input))).kind).toBe("conflict");
  });
});

describe("endpoint: isolation", () => {
  const laptop = device("laptop-jdoe.corp.contoso.com");
  const input = { comment: "INC-1234 ransomware beacon", isolationType: "Full" as const };

  it("goes Pending -> InProgress -> Succeeded with the clock", async () => {
    const { p, clock } = setup();
    const action = await p.endpoint.isolate(T, laptop.id, input);
    expect(action).toEqual({
      id: expect.stringMatching(GUID),
      type: "Isolate",
      status: "Pending",
      machineId: laptop.id,
      computerDnsName: laptop.computerDnsName,
      creationDateTimeUtc: iso(T0),
      lastUpdateDateTimeUtc: iso(T0),
      requestorComment: "INC-1234 ransomware beacon",
    });
    // The device's history shows it too, with the comment that names the audit row.
    expect(await p.endpoint.listMachineActions(T, laptop.id)).toEqual([action]);
    clock.advance(STEP - 1);
    expect((await p.endpoint.getMachineAction(T, action.id)).status).toBe("Pending");
    clock.advance(1);
    expect(await p.endpoint.getMachineAction(T, action.id)).toEqual({
      ...action,
      status: "InProgress",
      lastUpdateDateTimeUtc: iso(T0 + STEP),
    });
    clock.advance(STEP);
    expect(await p.endpoint.getMachineAction(T, action.id)).toEqual({
      ...action,
      status: "Succeeded",
      lastUpdateDateTimeUtc: iso(T0 + 2 * STEP),
    });
  });

  it("finishes at once with stepMs 0", async () => {
    const { p } = setup({ stepMs: 0 });
    expect((await p.endpoint.isolate(T, laptop.id, input)).status).toBe("Succeeded");
  });

  it("refuses a second action while one is in flight, with Defender's wording", async () => {
    const { p, clock } = setup();
    await p.endpoint.isolate(T, laptop.id, input);
    const inProgress = {
      service: "defender",
      kind: "conflict",
      httpStatus: 400,
      message: "[Defender] Action is already in progress",
      retryAfterSeconds: undefined,
    };
    expect(await failure(p.endpoint.isolate(T, laptop.id, input))).toEqual(inProgress);
    clock.advance(STEP);
    expect(await failure(p.endpoint.release(T, laptop.id, { comment: "done" }))).toEqual(inProgress);
  });

  it("refuses to isolate twice and to release a device that is not isolated", async () => {
    const { p, clock } = setup();
    expect(await failure(p.endpoint.release(T, laptop.id, { comment: "x" }))).toMatchObject({
      kind: "conflict",
      httpStatus: 400,
      message: "[Defender] Machine is not isolated",
    });
    await p.endpoint.isolate(T, laptop.id, input);
    clock.advance(2 * STEP);
    expect(await failure(p.endpoint.isolate(T, laptop.id, input))).toMatchObject({
      kind: "conflict",
      httpStatus: 400,
      message: "[Defender] Machine is already isolated",
    });

    const release = await p.endpoint.release(T, laptop.id, { comment: "contained" });
    expect(release).toMatchObject({ type: "Unisolate", status: "Pending", machineId: laptop.id });
    clock.advance(2 * STEP);
    expect((await p.endpoint.getMachineAction(T, release.id)).status).toBe("Succeeded");
    expect(await failure(p.endpoint.release(T, laptop.id, { comment: "x" }))).toMatchObject({ kind: "conflict" });
    expect((await p.endpoint.isolate(T, laptop.id, input)).status).toBe("Pending");
  });

  it("keeps devices independent", async () => {
    const { p } = setup();
    await p.endpoint.isolate(T, laptop.id, input);
    const other = await p.endpoint.isolate(T, device("ws-0143.corp.contoso.com").id, input);
    expect(other.status).toBe("Pending");
  });

  it("can fail on the device after being accepted; the device then stays unisolated", async () => {
    const draws = [0.9, 0.1]; // the call is accepted, then the action fails on the device
    const { p, clock } = setup({ failureRate: 0.5, random: () => draws.shift() ?? 0.9 });
    const action = await p.endpoint.isolate(T, laptop.id, input);
    clock.advance(2 * STEP);
    expect((await p.endpoint.getMachineAction(T, action.id)).status).toBe("Failed");
    expect((await p.endpoint.isolate(T, laptop.id, input)).status).toBe("Pending");
  });

  it("leaves an offline device Pending until Defender times out after 3 days", async () => {
    const { p, clock } = setup();
    const offline = SIM_DEVICES.find((d) => d.healthStatus === "Inactive");
    if (!offline) throw new Error("seed has no inactive device");
    const action = await p.endpoint.isolate(T, offline.id, input);
    clock.advance(3 * 24 * 3600_000 - 1);
    expect((await p.endpoint.getMachineAction(T, action.id)).status).toBe("Pending");
    expect(await failure(p.endpoint.isolate(T, offline.id, input))).toMatchObject({ kind: "conflict" });
    clock.advance(1);
    expect((await p.endpoint.getMachineAction(T, action.id)).status).toBe("TimeOut");
  });

  it("answers 404 for unknown machines and actions, 400 without a comment", async () => {
    const { p } = setup();
    expect(await failure(p.endpoint.isolate(T, "0".repeat(40), input))).toMatchObject({
      kind: "not_found",
      httpStatus: 404,
    });
    expect(await failure(p.endpoint.getMachineAction(T, "6b1c5c1e-0000-4000-8000-000000000000"))).toEqual({
      service: "defender",
      kind: "not_found",
      httpStatus: 404,
      message: "[Defender] ResourceNotFound: MachineAction '6b1c5c1e-0000-4000-8000-000000000000' was not found",
      retryAfterSeconds: undefined,
    });
    expect(await failure(p.endpoint.isolate(T, laptop.id, { comment: " ", isolationType: "Full" }))).toMatchObject({
      kind: "bad_request",
      httpStatus: 400,
      message: "[Defender] Comment is required",
    });
  });
});

describe("firewall: Defender indicators", () => {
  it("creates indicators with increasing numeric ids", async () => {
    const { p } = setup();
    const expiresAt = new Date(T0 + 3600_000);
    expect(await p.firewalls.defender.block(T, block("185.220.101.34", { expiresAt }))).toEqual({
      ref: "4201",
      details: { indicator_id: "4201", expiration_time: iso(T0 + 3600_000) },
    });
    expect((await p.firewalls.defender.block(T, block("2606:4700::1111"))).ref).toBe("4202");
  });

  it.each([
    ["10.1.2.3", "is not a public address (private)"],
    ["203.0.113.7", "is not a public address (reserved)"],
    ["fe80::1", "is not a public address (linkLocal)"],
    ["185.220.101.0/24", "is a CIDR range"],
    ["not-an-ip", "is not a valid IP address"],
  ])("refuses %s with 400", async (address, why) => {
    const { p } = setup();
    const err = await failure(p.firewalls.defender.block(T, block(address)));
    expect(err).toMatchObject({ service: "defender", kind: "bad_request", httpStatus: 400 });
    expect(err.message).toContain(why);
  });

  it("refuses a duplicate active indicator, but not once the first has expired", async () => {
    const { p, clock } = setup();
    await p.firewalls.defender.block(T, block("185.220.101.34", { expiresAt: new Date(T0 + 60_000) }));
    expect(await failure(p.firewalls.defender.block(T, block("185.220.101.34")))).toEqual({
      service: "defender",
      kind: "conflict",
      httpStatus: 409,
      message: "[Defender] An active IpAddress indicator for '185.220.101.34' already exists (id 4201)",
      retryAfterSeconds: undefined,
    });
    clock.advance(60_000);
    expect((await p.firewalls.defender.block(T, block("185.220.101.34"))).ref).toBe("4202");
    // Removing the expired first indicator leaves the active second one in force.
    expect(await p.firewalls.defender.unblock(T, "4201", BLOCKED)).toEqual({ alreadyAbsent: false });
    expect((await failure(p.firewalls.defender.block(T, block("185.220.101.34")))).message).toContain("(id 4202)");
  });

  it("refuses a block past the tenant's indicator quota (maxIndicators, Defender's 15,000 by default)", async () => {
    const { p } = setup({ maxIndicators: 2 });
    await p.firewalls.defender.block(T, block("185.220.101.1"));
    await p.firewalls.defender.block(T, block("185.220.101.2"));
    expect(await failure(p.firewalls.defender.block(T, block("185.220.101.3")))).toMatchObject({
      kind: "conflict",
      httpStatus: 409,
      message: "[Defender] The tenant has reached the maximum of 2 indicators",
    });
    expect(() => setup({ maxIndicators: 0 })).toThrow("maxIndicators 0 is not a whole number above 0");
  });

  it("unblocks once, then reports the indicator already absent", async () => {
    const { p } = setup();
    const { ref } = await p.firewalls.defender.block(T, block("185.220.101.34"));
    expect(await p.firewalls.defender.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: false });
    expect(await p.firewalls.defender.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: true });
    expect((await p.firewalls.defender.block(T, block("185.220.101.34"))).ref).toBe("4202");
  });
});

describe("firewall: Azure NSG", () => {
  it("takes the lowest free priority in the range, skipping the seeded rules", async () => {
    const { p } = setup();
    const req = block("185.220.101.34", { actionId: "act_01JQ0000000000000000000001" });
    expect(await p.firewalls.azure_nsg.block(T, req)).toEqual({
      ref: "mdr-block-act_01JQ0000000000000000000001",
      details: { rule_name: "mdr-block-act_01JQ0000000000000000000001", priority: 101 },
    });
    expect((await p.firewalls.azure_nsg.block(T, block("10.20.0.0/16"))).details.priority).toBe(103);
    expect((await p.firewalls.azure_nsg.block(T, block("2001:db8::/48"))).details.priority).toBe(104);
  });

  it("updates its own rule when the same action writes again (PUT)", async () => {
    const { p } = setup();
    const req = block("185.220.101.34");
    const first = await p.firewalls.azure_nsg.block(T, req);
    expect(await p.firewalls.azure_nsg.block(T, req)).toEqual(first);
    expect((await p.firewalls.azure_nsg.block(T, block("185.220.101.35"))).details.priority).toBe(103);
  });

  it("takes an explicit priority when it is free and refuses a used one", async () => {
    const { p } = setup();
    expect((await p.firewalls.azure_nsg.block(T, block("185.220.101.34", { priority: 250 }))).details.priority).toBe(250);
    expect(await failure(p.firewalls.azure_nsg.block(T, block("185.220.101.35", { priority: 102 })))).toEqual({
      service: "azure_nsg",
      kind: "conflict",
      httpStatus: 409,
      message: "[Azure NSG] SecurityRuleConflict: priority 102 is already used by rule AllowAzureLoadBalancer",
      retryAfterSeconds: undefined,
    });
    expect(await failure(p.firewalls.azure_nsg.block(T, block("185.220.101.35", { priority: 99 })))).toMatchObject({
      kind: "bad_request",
      httpStatus: 400,
    });
  });

  it("answers 409 when the range has no free priority", async () => {
    const { p } = setup({ nsgPriorityRange: { min: 100, max: 102 } });
    expect((await p.firewalls.azure_nsg.block(T, block("185.220.101.34"))).details.priority).toBe(101);
    expect(await failure(p.firewalls.azure_nsg.block(T, block("185.220.101.35")))).toMatchObject({
      kind: "conflict",
      httpStatus: 409,
      message: expect.stringContaining("no free priority in 100-102"),
    });
  });

  it("refuses a rule name longer than 80 characters", async () => {
    const { p } = setup();
    expect(await failure(p.firewalls.azure_nsg.block(T, block("185.220.101.34", { actionId: "a".repeat(71) })))).toMatchObject({
      kind: "bad_request",
      httpStatus: 400,
    });
  });

  it("unblocks by rule name, freeing the priority", async () => {
    const { p } = setup();
    const { ref } = await p.firewalls.azure_nsg.block(T, block("185.220.101.34"));
    expect(await p.firewalls.azure_nsg.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: false });
    expect(await p.firewalls.azure_nsg.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: true });
    expect((await p.firewalls.azure_nsg.block(T, block("185.220.101.35"))).details.priority).toBe(101);
  });
});

describe("firewall: AWS network ACL", () => {
  it("adds a deny entry at the lowest free rule number, a single address as /32 or /128", async () => {
    const { p } = setup();
    expect(await p.firewalls.aws_sg.block(T, block("185.220.101.34"))).toEqual({
      ref: "2",
      details: { network_acl_id: "acl-0a1b2c3d4e5f67890", rule_number: 2, cidr: "185.220.101.34/32" },
    });
    expect(await p.firewalls.aws_sg.block(T, block("2606:4700:0000::1111"))).toEqual({
      ref: "3",
      details: { network_acl_id: "acl-0a1b2c3d4e5f67890", rule_number: 3, cidr: "2606:4700::1111/128" },
    });
    expect((await p.firewalls.aws_sg.block(T, block("10.20.0.0/16"))).details.cidr).toBe("10.20.0.0/16");
  });

  it("refuses a CIDR that is already denied", async () => {
    const { p } = setup();
    expect(await failure(p.firewalls.aws_sg.block(T, block("198.51.100.0/24")))).toEqual({
      service: "aws",
      kind: "conflict",
      httpStatus: 409,
      message: "[AWS] 198.51.100.0/24 is already denied by rule 1 of acl-0a1b2c3d4e5f67890",
      retryAfterSeconds: undefined,
    });
    await p.firewalls.aws_sg.block(T, block("185.220.101.34"));
    expect(await failure(p.firewalls.aws_sg.block(T, block("185.220.101.34/32")))).toMatchObject({ kind: "conflict" });
  });

  it("answers 409 once the family holds 20 inbound entries; the other family is unaffected", async () => {
    const { p } = setup();
    // The quota counts the default deny entry (32767) too.
    const seededV4 = SIM_NACL.inbound.filter((e) => !e.cidr.includes(":")).length + 1;
    for (let i = 0; i < SIM_NACL.maxEntriesPerFamily - seededV4; i++) {
      await p.firewalls.aws_sg.block(T, block(`185.220.101.${i + 1}`));
    }
    expect(await failure(p.firewalls.aws_sg.block(T, block("185.220.102.1")))).toEqual({
      service: "aws",
      kind: "conflict",
      httpStatus: 409,
      message:
        "[AWS] NetworkAclEntryLimitExceeded: acl-0a1b2c3d4e5f67890 already has the maximum of 20 inbound IPv4 entries",
      retryAfterSeconds: undefined,
    });
    expect((await p.firewalls.aws_sg.block(T, block("2606:4700::1111"))).details.cidr).toBe("2606:4700::1111/128");
  });

  it("answers 409 when the rule number range is exhausted", async () => {
    const { p } = setup({ naclRuleRange: { min: 1, max: 3 } });
    expect((await p.firewalls.aws_sg.block(T, block("185.220.101.1"))).ref).toBe("2");
    expect((await p.firewalls.aws_sg.block(T, block("185.220.101.2"))).ref).toBe("3");
    expect(await failure(p.firewalls.aws_sg.block(T, block("185.220.101.3")))).toMatchObject({
      kind: "conflict",
      httpStatus: 409,
      message: expect.stringContaining("no free inbound rule number in 1-3"),
    });
  });

  it("unblocks by rule number", async () => {
    const { p } = setup();
    const { ref } = await p.firewalls.aws_sg.block(T, block("185.220.101.34"));
    expect(await p.firewalls.aws_sg.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: false });
    expect(await p.firewalls.aws_sg.unblock(T, ref, BLOCKED)).toEqual({ alreadyAbsent: true });
    expect(await failure(p.firewalls.aws_sg.unblock(T, "rule-2", BLOCKED))).toMatchObject({ kind: "bad_request", httpStatus: 400 });
  });
});

describe("identity", () => {
  it("gets a user case-insensitively", async () => {
    const { p } = setup();
    expect(await p.identity.getUser(T, "Alice@Contoso.COM")).toEqual({
      id: "c60dd42c-2217-4a04-8373-948c5202db52",
      userPrincipalName: "alice@contoso.com",
      displayName: "Alice Johnson",
      accountEnabled: true,
    });
    expect((await p.identity.getUser(T, "former.employee@contoso.com")).accountEnabled).toBe(false);
  });

  it("answers 404 with Graph's wording for an unknown user", async () => {
    const { p } = setup();
    expect(await failure(p.identity.setAccountEnabled(T, "mallory@contoso.com", false))).toEqual({
      service: "graph",
      kind: "not_found",
      httpStatus: 404,
      message:
        "[Graph] Request_ResourceNotFound: Resource 'mallory@contoso.com' does not exist or one of its queried reference-property objects are not present.",
      retryAfterSeconds: undefined,
    });
    expect(await failure(p.identity.revokeSignInSessions(T, "mallory@contoso.com"))).toMatchObject({ kind: "not_found" });
  });

  it("disables and re-enables an account; repeating is harmless", async () => {
    const { p } = setup();
    await p.identity.setAccountEnabled(T, "bob@contoso.com", false);
    await p.identity.setAccountEnabled(T, "bob@contoso.com", false);
    expect((await p.identity.getUser(T, "bob@contoso.com")).accountEnabled).toBe(false);
    await p.identity.revokeSignInSessions(T, "bob@contoso.com");
    await p.identity.setAccountEnabled(T, "BOB@contoso.com", true);
    expect((await p.identity.getUser(T, "bob@contoso.com")).accountEnabled).toBe(true);
  });
});

describe("mail", () => {
  const phishId = SIM_PHISHING_MESSAGE.internetMessageId;

  it("finds the phishing email in each recipient's mailbox under a different Graph id", async () => {
    const { p } = setup();
    const found = await Promise.all(
      SIM_PHISHING_MESSAGE.recipients.map((mailbox) => p.mail.findMessages(T, mailbox, phishId)),
    );
    for (const messages of found) {
      expect(messages).toEqual([
        {
          id: expect.stringMatching(/^AAMk/),
          internetMessageId: phishId,
          subject: "Action required: verify your payroll details",
          from: "payroll@contoso-hr-portal.com",
          receivedDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          parentFolderId: "inbox",
        },
      ]);
    }
    expect(new Set(found.map((m) => m[0]?.id)).size).toBe(3);
    expect(await p.mail.findMessages(T, "dave@contoso.com", phishId)).toEqual([]);
  });

  it("finds a message by its Graph id, in a mailbox named in any case", async () => {
    const { p } = setup();
    const seeded = SIM_MAILBOXES["jdoe@contoso.com"]?.[0];
    if (!seeded) throw new Error("seed has no mail for jdoe");
    expect(await p.mail.findMessages(T, "JDoe@contoso.com", seeded.id)).toEqual([
      {
        id: seeded.id,
        internetMessageId: seeded.internetMessageId,
        subject: seeded.subject,
        from: seeded.from,
        receivedDateTime: minutesAgo(seeded.receivedMinutesAgo).replace(".000Z", "Z"),
        parentFolderId: "inbox",
      },
    ]);
    expect(await p.mail.findMessages(T, "jdoe@contoso.com", "<nothing@example.com>")).toEqual([]);
  });

  it("answers 404 for an unknown mailbox", async () => {
    const { p } = setup();
    expect(await failure(p.mail.findMessages(T, "ghost@contoso.com", phishId))).toEqual({
      service: "graph",
      kind: "not_found",
      httpStatus: 404,
      message: "[Graph] ErrorInvalidUser: The requested user 'ghost@contoso.com' is invalid.",
      retryAfterSeconds: undefined,
    });
  });

  it("gives a moved message a new id; the old id is gone", async () => {
    const { p } = setup();
    const [original] = await p.mail.findMessages(T, "alice@contoso.com", phishId);
    if (!original) throw new Error("phish not found");
    const moved = await p.mail.move(T, "alice@contoso.com", original.id, "junkemail");
    expect(moved).toEqual({ ...original, id: expect.stringMatching(/^AAMk/), parentFolderId: "junkemail" });
    expect(moved.id).not.toBe(original.id);
    expect(await p.mail.findMessages(T, "alice@contoso.com", original.id)).toEqual([]);
    expect(await p.mail.findMessages(T, "alice@contoso.com", moved.id)).toEqual([moved]);
    expect(await p.mail.findMessages(T, "alice@contoso.com", phishId)).toEqual([moved]);
    expect(await failure(p.mail.move(T, "alice@contoso.com", original.id, "inbox"))).toEqual({
      service: "graph",
      kind: "not_found",
      httpStatus: 404,
      message: "[Graph] ErrorItemNotFound: The specified object was not found in the store.",
      retryAfterSeconds: undefined,
    });
    const restored = await p.mail.move(T, "alice@contoso.com", moved.id, "inbox");
    expect(restored).toEqual({ ...original, id: expect.stringMatching(/^AAMk/) });
  });

  it("permanently deletes a message", async () => {
    const { p } = setup();
    const [message] = await p.mail.findMessages(T, "bob@contoso.com", phishId);
    if (!message) throw new Error("phish not found");
    await p.mail.permanentDelete(T, "bob@contoso.com", message.id);
    expect(await p.mail.findMessages(T, "bob@contoso.com", phishId)).toEqual([]);
    expect(await p.mail.findMessages(T, "bob@contoso.com", message.id)).toEqual([]);
    expect(await failure(p.mail.permanentDelete(T, "bob@contoso.com", message.id))).toMatchObject({
      kind: "not_found",
      httpStatus: 404,
    });
    expect(await p.mail.findMessages(T, "carol@contoso.com", phishId)).toHaveLength(1);
  });
});

describe("faults", () => {
  it("takes a whole service down, health included", async () => {
    const { p } = setup({ faults: "graph:down" });
    const outage = {
      service: "graph",
      kind: "unavailable",
      httpStatus: undefined,
      message: "[Graph] connection refused (simulated outage)",
      retryAfterSeconds: undefined,
    };
    expect(await failure(p.identity.getUser(T, "alice@contoso.com"))).toEqual(outage);
    expect(await failure(p.mail.findMessages(T, "alice@contoso.com", "<x@y>"))).toEqual(outage);
    expect(await p.health("graph")).toEqual({
      status: "down",
      latency_ms: null,
      error: "connection refused (simulated outage)",
    });
    expect((await p.health("defender")).status).toBe("up");
    expect(await p.endpoint.findMachines(T, "dc-01")).toHaveLength(1);
  });

  it("counts Defender indicators as the defender service, and aws_sg as aws", async () => {
    const { p } = setup({ faults: "defender:down, aws:down" });
    expect(await failure(p.firewalls.defender.block(T, block("185.220.101.34")))).toMatchObject({
      service: "defender",
      kind: "unavailable",
    });
    expect(await failure(p.firewalls.aws_sg.unblock(T, "2", BLOCKED))).toMatchObject({ service: "aws", kind: "unavailable" });
    expect((await p.firewalls.azure_nsg.block(T, block("185.220.101.34"))).details.priority).toBe(101);
  });

  it.each([
    [400, "bad_request"],
    [401, "permission"],
    [403, "permission"],
    [404, "not_found"],
    [409, "conflict"],
    [422, "bad_request"],
    [429, "throttled"],
    [500, "unavailable"],
    [503, "unavailable"],
    [504, "timeout"],
  ] as const)("fails just the named operation with %i -> %s", async (status, kind) => {
    const { p } = setup({ faults: `defender.isolate=${status}` });
    const d = device("ws-0143.corp.contoso.com");
    expect(await failure(p.endpoint.isolate(T, d.id, { comment: "x", isolationType: "Selective" }))).toMatchObject({
      service: "defender",
      kind,
      httpStatus: status,
      message: expect.stringContaining(`${status} `),
    });
    expect(await p.endpoint.getMachine(T, d.id)).toMatchObject({ id: d.id });
  });

  it("sends Retry-After with an injected 429", async () => {
    const { p } = setup({ faults: "azure_nsg.block=429" });
    expect(await failure(p.firewalls.azure_nsg.block(T, block("185.220.101.34")))).toEqual({
      service: "azure_nsg",
      kind: "throttled",
      httpStatus: 429,
      message: "[Azure NSG] 429 Too Many Requests (simulated fault on azure_nsg.block)",
      retryAfterSeconds: 1,
    });
  });

  it("maps each Graph operation to its own name", async () => {
    const { p } = setup({ faults: " graph.disableUser = 403 ,graph.move=500 " });
    expect(await failure(p.identity.setAccountEnabled(T, "alice@contoso.com", false))).toMatchObject({ kind: "permission" });
    await p.identity.setAccountEnabled(T, "alice@contoso.com", true);
    const [m] = await p.mail.findMessages(T, "alice@contoso.com", SIM_PHISHING_MESSAGE.internetMessageId);
    expect(await failure(p.mail.move(T, "alice@contoso.com", m?.id ?? "", "junkemail"))).toMatchObject({
      kind: "unavailable",
      httpStatus: 500,
    });
  });

  it.each([
    ["graph:up", 'unknown mode "up"'],
    ["exchange:down", 'unknown service "exchange"'],
    ["defender.nuke=500", 'unknown operation "nuke"'],
    ["defender.isolate=200", 'status "200" is not an HTTP error status'],
    ["defender.isolate=5xx", 'status "5xx"'],
    ["defender.isolate", 'expected "service:down" or "service.operation=STATUS"'],
  ])("refuses the malformed entry %s", (entry, why) => {
    expect(() => setup({ faults: `graph:down,${entry}` })).toThrow(`MDR_SIM_FAULTS: invalid entry "${entry}": ${why}`);
  });

  it("can be changed at run time; a bad spec leaves the faults as they were", async () => {
    const { p } = setup();
    expect(p.faults.spec).toBe("");
    p.faults.set("graph:down , defender.release=409");
    expect(p.faults.spec).toBe("graph:down,defender.release=409");
    expect((await p.health("graph")).status).toBe("down");
    expect(() => p.faults.set("graph:sideways")).toThrow('invalid entry "graph:sideways"');
    expect(p.faults.spec).toBe("graph:down,defender.release=409");
    p.faults.clear();
    expect(p.faults.spec).toBe("");
    expect((await p.health("graph")).status).toBe("up");
    expect((await p.identity.getUser(T, "carol@contoso.com")).displayName).toBe("Carol Nguyen");
  });
});

describe("failureRate", () => {
  it("at 1, fails every mutating call with 503 while reads keep working", async () => {
    const { p } = setup({ failureRate: 1 });
    const laptop = device("laptop-jdoe.corp.contoso.com");
    const [phish] = await p.mail.findMessages(T, "alice@contoso.com", SIM_PHISHING_MESSAGE.internetMessageId);
    // Thunks, so no call starts (and rejects) before its assertion is waiting for it.
    const mutating: [string, () => Promise<unknown>][] = [
      ["defender", () => p.endpoint.isolate(T, laptop.id, { comment: "x", isolationType: "Full" })],
      ["defender", () => p.endpoint.release(T, laptop.id, { comment: "x" })],
      ["defender", () => p.firewalls.defender.block(T, block("185.220.101.34"))],
      ["defender", () => p.firewalls.defender.unblock(T, "4201", BLOCKED)],
      ["azure_nsg", () => p.firewalls.azure_nsg.block(T, block("185.220.101.34"))],
      ["azure_nsg", () => p.firewalls.azure_nsg.unblock(T, "AllowBastionInbound", BLOCKED)],
      ["aws", () => p.firewalls.aws_sg.block(T, block("185.220.101.34"))],
      ["aws", () => p.firewalls.aws_sg.unblock(T, "1", BLOCKED)],
      ["graph", () => p.identity.setAccountEnabled(T, "alice@contoso.com", false)],
      ["graph", () => p.identity.revokeSignInSessions(T, "alice@contoso.com")],
      ["graph", () => p.mail.move(T, "alice@contoso.com", phish?.id ?? "", "junkemail")],
      ["graph", () => p.mail.permanentDelete(T, "alice@contoso.com", phish?.id ?? "")],
    ];
    for (const [service, call] of mutating) {
      expect(await failure(call())).toMatchObject({
        service,
        kind: "unavailable",
        httpStatus: 503,
        message: expect.stringContaining("simulated transient failure"),
      });
    }
    expect(await p.endpoint.findMachines(T, "laptop-jdoe")).toHaveLength(1);
    expect(await p.endpoint.getMachine(T, laptop.id)).toMatchObject({ id: laptop.id });
    expect((await p.identity.getUser(T, "alice@contoso.com")).accountEnabled).toBe(true);
    expect(await p.mail.findMessages(T, "alice@contoso.com", phish?.id ?? "")).toHaveLength(1);
    expect((await p.health("defender")).status).toBe("up");
  });

  it("decides each call with random()", async () => {
    const draws = [0.49, 0.51];
    const { p } = setup({ failureRate: 0.5, random: () => draws.shift() ?? 0.99 });
    expect(await failure(p.identity.setAccountEnabled(T, "dave@contoso.com", false))).toMatchObject({ httpStatus: 503 });
    await p.identity.setAccountEnabled(T, "dave@contoso.com", false);
    expect((await p.identity.getUser(T, "dave@contoso.com")).accountEnabled).toBe(false);
  });
});
