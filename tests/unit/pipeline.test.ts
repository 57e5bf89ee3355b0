import { afterEach, describe, expect, it } from "vitest";
import { MdrError } from "@/lib/errors";
import { changeExpiry } from "@/lib/mdr/kinds/block-ip/change-expiry";
import { recoverOrphans } from "@/lib/mdr/recover";
import { ClosedAction, PartialFailure, getActionDetail, getActionRow, runAction } from "@/lib/mdr/actions";
import { pollMachineActions } from "@/lib/mdr/kinds/isolate-endpoint/poll";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { disableUser } from "@/lib/mdr/kinds/disable-user/disable";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { listActions } from "@/lib/mdr/list-actions";
import { getMetrics } from "@/lib/mdr/metrics";
import type { FaultController } from "@/lib/mdr/providers/simulation";
import { ProviderError } from "@/lib/mdr/providers/types";
import { BlockIpRequest, ChangeExpiryRequest, DisableUserRequest, IsolateRequest } from "@/lib/mdr/schemas";
import { type TestContext, orphanRow, testContext } from "../support/context";

const spec = {
  type: "block_ip" as const,
  target: "203.0.113.9",
  tenantId: "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d",
  provider: "defender" as const,
  parameters: { ip: "203.0.113.9" },
  reason: "test",
};

let contexts: TestContext[] = [];
function ctxFor(opts: Parameters<typeof testContext>[0] = {}): TestContext {
  const ctx = testContext(opts);
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const c of contexts) c.db.$client.close();
  contexts = [];
});

async function caught(p: Promise<unknown>): Promise<MdrError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MdrError) return err;
    throw err;
  }
  throw new Error("expected an MdrError");
}

const timeline = (ctx: TestContext, id: string) =>
  getActionDetail(ctx, id)!.timeline.map((e) => [e.status, e.message]);

describe("the action pipeline", () => {
  it("writes the row as pending before the provider is called", async () => {
    const ctx = ctxFor();
    let seen: unknown;
    const row = await runAction(ctx, spec, async (action) => {
      seen = getActionDetail(ctx, action.id);
      return { status: "succeeded", message: "done", providerRef: "ind-1", active: true };
    });
    expect(seen).toMatchObject({
      id: row.id,
      status: "pending",
      requested_by: "tester",
      completed_at: null,
      timeline: [{ status: "pending", message: "Requested by tester" }],
    });
    expect(getActionRow(ctx, row.id)).toMatchObject({
      status: "succeeded",
      providerRef: "ind-1",
      active: true,
      completedAt: ctx.clock.now,
    });
    expect(timeline(ctx, row.id)).toEqual([
      ["pending", "Requested by tester"],
      ["succeeded", "done"],
    ]);
  });

  it("records a provider failure as failed and answers 503 with the action id", async () => {
    const ctx = ctxFor();
    const err = await caught(
      runAction(ctx, spec, async () => {
        throw new ProviderError("defender", "unavailable", "503 Service Unavailable", { retryAfterSeconds: 7 });
      }),
    );
    expect(err.code).toBe("provider_unavailable");
    expect(err.headers).toEqual({ "retry-after": "7" });
    const id = err.extra.action_id as string;
    expect(err.extra).toEqual({ action_id: id, action_status: "failed" });
    expect(getActionRow(ctx, id)).toMatchObject({
      status: "failed",
      error: "[Defender] 503 Service Unavailable",
      active: false,
      completedAt: ctx.clock.now,
    });
  });

  it("records a missing target as rejected (nothing changed) and answers 404", async () => {
    const ctx = ctxFor();
    const err = await caught(
      runAction(ctx, spec, async () => {
        throw new ProviderError("graph", "not_found", "Resource 'x' does not exist");
      }),
    );
    expect(err.code).toBe("not_found");
    expect(getActionRow(ctx, err.extra.action_id as string)?.status).toBe("rejected");
  });

  it("records an unexpected error as failed without revealing it", async () => {
    const ctx = ctxFor();
    const original = console.error;
    console.error = () => {};
    try {
      const err = await caught(
        runAction(ctx, spec, async () => {
          throw new TypeError("secret internals");
        }),
      );
      expect(err.code).toBe("internal");
      expect(err.message).not.toContain("secret");
      expect(getActionRow(ctx, err.extra.action_id as string)).toMatchObject({ status: "failed" });
    } finally {
      console.error = original;
    }
  });

  it("records a partial failure as failed, keeping what did take effect", async () => {
    const ctx = ctxFor();
    const err = await caught(
      runAction(ctx, spec, async (_a, progress) => {
        progress.note("first step done", { active: true, providerRef: "u-1" });
        throw new PartialFailure("second step failed", new ProviderError("graph", "not_found", "gone"));
      }),
    );
    expect(err.code).toBe("provider_error");
    const id = err.extra.action_id as string;
    expect(getActionRow(ctx, id)).toMatchObject({ status: "failed", active: true, providerRef: "u-1" });
    expect(timeline(ctx, id)).toEqual([
      ["pending", "Requested by tester"],
      ["pending", "first step done"],
      ["failed", "second step failed"],
    ]);
  });

  it("gives up on a provider that does not answer, and still records its late answer", async () => {
    const ctx = ctxFor({ env: { MDR_PROVIDER_TIMEOUT_MS: "100" } });
    let release: () => void = () => {};
    let progressRef: { note: (m: string) => void } | undefined;
    const err = await caught(
      runAction(ctx, spec, (_a, progress) => {
        progressRef = progress;
        return new Promise((resolve) => {
          release = () => resolve({ status: "succeeded", message: "late", active: true });
        });
      }),
    );
    expect(err.code).toBe("provider_timeout");
    const id = err.extra.action_id as string;
    expect(getActionRow(ctx, id)).toMatchObject({
      status: "failed",
      error: "[Defender] no answer within 100 ms; the outcome is unknown",
    });
    // Recorded, then the verb is stopped: nothing more may be done in the name of a closed action.
    expect(() => progressRef!.note("provider answered")).toThrow(ClosedAction);
    release();
    expect(timeline(ctx, id).at(-1)).toEqual(["failed", "provider answered (after the action had been closed)"]);
  });

  it("a call whose own time ran out with the action's is the action's timeout, whichever timer fired first", async () => {
    const ctx = ctxFor({ env: { MDR_PROVIDER_TIMEOUT_MS: "100" } });
    // The call's abort wins the race: the event loop is held past the deadline, so the action's
    // timer has not run when the call fails with its own "no answer in time".
    const err = await caught(
      runAction(ctx, spec, async () => {
        const until = Date.now() + 130;
        while (Date.now() < until);
        throw new ProviderError("defender", "timeout", "no answer in time");
      }),
    );
    expect(err.code).toBe("provider_timeout");
    expect(getActionRow(ctx, err.extra.action_id as string)).toMatchObject({
      status: "failed",
      error: "[Defender] no answer within 100 ms; the outcome is unknown",
    });
    // A call that timed out while the action still had time keeps its own words.
    const early = await caught(
      runAction(ctx, { ...spec, target: "203.0.113.10", parameters: { ip: "203.0.113.10" } }, async () => {
        throw new ProviderError("defender", "timeout", "no answer in time");
      }),
    );
    expect(getActionRow(ctx, early.extra.action_id as string)).toMatchObject({ error: "[Defender] no answer in time" });
  });
});

describe("verbs on the simulated tenant", () => {
  it("isolation goes in_progress, then the poller mirrors Defender until succeeded", async () => {
    const ctx = ctxFor();
    const row = await isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "ws-0142", reason: "beacon" }) });
    expect(row).toMatchObject({ status: "in_progress", active: false, target: "ws-0142" });
    expect(row.result).toEqual({
      machine_id: "792546cf2e567740bf14f0c192a6163af1c517a6",
      computer_dns_name: "ws-0142.corp.contoso.com",
      machine_action_status: "Pending",
    });
    expect(await pollMachineActions(ctx)).toBe(0);
    ctx.clock.advance(1000);
    expect(await pollMachineActions(ctx)).toBe(1);
    expect(getActionRow(ctx, row.id)).toMatchObject({ status: "in_progress", result: { machine_action_status: "InProgress" } });
    ctx.clock.advance(1000);
    expect(await pollMachineActions(ctx)).toBe(1);
    expect(getActionRow(ctx, row.id)).toMatchObject({ status: "succeeded", active: true, completedAt: ctx.clock.now });
    expect(timeline(ctx, row.id)).toEqual([
      ["pending", "Requested by tester"],
      ["pending", "Resolved to device 792546cf2e567740bf14f0c192a6163af1c517a6 (ws-0142.corp.contoso.com)"],
      ["in_progress", `Defender accepted the isolation: machine action ${row.providerRef} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: isolation Succeeded"],
    ]);
  });

  it("an ambiguous host is rejected with its candidates and nothing isolated", async () => {
    const ctx = ctxFor();
    const err = await caught(isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "WS-FINANCE-07" }) }));
    expect(err.code).toBe("ambiguous_target");
    expect(err.extra.candidates).toEqual([
      { id: "577bb136dbdc9997c1472e8957f67d7a224db109", name: "ws-finance-07.corp.contoso.com", last_seen: expect.any(String) },
      { id: "c51370c840812b6e3c1a42178735275ebd913bf9", name: "ws-finance-07.lab.contoso.com", last_seen: expect.any(String) },
    ]);
    expect(getActionRow(ctx, err.extra.action_id as string)).toMatchObject({ status: "rejected", providerRef: null });
  });

  it("disabling a user whose sessions cannot be revoked is a recorded partial failure", async () => {
    const ctx = ctxFor({ env: { MDR_SIM_FAULTS: "graph.revokeSessions=503" } });
    const err = await caught(disableUser({ ctx, input: DisableUserRequest.parse({ upn: "Alice@Contoso.com" }) }));
    expect(err.code).toBe("provider_unavailable");
    const row = getActionRow(ctx, err.extra.action_id as string)!;
    expect(row).toMatchObject({ status: "failed", active: true, target: "alice@contoso.com" });
    expect(row.error).toMatch(/^Partial failure: the account is disabled, but revoking its sign-in sessions failed: \[Graph\]/);
    expect((await ctx.providers.identity.getUser(row.tenantId, "alice@contoso.com")).accountEnabled).toBe(false);
  });
});

describe("block expiry", () => {
  it("ends an expired block with an unblock_ip action by system that reverts it", async () => {
    const ctx = ctxFor();
    const block = await blockIp({
      ctx,
      input: BlockIpRequest.parse({ ip: "198.51.100.0/24", firewall_type: "azure_nsg", duration_hours: 1 }),
    });
    expect(block).toMatchObject({ status: "succeeded", active: true, providerRef: `mdr-block-${block.id}` });
    expect(await sweepExpiredBlocks(ctx)).toBe(0);
    ctx.clock.advance(3_600_000);
    const system = { ...ctx, actor: "system" };
    expect(await sweepExpiredBlocks(system)).toBe(1);
    const [unblock] = listActions({ ctx, query: { type: "unblock_ip", limit: 50 } }).actions;
    expect(unblock).toMatchObject({
      status: "succeeded",
      requested_by: "system",
      reverts: block.id,
      target: "198.51.100.0/24",
      provider: "azure_nsg",
      result: { already_absent: false },
    });
    expect(getActionRow(ctx, block.id)).toMatchObject({ active: false, revertedBy: unblock!.id });
    expect(await sweepExpiredBlocks(system)).toBe(0);
  });

  it("an unblock that keeps failing is retried after 1, 2, 4, 8... sweep intervals, not at every sweep", async () => {
    const ctx = ctxFor({ env: { MDR_SWEEP_INTERVAL_MS: "1000" } });
    const faults = (ctx.providers as unknown as { faults: FaultController }).faults;
    const block = await blockIp({
      ctx,
      input: BlockIpRequest.parse({ ip: "198.51.100.0/24", firewall_type: "azure_nsg", duration_hours: 1 }),
    });
    faults.set("azure_nsg.unblock=503");
    ctx.clock.advance(3_600_000);
    const expiredAt = ctx.clock.now;
    const system = { ...ctx, actor: "system" };
    const attempts = () => listActions({ ctx, query: { type: "unblock_ip", limit: 50 } }).actions;
    const errors = console.error;
    console.error = () => {};
    try {
      // One sweep a second for 40 s.
      for (let s = 0; s < 40; s++) {
        expect(await sweepExpiredBlocks(system)).toBe(0);
        ctx.clock.advance(1000);
      }
    } finally {
      console.error = errors;
    }
    const made = attempts().reverse();
    expect(made.map((a) => Date.parse(a.created_at) - expiredAt)).toEqual([0, 1000, 3000, 7000, 15000, 31000]);
    expect(made.every((a) => a.status === "failed" && a.reverts === block.id)).toBe(true);
    // The provider is back: the next due attempt (32 s after the last) ends the block.
    faults.clear();
    ctx.clock.advance(63_000 - 40_000);
    expect(await sweepExpiredBlocks(system)).toBe(1);
    expect(getActionRow(ctx, block.id)).toMatchObject({ active: false, revertedBy: attempts()[0]!.id });
  });

  it("survives a restart: a block that expired while down is removed from the new process", async () => {
    const first = testContext();
    const block = await blockIp({ ctx: first, input: BlockIpRequest.parse({ ip: "185.220.101.50", duration_hours: 0.5 }) });
    const file = first.db.$client.name;
    first.db.$client.close();

    const restarted = ctxFor({ dbPath: file, actor: "system", start: first.clock.now + 3_600_000 });
    expect(await sweepExpiredBlocks(restarted)).toBe(1);
    const detail = getActionDetail(restarted, block.id)!;
    expect(detail.active).toBe(false);
    expect(detail.reverted_by).toMatch(/^act_/);
    expect(getActionRow(restarted, detail.reverted_by!)).toMatchObject({
      type: "unblock_ip",
      status: "succeeded",
      requestedBy: "system",
      result: { already_absent: true },
    });
  });
});

describe("metrics", () => {
  it("counts by type and status, success rate, completion times and what is contained", async () => {
    const ctx = ctxFor();
    await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.1" }) });
    await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.2", firewall_type: "aws_sg" }) });
    const iso = await isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "ws-0143" }) });
    await caught(isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "no-such-host" }) }));
    ctx.clock.advance(2000);
    await pollMachineActions(ctx);
    expect(getActionRow(ctx, iso.id)?.status).toBe("succeeded");
    const m = getMetrics({ ctx, hours: 24 });
    expect(m.total).toBe(4);
    expect(m.by_type.block_ip).toBe(2);
    expect(m.by_type.isolate_endpoint).toBe(2);
    expect(m.by_status).toEqual({ queued: 0, pending: 0, in_progress: 0, succeeded: 3, failed: 0, rejected: 1 });
    expect(m.by_type_and_status.isolate_endpoint).toEqual({ queued: 0, pending: 0, in_progress: 0, succeeded: 1, failed: 0, rejected: 1 });
    expect(m.success_rate).toBe(1);
    expect(m.time_to_completion_ms).toEqual({ median: 0, p90: 2000 });
    expect(m.contained_now).toEqual({ isolated_endpoints: 1, active_ip_blocks: 2, disabled_users: 0 });
    expect(m.per_hour).toHaveLength(24);
    expect(m.per_hour.at(-1)).toEqual({ hour: new Date(ctx.clock.now - 3_600_000).toISOString(), count: 4 });
    ctx.clock.advance(25 * 3_600_000);
    const later = getMetrics({ ctx, hours: 24 });
    expect(later.total).toBe(0);
    expect(later.contained_now).toEqual({ isolated_endpoints: 1, active_ip_blocks: 0, disabled_users: 0 });
  });

  it("puts each action in the hour it was made, whatever the minute", async () => {
    const ctx = ctxFor();
    const start = ctx.clock.now;
    // 0 h 10 min, 1 h 50 min and 5 h 30 min into a 6-hour window that ends 1 min after the last.
    for (const [i, minutes] of [10, 110, 330].entries()) {
      ctx.clock.now = start + minutes * 60_000;
      await blockIp({ ctx, input: BlockIpRequest.parse({ ip: `185.220.101.${10 + i}` }) });
    }
    ctx.clock.now = start + 6 * 3_600_000;
    const m = getMetrics({ ctx, hours: 6 });
    expect(m.per_hour.map((h) => h.count)).toEqual([1, 1, 0, 0, 0, 1]);
    expect(m.total).toBe(3);
  });
});

describe("duplicates: the audit log first, no provider call", () => {
  /** Counts the simulated provider calls made while `work` runs. */
  async function calls(ctx: TestContext, work: () => Promise<unknown>): Promise<number> {
    const gate = ctx.providers.gate;
    const enter = gate.enter.bind(gate);
    let n = 0;
    gate.enter = (service, tenant) => {
      n++;
      return enter(service, tenant);
    };
    try {
      await work();
    } finally {
      gate.enter = enter;
    }
    return n;
  }

  it.each([
    ["an isolation in progress", "isolate"],
    ["a block in effect", "block"],
    ["a disabled account", "disable"],
  ])("%s: 409 naming the holder, recorded rejected, nothing sent", async (_name, kind) => {
    const ctx = ctxFor();
    const run = {
      isolate: () => isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "ws-0142" }) }),
      block: () => blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.7", firewall_type: "aws_sg" }) }),
      disable: () => disableUser({ ctx, input: DisableUserRequest.parse({ upn: "bob@contoso.com" }) }),
    }[kind]!;
    const holder = await run();
    let err: MdrError | undefined;
    expect(await calls(ctx, async () => (err = await caught(run())))).toBe(0);
    expect(err!.code).toBe("conflict");
    expect(err!.extra).toEqual({ holder_action_id: holder.id, action_id: expect.any(String), action_status: "rejected" });
    expect(getActionRow(ctx, err!.extra.action_id as string)).toMatchObject({ status: "rejected", error: err!.message });
    expect(err!.message).toContain(holder.id);
  });

  it("the same device by its machine id: found after resolving it, before the isolation is sent", async () => {
    const ctx = ctxFor();
    const first = await isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: "ws-0142" }) });
    const err = await caught(
      isolateEndpoint({ ctx, input: IsolateRequest.parse({ machine_id: "792546cf2e567740bf14f0c192a6163af1c517a6" }) }),
    );
    expect(err.extra.holder_action_id).toBe(first.id);
    expect(err.message).toBe(
      `792546cf2e567740bf14f0c192a6163af1c517a6 is already being isolated by ${first.id} (in progress); nothing was sent to Defender`,
    );
  });

  it("a block on another firewall, or once the first has ended, goes ahead", async () => {
    const ctx = ctxFor();
    const first = await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.8", duration_hours: 1 }) });
    await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.8", firewall_type: "aws_sg" }) });
    ctx.clock.advance(3_600_000);
    await sweepExpiredBlocks({ ...ctx, actor: "system" });
    expect(getActionRow(ctx, first.id)?.active).toBe(false);
    const again = await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.8" }) });
    expect(again.status).toBe("succeeded");
  });
});

describe("crash recovery", () => {
  const orphan = orphanRow;

  it("a block the provider has is completed as succeeded and active; one it lacks is failed, verified absent", async () => {
    const ctx = ctxFor();
    const made = orphan(ctx, { target: "185.220.101.9" });
    // The provider got the call before the crash.
    await ctx.providers.firewalls.defender.block(made.tenantId, {
      actionId: made.id,
      address: made.target,
      expiresAt: new Date(made.expiresAt!),
      description: "x",
    });
    const lost = orphan(ctx, { target: "198.51.100.0/24", provider: "aws_sg" });
    expect(await recoverOrphans(ctx, ctx.clock.now)).toBe(2);
    expect(getActionRow(ctx, made.id)).toMatchObject({ status: "succeeded", active: true, providerRef: "4201" });
    expect(timeline(ctx, made.id)).toEqual([
      [
        "succeeded",
        `Verified after a restart: Submitted 185.220.101.9 to Defender for Endpoint (IP indicator) as a Block IP indicator (4201) until ${new Date(made.expiresAt!).toISOString()}: devices enforce it only with network protection in block mode and Custom network indicators on (Settings > Endpoints > General > Advanced features); it can take up to 48 hours to reach them, usually under 2`,
      ],
    ]);
    const message = `Verified after a restart: AWS network ACL has no rule for 198.51.100.0/24 from ${lost.id}; nothing was blocked`;
    expect(getActionRow(ctx, lost.id)).toMatchObject({ status: "failed", active: false, error: message });
  });

  it("an isolation Defender accepted is followed from its machine action; rows made after the start are left alone", async () => {
    const ctx = ctxFor();
    const machine = "792546cf2e567740bf14f0c192a6163af1c517a6";
    const sent = orphan(ctx, { type: "isolate_endpoint", target: "ws-0142", parameters: { hostname: "ws-0142", machine_id: null } });
    const ma = await ctx.providers.endpoint.isolate(sent.tenantId, machine, { comment: `MDR ${sent.id} by tester: x`, isolationType: "Full" });
    const fresh = orphan(ctx, { type: "disable_user", target: "bob@contoso.com", createdAt: ctx.clock.now + 1 });
    expect(await recoverOrphans(ctx, ctx.clock.now)).toBe(1);
    expect(getActionRow(ctx, sent.id)).toMatchObject({ status: "in_progress", providerRef: ma.id, result: { machine_id: machine } });
    expect(getActionRow(ctx, fresh.id)?.status).toBe("pending");
    ctx.clock.advance(2000);
    await pollMachineActions(ctx);
    expect(getActionRow(ctx, sent.id)).toMatchObject({ status: "succeeded", active: true });
  });

  it("a provider it cannot reach leaves the row pending for the next round", async () => {
    const ctx = ctxFor({ env: { MDR_SIM_FAULTS: "graph:down" } });
    const row = orphan(ctx, { type: "disable_user", target: "bob@contoso.com", provider: "graph", parameters: { upn: "bob@contoso.com", revoke_sessions: true } });
    const errors = console.error;
    console.error = () => {};
    try {
      expect(await recoverOrphans(ctx, ctx.clock.now)).toBe(0);
    } finally {
      console.error = errors;
    }
    expect(getActionRow(ctx, row.id)?.status).toBe("pending");
  });
});

describe("changing a block's expiry", () => {
  it("moves expires_at and the indicator's expiry, as a timeline step", async () => {
    const ctx = ctxFor();
    const block = await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.10", duration_hours: 1 }) });
    const to = new Date(ctx.clock.now + 5 * 3_600_000).toISOString();
    const changed = await changeExpiry({ ctx, id: block.id, input: ChangeExpiryRequest.parse({ expires_at: to, reason: "still active" }) });
    expect(changed).toMatchObject({ expiresAt: Date.parse(to), result: { indicator_id: "4201", expiration_time: to } });
    expect(timeline(ctx, block.id).at(-1)).toEqual([
      "succeeded",
      `Expiry changed from ${new Date(block.expiresAt!).toISOString()} to ${to} (indicator 4201 updated at Defender) by tester: still active`,
    ]);
    const found = await ctx.providers.firewalls.defender.findBlock(block.tenantId, block.id, block.target, block.result);
    expect(found?.details.expiration_time).toBe(to);
  });

  it.each([
    ["in the past", -1000, "must be in the future (it is now 2026-11-28T12:00:00.000Z)"],
    ["more than a year away", 8760 * 3_600_000 + 1000, "must be at most 8760 hours (one year) from now"],
  ])("refuses an expiry %s: 422 on expires_at", async (_n, offset, message) => {
    const ctx = ctxFor();
    const block = await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "185.220.101.11", duration_hours: 1 }) });
    const err = await caught(
      changeExpiry({ ctx, id: block.id, input: ChangeExpiryRequest.parse({ expires_at: new Date(ctx.clock.now + offset).toISOString() }) }),
    );
    expect(err.errors).toEqual([{ path: "expires_at", message }]);
  });
});
