// Blocking addresses on an AWS WAF v2 IP set (`firewall_type: aws_waf`) through the production
// server in live mode, against the emulator's WAF: the calls received (GetIPSet, UpdateIPSet with
// the LockToken just read), the set's addresses, the rows and timelines, the undo and the expiry
// sweep removing only their own address, a lost LockToken race, and the IPv6 set.
import { beforeEach, describe, expect, it } from "vitest";
import { AWS_KEY, WAF_V4, WAF_V6 } from "../emulator/fixtures";
import type { RecordedRequest } from "../emulator/server";
import { eventually } from "../support/server";
import { type Json, allActions, anyIso, detail, expectAction, get, post, steps, withoutTimeline } from "./helpers";
import { REGION, expireSoon, freshLive, hold, liveAction, liveEnv, liveSetup, mark, releaseHeld, settledRow, since } from "./live";

const live = liveSetup({
  name: "live-waf",
  // The emulator's one-write-a-second WAF quota is proven in tests/unit/waf.test.ts; here the
  // calls are counted exactly, and a pause of the emulator's event loop must not turn into a 429.
  emulator: { throttle: false },
  env: (emu) =>
    liveEnv(emu, {
      AWS_WAF_IPV4_SET_ARN: WAF_V4,
      AWS_WAF_IPV6_SET_ARN: WAF_V6,
      AWS_ENDPOINT_URL_WAFV2: emu.urls.waf,
      MDR_RATE_LIMIT_AWS_WAF: "20/1s",
    }),
});
beforeEach(() => freshLive(live));

const BLOCK = "/api/v1/mdr/block-ip";
const V4_SET = { Name: "mdr-blocked-v4", Scope: "REGIONAL", Id: "0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b" };
const SIGV4 = { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: REGION, service: "wafv2" };
const set = (arn = WAF_V4) => live().emu.ipSet(arn);

/** A WAF call as asserted: the operation, the body sent, the status answered. */
const waf = (r: RecordedRequest) => ({ action: r.action, body: r.body, status: r.status });
const wafCalls = (from: number) => since(live().emu, from, { service: "wafv2" });

/** A block row on the WAF as the API answers it. */
function wafBlockRow(ip: string, cidr: string, arn: string, name: string, over: Record<string, unknown> = {}, alreadyPresent = false) {
  return liveAction({
    type: "block_ip",
    status: "succeeded",
    target: ip,
    provider: "aws_waf",
    parameters: { ip, firewall_type: "aws_waf", priority: null, duration_hours: 24 },
    provider_ref: `${arn}#${cidr}${alreadyPresent ? "#already-present" : ""}`,
    result: { ip_set_arn: arn, ip_set: name, cidr, already_present: alreadyPresent },
    active: true,
    completed_at: anyIso(),
    expires_at: anyIso(),
    ...over,
  });
}

function revert(id: string, body: unknown = { reason: "false positive" }) {
  return post(live().server, `/api/v1/mdr/actions/${id}/revert`, body);
}

/** The unblock row a revert of `block` answers. */
function unblockRow(block: Json, reason: string | null = "false positive") {
  return liveAction({
    type: "unblock_ip",
    status: "succeeded",
    target: block.target,
    provider: "aws_waf",
    parameters: { ip: block.target, firewall_type: "aws_waf", block_action_id: block.id, rule: block.provider_ref },
    reason,
    provider_ref: block.provider_ref,
    result: { already_absent: false },
    completed_at: anyIso(),
    reverts: block.id,
  });
}

describe("live block-ip: AWS WAF IP set", () => {
  it("GetIPSet, then UpdateIPSet with the set's addresses plus the /32 and the LockToken just read; 201, the row names the set", async () => {
    const { emu, server } = live();
    const token = set().lockToken;
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.7", firewall_type: "aws_waf", reason: "credential stuffing" });
    expectAction(r, 201, wafBlockRow("203.0.113.7", "203.0.113.7/32", WAF_V4, "mdr-blocked-v4", { reason: "credential stuffing" }));
    const calls = wafCalls(from);
    expect(calls.map(waf)).toEqual([
      { action: "GetIPSet", body: V4_SET, status: 200 },
      {
        action: "UpdateIPSet",
        body: { ...V4_SET, Description: "Blocked by the SOC", Addresses: ["192.0.2.44/32", "203.0.113.7/32"], LockToken: token },
        status: 200,
      },
    ]);
    for (const c of calls) {
      expect(c.auth).toEqual(SIGV4);
      expect(c.headers["x-amz-target"]).toBe(`AWSWAF_20190729.${c.action}`);
    }
    // Nothing else was asked of any service.
    expect(since(emu, from).filter((c) => c.service !== "wafv2")).toEqual([]);
    expect(set().addresses).toEqual(["192.0.2.44/32", "203.0.113.7/32"]);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 203.0.113.7 on AWS WAF IP set (${WAF_V4}#203.0.113.7/32) until ${r.body.expires_at}`],
    ]);
  });

  it("an IPv6 address goes to the IPv6 set as /128; a range as given", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const v6 = await post(server, BLOCK, { ip: "2001:db8::7", firewall_type: "aws_waf" });
    expectAction(v6, 201, wafBlockRow("2001:db8::7", "2001:db8::7/128", WAF_V6, "mdr-blocked-v6"));
    const range = await post(server, BLOCK, { ip: "198.51.100.0/24", firewall_type: "aws_waf" });
    expectAction(range, 201, wafBlockRow("198.51.100.0/24", "198.51.100.0/24", WAF_V4, "mdr-blocked-v4"));
    expect(wafCalls(from).map((c) => [c.action, (c.body as { Name: string }).Name, c.status])).toEqual([
      ["GetIPSet", "mdr-blocked-v6", 200],
      ["UpdateIPSet", "mdr-blocked-v6", 200],
      ["GetIPSet", "mdr-blocked-v4", 200],
      ["UpdateIPSet", "mdr-blocked-v4", 200],
    ]);
    expect(set(WAF_V6).addresses).toEqual(["2001:db8::7/128"]);
    expect(set(WAF_V4).addresses).toEqual(["192.0.2.44/32", "198.51.100.0/24"]);
  });

  it("revert: the address removed with the LockToken just read; another block's address and the hand-made entry untouched", async () => {
    const { emu, server } = live();
    const first = await post(server, BLOCK, { ip: "203.0.113.7", firewall_type: "aws_waf" });
    const second = await post(server, BLOCK, { ip: "203.0.113.8", firewall_type: "aws_waf" });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(set().addresses).toEqual(["192.0.2.44/32", "203.0.113.7/32", "203.0.113.8/32"]);
    const blockDetail = await detail(server, first.body.id);
    const token = set().lockToken;
    const from = mark(emu);
    const r = await revert(first.body.id);
    expectAction(r, 201, unblockRow(first.body));
    expect(wafCalls(from).map(waf)).toEqual([
      { action: "GetIPSet", body: V4_SET, status: 200 },
      {
        action: "UpdateIPSet",
        body: { ...V4_SET, Description: "Blocked by the SOC", Addresses: ["192.0.2.44/32", "203.0.113.8/32"], LockToken: token },
        status: 200,
      },
    ]);
    expect(set().addresses).toEqual(["192.0.2.44/32", "203.0.113.8/32"]);
    const unblock = await detail(server, r.body.id);
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Removed rule ${WAF_V4}#203.0.113.7/32 from AWS WAF IP set`],
    ]);
    const after = await detail(server, first.body.id);
    expect(withoutTimeline(after)).toEqual({ ...withoutTimeline(blockDetail), active: false, reverted_by: r.body.id, updated_at: unblock.completed_at });
    // The other block is still in force.
    expect(withoutTimeline(await detail(server, second.body.id))).toMatchObject({ active: true, reverted_by: null });
  });

  it("a lost LockToken race: read again, retried, succeeded; exactly two UpdateIPSet calls, the other writer's address kept", async () => {
    const { emu, server } = live();
    emu.raceIpSetUpdates(WAF_V4, 1, (addresses) => [...addresses, "198.51.100.20/32"]);
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "203.0.113.30", firewall_type: "aws_waf" });
    expectAction(r, 201, wafBlockRow("203.0.113.30", "203.0.113.30/32", WAF_V4, "mdr-blocked-v4"));
    const calls = wafCalls(from);
    expect(calls.map((c) => [c.action, c.status, (c.responseBody as { __type?: string }).__type ?? null])).toEqual([
      ["GetIPSet", 200, null],
      ["UpdateIPSet", 400, "WAFOptimisticLockException"],
      ["GetIPSet", 200, null],
      ["UpdateIPSet", 200, null],
    ]);
    // The second write carries the token of the second read, and the other writer's address.
    expect((calls[3]!.body as { LockToken: string }).LockToken).toBe((calls[2]!.responseBody as { LockToken: string }).LockToken);
    expect(set().addresses).toEqual(["192.0.2.44/32", "198.51.100.20/32", "203.0.113.30/32"]);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Blocked 203.0.113.30 on AWS WAF IP set (${WAF_V4}#203.0.113.30/32) until ${r.body.expires_at}`],
    ]);
  });

  it("an address the set already held: 201, recorded already_present, nothing written; its revert leaves it in the set", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "192.0.2.44", firewall_type: "aws_waf" });
    expectAction(r, 201, wafBlockRow("192.0.2.44", "192.0.2.44/32", WAF_V4, "mdr-blocked-v4", {}, true));
    const undo = await revert(r.body.id);
    expectAction(undo, 201, unblockRow(r.body));
    expect(wafCalls(from).map((c) => c.action)).toEqual(["GetIPSet", "GetIPSet"]);
    expect(set().addresses).toEqual(["192.0.2.44/32"]);
  });

  it("at its expiry the sweep removes only its own address (an unblock_ip by system)", async () => {
    const { server } = live();
    const mine = await post(server, BLOCK, { ip: "203.0.113.40", firewall_type: "aws_waf", duration_hours: 1 });
    const other = await post(server, BLOCK, { ip: "203.0.113.41", firewall_type: "aws_waf", duration_hours: 1 });
    expect([mine.status, other.status]).toEqual([201, 201]);
    await expireSoon(server, mine.body.id, 500);
    const ended = await eventually(
      async () => {
        const d = await detail(server, mine.body.id);
        return d.reverted_by ? d : undefined;
      },
      15_000,
      "the sweep to end the block",
    );
    const unblock = await detail(server, ended.reverted_by);
    expect(withoutTimeline(unblock)).toEqual({ ...unblockRow(mine.body, null), requested_by: "system", reason: expect.any(String) });
    expect(set().addresses).toEqual(["192.0.2.44/32", "203.0.113.41/32"]);
  });

  it("/status probes the first set (one GetIPSet): aws_waf up", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await get(server, "/api/v1/mdr/status");
    expect(r.status).toBe(200);
    expect(r.body.services.aws_waf).toEqual({ status: "up", latency_ms: expect.any(Number), error: null });
    expect(wafCalls(from).map(waf)).toEqual([{ action: "GetIPSet", body: V4_SET, status: 200 }]);
  });
});

describe("live block-ip on AWS WAF: a server killed while UpdateIPSet is at WAF", () => {
  const VERIFIED = "Verified after a restart";

  /** Posts a block whose UpdateIPSet WAF holds, kills the server once it is held, and returns the row left pending. */
  async function cutOff(ip: string, extra: { dropConnection?: boolean } = {}) {
    const { emu, server } = live();
    const release = hold(emu, "waf:UpdateIPSet", extra);
    const from = mark(emu);
    const cut = post(server, BLOCK, { ip, firewall_type: "aws_waf" }).catch((err: unknown) => err);
    await eventually(async () => (wafCalls(from).some((c) => c.action === "UpdateIPSet") ? true : undefined), 10_000, "UpdateIPSet to reach WAF");
    const orphan = (await allActions(server)).find((a) => a.target === ip)!;
    await server.stop("SIGKILL");
    expect(await cut).toBeInstanceOf(Error);
    await releaseHeld(release);
    return orphan;
  }

  it("WAF wrote the set after the kill: at start the CIDR is found in the set recorded before the write, succeeded, nothing written again", async () => {
    const { emu, server } = live();
    const orphan = await cutOff("203.0.113.90");
    // What the block recorded before its write: where to look after a crash.
    expect(orphan).toMatchObject({ status: "pending", result: { ip_set_arn: WAF_V4, cidr: "203.0.113.90/32", already_present: 0 } });
    expect(set().addresses).toEqual(["192.0.2.44/32", "203.0.113.90/32"]);
    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    const ref = `${WAF_V4}#203.0.113.90/32`;
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "succeeded",
      active: true,
      provider_ref: ref,
      result: { ip_set_arn: WAF_V4, ip_set: "mdr-blocked-v4", cidr: "203.0.113.90/32", already_present: false },
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled).at(-1)).toEqual(["succeeded", `${VERIFIED}: Blocked 203.0.113.90 on AWS WAF IP set (${ref}) until ${orphan.expires_at}`]);
    expect(wafCalls(restart).filter((c) => c.action === "UpdateIPSet")).toEqual([]);
    expect(set().updates).toBe(1);
  }, 60_000);

  it("the UpdateIPSet never reached the set (connection dropped): at start the CIDR is not there, failed (verified), the set as it was", async () => {
    const { server } = live();
    const orphan = await cutOff("203.0.113.91", { dropConnection: true });
    expect(set().addresses).toEqual(["192.0.2.44/32"]);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    const message = `${VERIFIED}: AWS WAF IP set has no rule for 203.0.113.91 from ${orphan.id}; nothing was blocked`;
    expect(withoutTimeline(settled)).toMatchObject({ status: "failed", active: false, error: message });
    expect(steps(settled).at(-1)).toEqual(["failed", message]);
    expect(set().addresses).toEqual(["192.0.2.44/32"]);
  }, 60_000);
});
