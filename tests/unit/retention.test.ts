// Retention of the audit log: what is old and final goes, with its timeline and its links; what
// must stay (running, in force, newer, or after a kept record in the chain) stays; the rest still
// verifies from the signed cut, and any change to it is still named.
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { signingKey, verifyAudit } from "@/lib/audit/chain";
import { PRUNE_BATCH_LINKS, pruneAudit } from "@/lib/audit/retention";
import { recordAudit } from "@/lib/auth/audit";
import { dbFile } from "@/lib/db/client";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { pollMachineActions } from "@/lib/mdr/kinds/isolate-endpoint/poll";
import { revertAction } from "@/lib/mdr/revert-action";
import { BlockIpRequest, IsolateRequest } from "@/lib/mdr/schemas";
import { type TestContext, testContext } from "../support/context";

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A connection of its own on the context's file (as the sqlite3 tool would open it). */
function sql<T>(ctx: TestContext, work: (db: Database.Database) => T): T {
  const db = new Database(dbFile(ctx.db)!);
  db.pragma("foreign_keys = OFF");
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const ids = (ctx: TestContext) => sql(ctx, (db) => db.prepare("select id from actions order by id").pluck().all() as string[]);
const firstLinkOf = (ctx: TestContext, id: string) =>
  sql(ctx, (db) => db.prepare("select min(seq) from audit_chain where kind = 'action' and ref = ?").pluck().get(id) as number);
const linkCount = (ctx: TestContext) => sql(ctx, (db) => db.prepare("select count(*) from audit_chain").pluck().get() as number);
const minLink = (ctx: TestContext) => sql(ctx, (db) => db.prepare("select min(seq) from audit_chain").pluck().get() as number);
const verify = async (ctx: TestContext) => verifyAudit(ctx.db, signingKey(ctx.config, ctx.db), ctx.now);
const prune = (ctx: TestContext, dryRun = false) =>
  pruneAudit(ctx.db, signingKey(ctx.config, ctx.db), { days: 5, now: ctx.now, actor: "tester", dryRun, pause: async () => {} });

async function block(ctx: TestContext, ip: string, hours: number) {
  return blockIp({ ctx, input: BlockIpRequest.parse({ ip, duration_hours: hours, reason: "retention test" }) });
}

async function isolate(ctx: TestContext, hostname: string) {
  return isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname, reason: "retention test" }) });
}

/** Polls Defender's machine actions until none moves (the simulation takes a step a second). */
async function settleIsolations(ctx: TestContext) {
  for (let i = 0; i < 4; i++) {
    ctx.clock.advance(1000);
    await pollMachineActions(ctx);
  }
}

describe("audit retention", () => {
  it("deletes old final actions with their timelines and old security events, never past a kept record; verifies after; a second prune later too", async () => {
    const ctx = testContext();
    const store = { db: ctx.db, now: ctx.now };
    // Day 0: a security event, a block that ends (its unblock), an isolation still in force, then a
    // block that ends: old and final, but written after the isolation that must stay.
    recordAudit(store, { event: "token_created", actor: "user:admin", subject: "tok_old" });
    const a1 = await block(ctx, "185.220.101.1", 1);
    ctx.clock.advance(2 * HOUR);
    expect(await sweepExpiredBlocks(ctx)).toBe(1);
    const a3 = await isolate(ctx, "ws-0143");
    await settleIsolations(ctx);
    const a5 = await block(ctx, "185.220.101.5", 1);
    ctx.clock.advance(2 * HOUR);
    expect(await sweepExpiredBlocks(ctx)).toBe(1);
    recordAudit(store, { event: "token_revoked", actor: "user:admin", subject: "tok_old" });
    const [, u1] = ids(ctx).filter((id) => id !== a3.id && id !== a5.id);
    const u5 = ids(ctx).at(-1)!;
    expect(sql(ctx, (db) => db.prepare("select id, type, status, active from actions order by id").all())).toEqual([
      { id: a1.id, type: "block_ip", status: "succeeded", active: 0 },
      { id: u1, type: "unblock_ip", status: "succeeded", active: 0 },
      { id: a3.id, type: "isolate_endpoint", status: "succeeded", active: 1 },
      { id: a5.id, type: "block_ip", status: "succeeded", active: 0 },
      { id: u5, type: "unblock_ip", status: "succeeded", active: 0 },
    ]);
    const eventsOf = (id: string) => sql(ctx, (db) => db.prepare("select count(*) from action_events where action_id = ?").pluck().get(id) as number);
    const removedEvents = eventsOf(a1.id) + eventsOf(u1!);
    const linksBefore = linkCount(ctx);

    ctx.clock.advance(10 * DAY);
    const cut = firstLinkOf(ctx, a3.id) - 1;
    // A dry run says what would go and deletes nothing.
    const dry = await prune(ctx, true);
    expect(dry).toEqual({
      cutoff: new Date(ctx.now() - 5 * DAY).toISOString(),
      cut,
      previous: 0,
      removed: { actions: 2, actionEvents: removedEvents, auditEvents: 1, links: cut },
      dryRun: true,
      seconds: expect.any(Number),
    });
    expect(linkCount(ctx)).toBe(linksBefore);

    const first = await prune(ctx);
    expect(first).toEqual({ ...dry, dryRun: false, seconds: expect.any(Number) });
    // The cut is the link before the isolation still in force: the blocks after it stay, however old.
    expect(ids(ctx)).toEqual([a3.id, a5.id, u5]);
    expect(eventsOf(a1.id) + eventsOf(u1!)).toBe(0);
    expect(sql(ctx, (db) => db.prepare("select event, subject from audit_events order by id").all())).toEqual([
      { event: "token_revoked", subject: "tok_old" },
      { event: "audit_pruned", subject: null },
    ]);
    expect(sql(ctx, (db) => db.prepare("select actor, detail from audit_events where event = 'audit_pruned'").get())).toEqual({
      actor: "tester",
      detail: JSON.stringify({
        before: dry.cutoff,
        retention_days: 5,
        cut_seq: cut,
        actions: 2,
        action_events: removedEvents,
        audit_events: 1,
        links: cut,
      }),
    });
    expect(minLink(ctx)).toBe(cut + 1);
    expect(sql(ctx, (db) => db.prepare("select seq, reason from audit_checkpoints where reason = 'prune'").all())).toEqual([{ seq: cut, reason: "prune" }]);
    const v = await verify(ctx);
    expect({ ok: v.ok, problems: v.problems, records: v.records }).toEqual({ ok: true, problems: [], records: linksBefore - cut + 1 });

    // Nothing more to go: a prune at once removes nothing and signs no second cut.
    expect((await prune(ctx)).removed).toEqual({ actions: 0, actionEvents: 0, auditEvents: 0, links: 0 });
    expect(sql(ctx, (db) => db.prepare("select count(*) from audit_checkpoints where reason = 'prune'").pluck().get())).toBe(1);

    // Tampering with what remains is still named: a changed row, a deleted event, a row inserted
    // with an id of the pruned part.
    sql(ctx, (db) => db.prepare("update actions set target = '185.220.101.99' where id = ?").run(a5.id));
    expect((await verify(ctx)).problem).toBe(`actions ${a5.id}: row differs from the state its last event recorded`);
    sql(ctx, (db) => db.prepare("update actions set target = '185.220.101.5' where id = ?").run(a5.id));
    const kept = sql(ctx, (db) => db.prepare("select * from action_events where action_id = ? order by id limit 1").get(u5)) as Record<string, unknown>;
    const keptSeq = sql(ctx, (db) => db.prepare("select seq from audit_chain where kind = 'event' and ref = ?").pluck().get(String(kept.id)));
    sql(ctx, (db) => db.prepare("delete from action_events where id = ?").run(kept.id));
    expect((await verify(ctx)).problem).toBe(`action_events id ${kept.id} missing: deleted: the chain holds it at link ${keptSeq}`);
    sql(ctx, (db) => db.prepare("insert into action_events (id, action_id, at, status, message) values (@id, @action_id, @at, @status, @message)").run(kept));
    sql(ctx, (db) =>
      db.prepare("insert into action_events (id, action_id, at, status, message) values (1, ?, ?, 'succeeded', 'Approved')").run(a5.id, ctx.now()),
    );
    expect((await verify(ctx)).problem).toBe("action_events id 1: not in the chain: written outside the application");
    sql(ctx, (db) => db.prepare("delete from action_events where id = 1").run());
    // Moving the cut is caught: its checkpoint is signed.
    sql(ctx, (db) => db.prepare("update audit_checkpoints set seq = seq + 1 where reason = 'prune'").run());
    expect((await verify(ctx)).problem).toMatch(/^checkpoint \d+: signature invalid$/);
    sql(ctx, (db) => db.prepare("update audit_checkpoints set seq = seq - 1 where reason = 'prune'").run());
    expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });

    // The isolation is released, then a new block (in force) is made; ten days on, everything
    // before the new block goes, and the log verifies from the second cut.
    await revertAction({ ctx, id: a3.id, reason: "host reimaged" });
    await settleIsolations(ctx);
    const a6 = await block(ctx, "185.220.101.6", 24 * 365);
    ctx.clock.advance(10 * DAY);
    const second = await prune(ctx);
    expect(second).toMatchObject({ previous: cut, cut: firstLinkOf(ctx, a6.id) - 1, removed: { actions: 4, auditEvents: 2 } });
    expect(ids(ctx)).toEqual([a6.id]);
    expect(sql(ctx, (db) => db.prepare("select seq from audit_checkpoints where reason = 'prune' order by id").pluck().all())).toEqual([cut, second.cut]);
    expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });
  });

  it("keeps a row still running, and a block in force, and everything written after either, however old", async () => {
    for (const first of ["running", "in force"] as const) {
      const ctx = testContext();
      const kept =
        first === "running"
          ? await isolate(ctx, "ws-0142") // in_progress: never polled
          : await block(ctx, "185.220.101.20", 24 * 365);
      expect({ status: kept.status, active: kept.active }).toEqual(first === "running" ? { status: "in_progress", active: false } : { status: "succeeded", active: true });
      const ended = await block(ctx, "185.220.101.21", 1);
      ctx.clock.advance(2 * HOUR);
      expect(await sweepExpiredBlocks(ctx)).toBe(1);
      const before = ids(ctx);
      expect(before).toHaveLength(3);
      expect(before.slice(0, 2)).toEqual([kept.id, ended.id]);
      const links = linkCount(ctx);
      ctx.clock.advance(30 * DAY);
      expect((await prune(ctx)).removed).toEqual({ actions: 0, actionEvents: 0, auditEvents: 0, links: 0 });
      expect(ids(ctx)).toEqual(before);
      expect(linkCount(ctx)).toBe(links);
      expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });
    }
  });

  it("an old action changed after the cut stays whole (its row and its timeline)", async () => {
    const ctx = testContext();
    const old = await block(ctx, "185.220.101.30", 1);
    ctx.clock.advance(10 * DAY);
    // Its expiry is swept ten days later: the block's row changes now, after the cutoff.
    await sweepExpiredBlocks(ctx);
    ctx.clock.advance(DAY);
    expect((await prune(ctx)).removed.links).toBe(0);
    expect(ids(ctx)[0]).toBe(old.id);
    expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });
  });

  it("a prune stopped half-way still verifies, and the next one finishes it", async () => {
    const ctx = testContext();
    // Enough old actions for several batches, then one in force.
    for (let i = 0; i < Math.ceil((PRUNE_BATCH_LINKS * 2.5) / 8); i++) {
      await block(ctx, `185.220.${100 + Math.floor(i / 250)}.${i % 250}`, 0.5);
      if (i % 500 === 499) ctx.clock.advance(61_000); // the actor's rate limit (per minute)
    }
    ctx.clock.advance(HOUR);
    await sweepExpiredBlocks(ctx);
    const keep = await block(ctx, "185.221.0.1", 24 * 365);
    ctx.clock.advance(10 * DAY);
    // The first batch deleted, then the process "stops": the pause throws.
    let batches = 0;
    const stopped = pruneAudit(ctx.db, signingKey(ctx.config, ctx.db), {
      days: 5,
      now: ctx.now,
      actor: "tester",
      pause: async () => {
        if (++batches === 1) throw new Error("stopped");
      },
    });
    await expect(stopped).rejects.toThrow("stopped");
    const cut = firstLinkOf(ctx, keep.id) - 1;
    expect(minLink(ctx)).toBeGreaterThan(1);
    expect(minLink(ctx)).toBeLessThan(cut);
    expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });
    // What is left before the cut is still checked against its own link.
    const leftover = sql(ctx, (db) => db.prepare("select id from action_events order by id limit 1").pluck().get() as number);
    sql(ctx, (db) => db.prepare("update action_events set message = 'changed' where id = ?").run(leftover));
    expect((await verify(ctx)).problem).toMatch(/^audit_chain link \d+: before the retention cut: does not match its record$/);
    sql(ctx, (db) => db.prepare("delete from action_events where id = ?").run(leftover));
    const again = await prune(ctx);
    expect(again).toMatchObject({ previous: cut, cut });
    expect(minLink(ctx)).toBe(cut + 1);
    expect(ids(ctx)).toEqual([keep.id]);
    expect(await verify(ctx)).toMatchObject({ ok: true, problems: [] });
  });
});
