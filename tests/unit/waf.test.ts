// The aws_waf firewall: its ARN parsing, its simulated double, and its live client in-process
// against the emulator's WAF v2 (the real @aws-sdk/client-wafv2, SigV4, LockTokens), counting
// the GetIPSet / UpdateIPSet calls a batch costs.
import { emulatorEnv } from "../support/emulator-env";
import { GetIPSetCommand, UpdateIPSetCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { parseWafIpSetArn, parseWafRef, wafRef } from "@/lib/mdr/providers/aws-waf/arn";
import { cidrKey, planAdd, planRemove } from "@/lib/mdr/providers/aws-waf/plan";
import { SimulatedAwsWaf } from "@/lib/mdr/providers/aws-waf/simulated";
import { openGate } from "@/lib/mdr/providers/gate";
import { createLiveProviders } from "@/lib/mdr/providers/live";
import { SIM_TENANT_ID, SIM_WAF } from "@/lib/mdr/providers/simulation";
import { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import type { BlockRequest, FirewallProvider } from "@/lib/mdr/providers/types";
import { AWS_KEY, exampleSeed, TENANT_A, WAF_V4, WAF_V6 } from "../emulator/fixtures";
import { type Emulator, startEmulator } from "../emulator/server";

describe("WAF IP set ARNs", () => {
  it("a regional set: name, id and scope from the ARN, called in its region", () => {
    expect(parseWafIpSetArn("arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/blocked-v4/0f4c7e1a-2b3d")).toEqual({
      arn: "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/blocked-v4/0f4c7e1a-2b3d",
      name: "blocked-v4",
      id: "0f4c7e1a-2b3d",
      scope: "REGIONAL",
      region: "eu-west-1",
      account: "111122223333",
    });
  });

  it("a global set is CLOUDFRONT, called in us-east-1; GovCloud and China partitions are sets too", () => {
    expect(parseWafIpSetArn("arn:aws:wafv2:us-east-1:111122223333:global/ipset/cf_blocked/abc-123")).toMatchObject({
      scope: "CLOUDFRONT",
      region: "us-east-1",
      name: "cf_blocked",
    });
    expect(parseWafIpSetArn("arn:aws-us-gov:wafv2:us-gov-west-1:111122223333:regional/ipset/x/a1")).toMatchObject({ region: "us-gov-west-1" });
    expect(parseWafIpSetArn("arn:aws-cn:wafv2:cn-north-1:111122223333:regional/ipset/x/a1")).toMatchObject({ region: "cn-north-1" });
  });

  it.each([
    ["a web ACL", "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/edge/a1"],
    ["WAF Classic", "arn:aws:waf-regional:eu-west-1:111122223333:ipset/a1"],
    ["a short account", "arn:aws:wafv2:eu-west-1:1111:regional/ipset/x/a1"],
    ["an id in capitals", "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/x/A1"],
    ["a name with a slash", "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/x/y/a1"],
  ])("%s is not an IP set ARN", (_, arn) => {
    expect(parseWafIpSetArn(arn)).toBe(
      "must be a WAF v2 IP set ARN: arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id> (or global/... for CloudFront)",
    );
  });

  it("a block's ref is the set's ARN and the CIDR, and says when the set held it before", () => {
    expect(wafRef(WAF_V4, "203.0.113.7/32", false)).toBe(`${WAF_V4}#203.0.113.7/32`);
    expect(parseWafRef(`${WAF_V4}#203.0.113.7/32`)).toEqual({ arn: WAF_V4, cidr: "203.0.113.7/32", alreadyPresent: false });
    expect(parseWafRef(`${WAF_V4}#192.0.2.44/32#already-present`)).toEqual({ arn: WAF_V4, cidr: "192.0.2.44/32", alreadyPresent: true });
    expect(parseWafRef("12")).toBeUndefined();
    expect(parseWafRef(`${WAF_V4}#1.2.3.4/32#other`)).toBeUndefined();
  });
});

describe("WAF set plans", () => {
  it("one spelling per CIDR: an IPv6 address written long or in capitals is the same entry", () => {
    expect(cidrKey("2001:0DB8:0000:0000:0000:0000:0000:0001/128")).toBe("2001:db8::1/128");
  });

  it("adds what is missing after the set's own entries, marks what was there, refuses what no longer fits", () => {
    const current = Array.from({ length: 9_998 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.1/32`);
    const plan = planAdd(current, ["10.0.0.1/32", "203.0.113.1/32", "203.0.113.2/32", "203.0.113.3/32"]);
    expect(plan.outcomes).toEqual([
      { cidr: "10.0.0.1/32", alreadyPresent: true },
      { cidr: "203.0.113.1/32", alreadyPresent: false },
      { cidr: "203.0.113.2/32", alreadyPresent: false },
      { full: true },
    ]);
    expect(plan.write).toEqual([...current, "203.0.113.1/32", "203.0.113.2/32"]);
    expect(planAdd(current, ["10.0.0.1/32"]).write).toBeUndefined();
  });

  it("removes only the items' own CIDRs; keeps one the set held before the block; says what was gone", () => {
    const plan = planRemove(["192.0.2.44/32", "203.0.113.1/32", "203.0.113.2/32"], [
      { cidr: "203.0.113.1/32", keep: false },
      { cidr: "192.0.2.44/32", keep: true },
      { cidr: "203.0.113.9/32", keep: false },
    ]);
    expect(plan).toEqual({
      outcomes: [{ alreadyAbsent: false }, { alreadyAbsent: false }, { alreadyAbsent: true }],
      write: ["192.0.2.44/32", "203.0.113.2/32"],
    });
  });
});

/** A block request as the pipeline makes one, recording what `planned` was told. */
function requestOf(address: string, planned: Record<string, unknown>[] = []): BlockRequest {
  return {
    actionId: `act_${address}`,
    address,
    expiresAt: new Date(Date.now() + 3_600_000),
    description: `MDR block of ${address}`,
    planned: (details) => planned.push({ address, ...details }),
  };
}

describe("the simulated WAF", () => {
  const sim = () => new SimulatedAwsWaf(new SimRuntime({ failureRate: 0, faults: "", stepMs: 0, now: Date.now, random: Math.random, gate: openGate() }));

  it("blocks each family in its set, in one batch; an address the set held is blocked, recorded already_present, and left there by its undo", async () => {
    const waf = sim();
    const planned: Record<string, unknown>[] = [];
    const out = await waf.blockMany(SIM_TENANT_ID, ["203.0.113.7", "2001:db8::7", "198.51.100.77", "203.0.113.0/24"].map((a) => requestOf(a, planned)));
    expect(out).toEqual([
      { ok: true, value: { ref: `${SIM_WAF.ipv4.arn}#203.0.113.7/32`, details: { ip_set_arn: SIM_WAF.ipv4.arn, ip_set: "mdr-blocked-v4", cidr: "203.0.113.7/32", already_present: false } } },
      { ok: true, value: { ref: `${SIM_WAF.ipv6.arn}#2001:db8::7/128`, details: { ip_set_arn: SIM_WAF.ipv6.arn, ip_set: "mdr-blocked-v6", cidr: "2001:db8::7/128", already_present: false } } },
      {
        ok: true,
        value: {
          ref: `${SIM_WAF.ipv4.arn}#198.51.100.77/32#already-present`,
          details: { ip_set_arn: SIM_WAF.ipv4.arn, ip_set: "mdr-blocked-v4", cidr: "198.51.100.77/32", already_present: true },
        },
      },
      { ok: true, value: { ref: `${SIM_WAF.ipv4.arn}#203.0.113.0/24`, details: { ip_set_arn: SIM_WAF.ipv4.arn, ip_set: "mdr-blocked-v4", cidr: "203.0.113.0/24", already_present: false } } },
    ]);
    expect(planned).toEqual([
      { address: "203.0.113.7", ip_set_arn: SIM_WAF.ipv4.arn, cidr: "203.0.113.7/32", already_present: 0 },
      { address: "198.51.100.77", ip_set_arn: SIM_WAF.ipv4.arn, cidr: "198.51.100.77/32", already_present: 1 },
      { address: "203.0.113.0/24", ip_set_arn: SIM_WAF.ipv4.arn, cidr: "203.0.113.0/24", already_present: 0 },
      { address: "2001:db8::7", ip_set_arn: SIM_WAF.ipv6.arn, cidr: "2001:db8::7/128", already_present: 0 },
    ]);
    expect(waf.addresses("ipv4")).toEqual(["198.51.100.77/32", "203.0.113.7/32", "203.0.113.0/24"]);
    expect(waf.addresses("ipv6")).toEqual(["2001:db8::7/128"]);

    const undo = await waf.unblockMany(SIM_TENANT_ID, out.map((o, i) => ({ ref: o.ok ? o.value.ref : "", address: ["203.0.113.7", "2001:db8::7", "198.51.100.77", "203.0.113.0/24"][i]! })));
    expect(undo).toEqual([0, 1, 2, 3].map(() => ({ ok: true, value: { alreadyAbsent: false } })));
    expect(waf.addresses("ipv4")).toEqual(["198.51.100.77/32"]);
    expect(waf.addresses("ipv6")).toEqual([]);
    expect(await waf.unblock(SIM_TENANT_ID, `${SIM_WAF.ipv4.arn}#203.0.113.7/32`, "203.0.113.7")).toEqual({ alreadyAbsent: true });
  });

  it("capacity: the fuller set's room, naming both; findBlock: only in the set the block recorded", async () => {
    const waf = sim();
    expect(await waf.capacity(SIM_TENANT_ID)).toEqual({
      free: 9_999,
      detail: "9,999 of 10,000 addresses of the IPv4 IP set mdr-blocked-v4 are free; 10,000 of 10,000 addresses of the IPv6 IP set mdr-blocked-v6 are free",
    });
    await waf.block(SIM_TENANT_ID, requestOf("203.0.113.8"));
    expect(await waf.findBlock(SIM_TENANT_ID, "act_x", "203.0.113.8", { ip_set_arn: SIM_WAF.ipv4.arn, already_present: 0 })).toEqual({
      ref: `${SIM_WAF.ipv4.arn}#203.0.113.8/32`,
      details: { ip_set_arn: SIM_WAF.ipv4.arn, ip_set: "mdr-blocked-v4", cidr: "203.0.113.8/32", already_present: false },
    });
    // Nothing recorded before writing: nothing was written, whatever the set holds.
    expect(await waf.findBlock(SIM_TENANT_ID, "act_x", "203.0.113.8", null)).toBeNull();
    expect(await waf.findBlock(SIM_TENANT_ID, "act_x", "203.0.113.9", { ip_set_arn: SIM_WAF.ipv4.arn })).toBeNull();
  });

  it("a set holds 10,000 addresses: the batch's rest is refused one by one, the others written", async () => {
    const waf = sim();
    const many = Array.from({ length: 10_000 }, (_, i) => `10.${Math.floor(i / 256) % 256}.${i % 256}.${1 + Math.floor(i / 65_536)}`);
    const out = await waf.blockMany(SIM_TENANT_ID, many.map((a) => requestOf(a)));
    expect(out.filter((o) => o.ok)).toHaveLength(9_999);
    expect(out.at(-1)).toEqual({
      ok: false,
      error: expect.objectContaining({
        kind: "conflict",
        message: "[AWS WAF] WAFLimitsExceededException: the IP set mdr-blocked-v4 holds the most addresses an IP set may (10,000)",
      }),
    });
    expect(waf.addresses("ipv4")).toHaveLength(10_000);
  });
});

// ------------------------------------------------------------------------------------------
// The live client against the emulator
// ------------------------------------------------------------------------------------------

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ ...exampleSeed(), throttle: false });
});
afterAll(() => emu?.close());
beforeEach(() => emu.reset());

function liveWaf(over: Record<string, string> = {}): FirewallProvider {
  const cfg = parseConfig({
    ...emulatorEnv(emu.url),
    AWS_WAF_IPV4_SET_ARN: WAF_V4,
    AWS_WAF_IPV6_SET_ARN: WAF_V6,
    AWS_ENDPOINT_URL_WAFV2: emu.wafUrl,
    MDR_RATE_LIMIT_AWS_WAF: "none",
    ...over,
  });
  // The tenant's own keys (as a tenants file gives them), so no test depends on the process's AWS_* variables.
  cfg.live!.tenants[0]!.awsWaf!.credentials = { accessKeyId: AWS_KEY.accessKeyId, secretAccessKey: AWS_KEY.secretAccessKey };
  return createLiveProviders(cfg).firewalls.aws_waf;
}

const wafCalls = (from = 0) => emu.find({ service: "wafv2" }).filter((r) => r.seq > from);
const ops = (from = 0) => wafCalls(from).map((r) => `${r.action} ${(r.body as { Name: string }).Name} ${r.status}`);
const publicAddress = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;

describe("the live WAF client against the emulator", () => {
  it("block: GetIPSet, then UpdateIPSet with the whole list plus the /32 and the LockToken just read, the description kept", async () => {
    const waf = liveWaf();
    const token = emu.ipSet(WAF_V4).lockToken;
    const planned: Record<string, unknown>[] = [];
    const result = await waf.block(TENANT_A, requestOf("203.0.113.7", planned));
    expect(result).toEqual({
      ref: `${WAF_V4}#203.0.113.7/32`,
      details: { ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: "203.0.113.7/32", already_present: false },
    });
    expect(planned).toEqual([{ address: "203.0.113.7", ip_set_arn: WAF_V4, cidr: "203.0.113.7/32", already_present: 0 }]);
    const calls = wafCalls();
    expect(calls.map((r) => ({ action: r.action, body: r.body, status: r.status, target: r.headers["x-amz-target"], auth: r.auth }))).toEqual([
      {
        action: "GetIPSet",
        body: { Name: "mdr-blocked-v4", Scope: "REGIONAL", Id: "0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b" },
        status: 200,
        target: "AWSWAF_20190729.GetIPSet",
        auth: { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: "eu-west-1", service: "wafv2" },
      },
      {
        action: "UpdateIPSet",
        body: {
          Name: "mdr-blocked-v4",
          Scope: "REGIONAL",
          Id: "0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
          Description: "Blocked by the SOC",
          Addresses: ["192.0.2.44/32", "203.0.113.7/32"],
          LockToken: token,
        },
        status: 200,
        target: "AWSWAF_20190729.UpdateIPSet",
        auth: { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: "eu-west-1", service: "wafv2" },
      },
    ]);
    expect(emu.ipSet(WAF_V4)).toMatchObject({ addresses: ["192.0.2.44/32", "203.0.113.7/32"], description: "Blocked by the SOC", updates: 1 });
    expect(emu.ipSet(WAF_V4).lockToken).not.toBe(token);
  });

  it("an IPv6 address goes to the IPv6 set as /128; unblock removes exactly it", async () => {
    const waf = liveWaf();
    const { ref } = await waf.block(TENANT_A, requestOf("2001:db8::7"));
    expect(ref).toBe(`${WAF_V6}#2001:db8::7/128`);
    expect(emu.ipSet(WAF_V6).addresses).toEqual(["2001:db8::7/128"]);
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32"]);
    expect(await waf.unblock(TENANT_A, ref, "2001:db8::7")).toEqual({ alreadyAbsent: false });
    expect(emu.ipSet(WAF_V6).addresses).toEqual([]);
    expect(ops()).toEqual([
      "GetIPSet mdr-blocked-v6 200",
      "UpdateIPSet mdr-blocked-v6 200",
      "GetIPSet mdr-blocked-v6 200",
      "UpdateIPSet mdr-blocked-v6 200",
    ]);
    // Gone already: one read, nothing written.
    const from = emu.requests.at(-1)!.seq;
    expect(await waf.unblock(TENANT_A, ref, "2001:db8::7")).toEqual({ alreadyAbsent: true });
    expect(ops(from)).toEqual(["GetIPSet mdr-blocked-v6 200"]);
  });

  it("500 addresses: all in the set after one GetIPSet and one UpdateIPSet; unblockMany removes exactly those, in one more of each", async () => {
    const waf = liveWaf();
    const addresses = Array.from({ length: 500 }, (_, i) => publicAddress(i));
    const planned: Record<string, unknown>[] = [];
    const out = await waf.blockMany!(TENANT_A, addresses.map((a) => requestOf(a, planned)));
    expect(out).toEqual(
      addresses.map((a) => ({
        ok: true,
        value: { ref: `${WAF_V4}#${a}/32`, details: { ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: `${a}/32`, already_present: false } },
      })),
    );
    expect(planned).toHaveLength(500);
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32", ...addresses.map((a) => `${a}/32`)]);
    expect(ops()).toEqual(["GetIPSet mdr-blocked-v4 200", "UpdateIPSet mdr-blocked-v4 200"]);

    // Someone else adds an address meanwhile: it stays, as does the one blocked by hand.
    emu.ipSet(WAF_V4).addresses.push("198.51.100.9/32");
    const from = emu.requests.at(-1)!.seq;
    const undo = await waf.unblockMany!(TENANT_A, out.map((o, i) => ({ ref: o.ok ? o.value.ref : "", address: addresses[i]! })));
    expect(undo).toEqual(addresses.map(() => ({ ok: true, value: { alreadyAbsent: false } })));
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32", "198.51.100.9/32"]);
    expect(ops(from)).toEqual(["GetIPSet mdr-blocked-v4 200", "UpdateIPSet mdr-blocked-v4 200"]);
  });

  it("a lost LockToken race: read again, the other writer's address kept, ours added; exactly two UpdateIPSet calls", async () => {
    const waf = liveWaf();
    emu.raceIpSetUpdates(WAF_V4, 1, (a) => [...a, "198.51.100.20/32"]);
    const result = await waf.block(TENANT_A, requestOf("203.0.113.30"));
    expect(result.details).toEqual({ ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: "203.0.113.30/32", already_present: false });
    expect(ops()).toEqual([
      "GetIPSet mdr-blocked-v4 200",
      "UpdateIPSet mdr-blocked-v4 400",
      "GetIPSet mdr-blocked-v4 200",
      "UpdateIPSet mdr-blocked-v4 200",
    ]);
    expect((wafCalls()[1]!.responseBody as Record<string, unknown>).__type).toBe("WAFOptimisticLockException");
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32", "198.51.100.20/32", "203.0.113.30/32"]);
  });

  it("lost five times: a conflict, nothing of ours written", async () => {
    const waf = liveWaf();
    emu.raceIpSetUpdates(WAF_V4, 5, (a) => a);
    await expect(waf.block(TENANT_A, requestOf("203.0.113.31"))).rejects.toMatchObject({
      kind: "conflict",
      message:
        "[AWS WAF] the IP set mdr-blocked-v4 was changed by another writer during each of 5 attempts (WAFOptimisticLockException); nothing of this change was written",
    });
    expect(ops().filter((o) => o.startsWith("UpdateIPSet"))).toEqual(Array(5).fill("UpdateIPSet mdr-blocked-v4 400"));
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32"]);
  });

  it("an address the set already held: blocked without a write, already_present; its undo leaves it there", async () => {
    const waf = liveWaf();
    const planned: Record<string, unknown>[] = [];
    const result = await waf.block(TENANT_A, requestOf("192.0.2.44", planned));
    expect(result).toEqual({
      ref: `${WAF_V4}#192.0.2.44/32#already-present`,
      details: { ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: "192.0.2.44/32", already_present: true },
    });
    expect(planned).toEqual([{ address: "192.0.2.44", ip_set_arn: WAF_V4, cidr: "192.0.2.44/32", already_present: 1 }]);
    expect(await waf.unblock(TENANT_A, result.ref, "192.0.2.44")).toEqual({ alreadyAbsent: false });
    expect(ops()).toEqual(["GetIPSet mdr-blocked-v4 200", "GetIPSet mdr-blocked-v4 200"]);
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32"]);
  });

  it("an IPv6 address with no IPv6 set configured: refused before anything is sent; the batch's IPv4 addresses still written", async () => {
    const waf = liveWaf({ AWS_WAF_IPV6_SET_ARN: "" });
    const message =
      `[AWS WAF] no IPv6 IP set is configured for tenant ${TENANT_A} (AWS_WAF_IPV6_SET_ARN, or aws_waf.ipv6_set_arn in MDR_TENANTS_FILE): IPv6 addresses cannot be blocked on AWS WAF`;
    await expect(waf.block(TENANT_A, requestOf("2001:db8::8"))).rejects.toMatchObject({ kind: "conflict", httpStatus: 409, message });
    expect(wafCalls()).toEqual([]);
    const out = await waf.blockMany!(TENANT_A, [requestOf("2001:db8::8"), requestOf("203.0.113.40")]);
    expect(out[0]).toEqual({ ok: false, error: expect.objectContaining({ kind: "conflict", message }) });
    expect(out[1]).toMatchObject({ ok: true, value: { ref: `${WAF_V4}#203.0.113.40/32` } });
    expect(emu.ipSet(WAF_V6).addresses).toEqual([]);
  });

  it("capacity: 10,000 less the fuller set's addresses, naming each set; findBlock: the CIDR in the recorded set", async () => {
    const waf = liveWaf();
    expect(await waf.capacity!(TENANT_A)).toEqual({
      free: 9_999,
      detail: "9,999 of 10,000 addresses of the IPv4 IP set mdr-blocked-v4 are free; 10,000 of 10,000 addresses of the IPv6 IP set mdr-blocked-v6 are free",
    });
    await waf.block(TENANT_A, requestOf("203.0.113.50"));
    expect(await waf.findBlock(TENANT_A, "act_y", "203.0.113.50", { ip_set_arn: WAF_V4, cidr: "203.0.113.50/32", already_present: 0 })).toEqual({
      ref: `${WAF_V4}#203.0.113.50/32`,
      details: { ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: "203.0.113.50/32", already_present: false },
    });
    expect(await waf.findBlock(TENANT_A, "act_y", "203.0.113.51", { ip_set_arn: WAF_V4 })).toBeNull();
    expect(await waf.findBlock(TENANT_A, "act_y", "192.0.2.44", null)).toBeNull();
  });

  it("a set that is full: the addresses that no longer fit fail one by one, WAF never asked to hold more than 10,000", async () => {
    const waf = liveWaf();
    const set = emu.ipSet(WAF_V4);
    set.addresses = Array.from({ length: 9_999 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.1/32`);
    const out = await waf.blockMany!(TENANT_A, [requestOf("203.0.113.60"), requestOf("203.0.113.61")]);
    expect(out[0]).toMatchObject({ ok: true });
    expect(out[1]).toEqual({
      ok: false,
      error: expect.objectContaining({
        kind: "conflict",
        message: "[AWS WAF] the IP set mdr-blocked-v4 holds the most addresses an IP set may (10,000): this address was not added",
      }),
    });
    expect(set.addresses).toHaveLength(10_000);
  });

  it("a whole batch whose set cannot be read: thrown, nothing written; a batch of two families where only one fails: per item", async () => {
    const waf = liveWaf();
    const fault = emu.setFault({ match: (r) => r.service === "wafv2" && r.action === "GetIPSet", status: 500, times: Infinity });
    await expect(waf.blockMany!(TENANT_A, [requestOf("203.0.113.80"), requestOf("203.0.113.81")])).rejects.toMatchObject({
      kind: "unavailable",
      message: "[AWS WAF] 500 WAFInternalErrorException on GetIPSet: Injected fault: InternalServerError.",
    });
    // The SDK's three tries of the read, and no write.
    expect(ops()).toEqual(Array(3).fill("GetIPSet mdr-blocked-v4 500"));
    fault.clear();
    emu.setFault({ match: (r) => r.service === "wafv2" && r.action === "GetIPSet", status: 500, times: 3 });
    const out = await waf.blockMany!(TENANT_A, [requestOf("203.0.113.82"), requestOf("2001:db8::82")]);
    expect(out.map((o) => (o.ok ? o.value.ref : o.error.kind))).toEqual(["unavailable", `${WAF_V6}#2001:db8::82/128`]);
    expect(emu.ipSet(WAF_V4).addresses).toEqual(["192.0.2.44/32"]);
    expect(emu.ipSet(WAF_V6).addresses).toEqual(["2001:db8::82/128"]);
  });

  it("a set of the other family configured as the IPv4 set: refused before any write, naming the setting", async () => {
    const waf = liveWaf({ AWS_WAF_IPV4_SET_ARN: WAF_V6, AWS_WAF_IPV6_SET_ARN: "" });
    await expect(waf.block(TENANT_A, requestOf("203.0.113.83"))).rejects.toMatchObject({
      kind: "bad_request",
      message: "[AWS WAF] the IP set mdr-blocked-v6 holds IPV6 addresses, but is configured as the IPv4 set (AWS_WAF_IPV4_SET_ARN)",
    });
    expect(ops()).toEqual(["GetIPSet mdr-blocked-v6 200"]);
  });

  it("WAF's refusals in its words: a set that does not exist (404-kind), refused credentials", async () => {
    const missing = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/gone/00000000-0000-4000-8000-000000000000";
    await expect(liveWaf({ AWS_WAF_IPV4_SET_ARN: missing }).block(TENANT_A, requestOf("203.0.113.70"))).rejects.toMatchObject({
      kind: "not_found",
      message: "[AWS WAF] 400 WAFNonexistentItemException on GetIPSet: AWS WAF couldn’t perform the operation because your resource doesn’t exist.",
    });
  });
});

describe("the emulator's WAF v2, through the SDK", () => {
  const client = (region = "eu-west-1", credentials = AWS_KEY) =>
    new WAFV2Client({ region, endpoint: emu.wafUrl, credentials, maxAttempts: 1 });
  const v4 = { Name: "mdr-blocked-v4", Scope: "REGIONAL" as const, Id: "0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b" };

  it("GetIPSet answers the set and its LockToken; an update with a stale token is WAFOptimisticLockException, nothing changed", async () => {
    const got = await client().send(new GetIPSetCommand(v4));
    expect(got.IPSet).toEqual({ ...v4, Scope: undefined, ARN: WAF_V4, Description: "Blocked by the SOC", IPAddressVersion: "IPV4", Addresses: ["192.0.2.44/32"] });
    const next = await client().send(new UpdateIPSetCommand({ ...v4, Addresses: ["192.0.2.44/32", "203.0.113.1/32"], LockToken: got.LockToken! }));
    expect(next.NextLockToken).toBe(emu.ipSet(WAF_V4).lockToken);
    expect(next.NextLockToken).not.toBe(got.LockToken);
    await expect(client().send(new UpdateIPSetCommand({ ...v4, Addresses: [], LockToken: got.LockToken! }))).rejects.toMatchObject({
      name: "WAFOptimisticLockException",
      $metadata: { httpStatusCode: 400 },
    });
    // Description left out: cleared, as UpdateIPSet replaces every mutable setting.
    expect(emu.ipSet(WAF_V4)).toMatchObject({ addresses: ["192.0.2.44/32", "203.0.113.1/32"] });
    expect(emu.ipSet(WAF_V4).description).toBeUndefined();
  });

  it.each([
    ["an IPv6 CIDR in the IPv4 set", ["2001:db8::1/128"]],
    ["an address without a prefix", ["203.0.113.1"]],
    ["/0", ["0.0.0.0/0"]],
  ])("refuses %s: WAFInvalidParameterException on IP_ADDRESS", async (_, addresses) => {
    const { LockToken } = await client().send(new GetIPSetCommand(v4));
    await expect(client().send(new UpdateIPSetCommand({ ...v4, Addresses: addresses, LockToken }))).rejects.toMatchObject({
      name: "WAFInvalidParameterException",
      Field: "IP_ADDRESS",
    });
  });

  it("more than 10,000 addresses: WAFLimitsExceededException", async () => {
    const { LockToken } = await client().send(new GetIPSetCommand(v4));
    const addresses = Array.from({ length: 10_001 }, (_, i) => `10.${Math.floor(i / 256) % 256}.${i % 256}.${1 + Math.floor(i / 65_536)}/32`);
    await expect(client().send(new UpdateIPSetCommand({ ...v4, Addresses: addresses, LockToken }))).rejects.toMatchObject({
      name: "WAFLimitsExceededException",
    });
  });

  it("SigV4 checked: an unknown key, a wrong secret, a CLOUDFRONT call outside us-east-1", async () => {
    await expect(client("eu-west-1", { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x" }).send(new GetIPSetCommand(v4))).rejects.toMatchObject({
      name: "UnrecognizedClientException",
    });
    await expect(client("eu-west-1", { ...AWS_KEY, secretAccessKey: "wrong" }).send(new GetIPSetCommand(v4))).rejects.toMatchObject({
      name: "InvalidSignatureException",
    });
    await expect(client().send(new GetIPSetCommand({ ...v4, Scope: "CLOUDFRONT" }))).rejects.toMatchObject({
      name: "WAFInvalidParameterException",
      Field: "SCOPE_VALUE",
    });
  });
});

describe("the emulator's WAF v2 write quota", () => {
  it("one Create, Put or Update call a second per account and region: the next is ThrottlingException; reads are not counted", async () => {
    // Windows 100 times longer (one write per 100 s): the second write is refused however slow the machine.
    const slow = await startEmulator({ ...exampleSeed(), throttle: { scale: 0.01 } });
    try {
      const client = new WAFV2Client({ region: "eu-west-1", endpoint: slow.wafUrl, credentials: AWS_KEY, maxAttempts: 1 });
      const v4 = { Name: "mdr-blocked-v4", Scope: "REGIONAL" as const, Id: "0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b" };
      const first = await client.send(new GetIPSetCommand(v4));
      const next = await client.send(new UpdateIPSetCommand({ ...v4, Addresses: ["203.0.113.1/32"], LockToken: first.LockToken! }));
      await client.send(new GetIPSetCommand(v4));
      await expect(client.send(new UpdateIPSetCommand({ ...v4, Addresses: [], LockToken: next.NextLockToken! }))).rejects.toMatchObject({
        name: "ThrottlingException",
        message: "Rate exceeded",
        $metadata: { httpStatusCode: 400 },
      });
      expect(slow.ipSet(WAF_V4).addresses).toEqual(["203.0.113.1/32"]);
    } finally {
      await slow.close();
    }
  });
});
