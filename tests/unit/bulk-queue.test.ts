// The bulk queue in one process: a queued action is taken exactly once, its expiry counts from when
// it is sent, a call our rate gate has no turn for puts it back (nothing sent), the background
// round sends it when the turn comes, and a crash's unsent target goes back to the queue.
import { describe, expect, it } from "vitest";
import { claimQueued, queuedActions } from "@/lib/db/queries/actions";
import { getActionRow } from "@/lib/mdr/actions";
import { drainQueue } from "@/lib/mdr/bulk/queue";
import { blockIps } from "@/lib/mdr/bulk/requests";
import { getBulkStatus } from "@/lib/mdr/bulk/status";
import { CallGate } from "@/lib/mdr/providers/gate";
import { createSimulatedProviders } from "@/lib/mdr/providers/simulation";
import { absent } from "@/lib/mdr/kinds/verified";
import { BulkBlockIpRequest } from "@/lib/mdr/schemas";
import { actionTimeline } from "@/lib/db/queries/actions";
import { testContext } from "../support/context";

const steps = (ctx: ReturnType<typeof testContext>, id: string) => actionTimeline(ctx.db, id).map((e) => [e.status, e.message]);

/** A context whose Defender calls (its indicator imports too) pass a gate of `limit` calls per `windowMs` (real time). */
function limited(limit: number, windowMs: number) {
  const windows = [{ limit, windowMs }];
  const gate = new CallGate({
    limits: { defender: windows },
    lanes: { defender: { batch: windows } },
    maxQueueWaitMs: 30_000,
    breakerThreshold: 0,
    breakerCooldownMs: 0,
  });
  const base = testContext();
  const providers = createSimulatedProviders({
    failureRate: 0,
    faults: "",
    stepMs: 1000,
    extraDevices: 0,
    nsgPriorityRange: base.config.nsgPriorityRange,
    naclRuleRange: base.config.naclRuleRange,
    now: () => base.clock.now,
    random: () => 0.5,
    gate,
  });
  return testContext({ providers });
}

const ips = (n: number) => Array.from({ length: n }, (_, i) => `185.220.105.${i + 1}`);

describe("the bulk queue", () => {
  it("a list with no turn for all of it: the rest waits queued (nothing sent), then goes when the turn comes", async () => {
    const ctx = limited(1, 6000);
    // A list of Defender blocks is one import call (and a read of the indicators, in its own lane).
    const answer = await blockIps({ ctx, input: BulkBlockIpRequest.parse({ ips: ips(3), firewall_type: "defender", reason: "x" }) });
    expect(answer.status).toBe(207);
    expect(answer.body.results.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);

    // A second list right after it: no turn within the request's 5 s wait (the window is 6 s), so it waits.
    const started = Date.now();
    const waiting = await blockIps({ ctx, input: BulkBlockIpRequest.parse({ ips: ips(5).slice(3), firewall_type: "defender", reason: "y" }) });
    expect(Date.now() - started).toBeLessThan(5_500);
    expect(waiting.status).toBe(202);
    expect(waiting.location).toBe(`/api/v1/mdr/bulk/${waiting.body.bulk_id}`);
    expect(waiting.body.results.map((r) => [r.status, r.http_status])).toEqual([["queued", 202], ["queued", 202]]);
    const status = getBulkStatus(ctx, waiting.body.bulk_id);
    expect(status.counts).toEqual({ queued: 2 });
    expect(Date.parse(status.estimated_done_at!)).toBeGreaterThanOrEqual(Date.now() - 50);
    const first = waiting.body.results[0]!.id!;
    expect(steps(ctx, first)[0]).toEqual(["queued", `Requested by tester; target 1 of 2 of bulk ${waiting.body.bulk_id}; queued`]);

    // The background round, once the window has room: both blocked, in one batch.
    await new Promise((r) => setTimeout(r, 6100));
    expect(await drainQueue(ctx)).toBe(2);
    expect(getBulkStatus(ctx, waiting.body.bulk_id)).toMatchObject({ counts: { succeeded: 2 }, estimated_done_at: null });
    expect(queuedActions(ctx.db, 10)).toEqual([]);
  }, 20_000);

  it("a queued action is taken once: a second claim gets nothing; its expiry moves by the time it waited", async () => {
    const ctx = testContext();
    const answer = await blockIps({ ctx, input: BulkBlockIpRequest.parse({ ips: ips(1), firewall_type: "aws_sg", duration_hours: 1 }) });
    const row = getActionRow(ctx, answer.body.results[0]!.id!)!;
    expect(row.expiresAt! - row.createdAt).toBe(3_600_000);
    // Written queued again by hand, as it would be had it waited: taken 10 s later.
    ctx.db.$client.prepare("update actions set status = 'queued', active = 0 where id = ?").run(row.id);
    ctx.clock.advance(10_000);
    const taken = claimQueued(ctx.db, row.id, ctx.clock.now);
    expect(taken).toMatchObject({ status: "pending", updatedAt: ctx.clock.now, expiresAt: row.expiresAt! + 10_000 - (row.updatedAt - row.createdAt) });
    expect(claimQueued(ctx.db, row.id, ctx.clock.now)).toBeUndefined();
  });

  it("after a crash, a bulk's target verified unsent goes back to the queue; a single action's is failed", async () => {
    const ctx = testContext();
    const answer = await blockIps({ ctx, input: BulkBlockIpRequest.parse({ ips: ips(1), firewall_type: "aws_sg" }) });
    const bulkRow = getActionRow(ctx, answer.body.results[0]!.id!)!;
    absent(ctx, { ...bulkRow, status: "pending" }, "nothing there");
    expect(getActionRow(ctx, bulkRow.id)!.status).toBe("queued");
    expect(steps(ctx, bulkRow.id).at(-1)).toEqual(["queued", `Verified after a restart: nothing there; back in the queue of bulk ${answer.body.bulk_id}`]);
    const single = { ...bulkRow, parameters: { ...bulkRow.parameters, bulk_id: undefined } };
    absent(ctx, single, "nothing there");
    expect(getActionRow(ctx, bulkRow.id)!.status).toBe("failed");
  });
});
