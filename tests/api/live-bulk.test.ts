// Bulk requests against the live adapters beyond a handful of targets: 20 NSG blocks in one request
// (8 running at once, lib/mdr/bulk/queue.ts) while ARM refuses a write during another one (409
// AnotherOperationInProgress) and throttles some (429 with Retry-After). Every block must end with
// its own priority, and the NSG must hold exactly those rules.
import { beforeEach, describe, expect, it } from "vitest";
import { NSG, RESOURCE_GROUP, SUBSCRIPTION_A } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { type Json, anyIso, detail, get, post, steps, withoutTimeline } from "./helpers";
import { freshLive, liveAction, liveSetup, mark, nsgPath, since } from "./live";

const BLOCK = "/api/v1/mdr/block-ip";
const ips = (third: number, n: number) => Array.from({ length: n }, (_, i) => `203.0.${third}.${i + 1}`);

/** The NSG's inbound rules made by blocks: name -> [priority, address]. */
function mdrRules(emu: Emulator): Map<string, [number, string | undefined]> {
  const rules = [...emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.values()].filter((r) => r.name.startsWith("mdr-block-"));
  return new Map(rules.map((r) => [r.name, [r.properties.priority, r.properties.sourceAddressPrefix]]));
}

/** A bulk block followed to its end: every target succeeded, each with its own priority; returns the rows. */
async function expectAllBlocked(emu: Emulator, reply: { status: number; body: Json }, targets: string[]): Promise<Json[]> {
  expect([202, 207], JSON.stringify(reply.body)).toContain(reply.status);
  const done = await followBulk(live().server, reply.body.bulk_id);
  expect(done.results.map((r: Json) => [r.target, r.status, r.error])).toEqual(targets.map((t) => [t, "succeeded", null]));
  const rows = await Promise.all(done.results.map((r: Json) => detail(live().server, r.id)));
  for (const [i, row] of rows.entries()) {
    const name = `mdr-block-${row.id}`;
    expect(withoutTimeline(row)).toEqual(
      liveAction({
        id: row.id,
        type: "block_ip",
        status: "succeeded",
        target: targets[i],
        provider: "azure_nsg",
        parameters: { ip: targets[i], firewall_type: "azure_nsg", priority: null, duration_hours: 24, bulk_id: reply.body.bulk_id },
        reason: "INC-9000",
        provider_ref: name,
        result: { rule_name: name, priority: expect.any(Number), nsg: NSG },
        active: true,
        completed_at: row.updated_at,
        expires_at: anyIso(),
      }),
    );
    const st = steps(row);
    expect(st[0]).toEqual(["queued", `Requested by token:tests; target ${i + 1} of ${targets.length} of bulk ${reply.body.bulk_id}; queued`]);
    expect(st.at(-1)).toEqual(["succeeded", `Blocked ${targets[i]} on Azure network security group (${name}) until ${row.expires_at}`]);
  }
  // Each its own priority, and the NSG holds exactly these rules.
  const priorities = rows.map((r) => r.result.priority as number);
  expect(new Set(priorities).size).toBe(targets.length);
  const inNsg = mdrRules(emu);
  expect(inNsg.size).toBe(targets.length);
  for (const row of rows) expect(inNsg.get(`mdr-block-${row.id}`), row.target).toEqual([row.result.priority, row.target]);
  return rows;
}

/** GET /bulk/{id} until nothing of it is queued or pending. */
async function followBulk(server: ReturnType<typeof live>["server"], id: string): Promise<Json> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await get(server, `/api/v1/mdr/bulk/${id}`);
    if (!r.body.counts.queued && !r.body.counts.pending) return r.body;
    if (Date.now() > until) throw new Error(`bulk still running: ${JSON.stringify(r.body.counts)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

// Priorities from 100: the seeded rule sits at 300, outside the range.
const live = liveSetup({
  name: "live-bulk",
  // ARM answers 409 AnotherOperationInProgress to a PUT while a write on the NSG is unfinished; its
  // operations answer InProgress to one poll before they end.
  emulator: { arm: { rejectConcurrent: true, inProgressPolls: 1 } },
  env: { AZURE_NSG_PRIORITY_RANGE: "100-199" },
});

// Each test on a new database and a reset emulator.
beforeEach(() => freshLive(live));

describe("bulk block on the live NSG", () => {
  it("20 addresses, 8 at once, ARM refusing concurrent writes: all succeed, priorities 100-119 each once, 409s retried", async () => {
    const { emu, server } = live();
    const targets = ips(113, 20);
    const from = mark(emu);
    const r = await post(server, BLOCK, { ips: targets, firewall_type: "azure_nsg", reason: "INC-9000" });
    const rows = await expectAllBlocked(emu, r, targets);
    expect(rows.map((row) => row.result.priority).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));

    const puts = since(emu, from, { method: "PUT" });
    const refused = puts.filter((p) => p.status !== 201);
    console.log(`[bulk] 20 NSG blocks: ${puts.length} PUTs, ${refused.length} refused (${[...new Set(refused.map((p) => (p.responseBody as Json).error.code))].join(", ")})`);
    // Exactly one PUT succeeded per block, for its own rule; every other answer was ARM saying
    // "not now" (409) or "that priority was just taken" (400), and nothing else.
    expect(puts.filter((p) => p.status === 201).map((p) => p.path).sort()).toEqual(rows.map((row) => nsgPath(SUBSCRIPTION_A, `mdr-block-${row.id}`)).sort());
    expect(refused.length).toBeGreaterThan(0);
    for (const p of refused) {
      expect([p.status, (p.responseBody as Json).error.code]).toEqual(
        p.status === 409 ? [409, "AnotherOperationInProgress"] : [400, "SecurityRuleConflict"],
      );
    }
    expect(refused.some((p) => p.status === 409)).toBe(true);
  }, 120_000);

  it("20 more with ARM also throttling (429, Retry-After: 1) some writes: all succeed, each priority once", async () => {
    const { emu, server } = live();
    const throttled = emu.setFault({ match: "PUT /securityRules/", status: 429, retryAfter: 1, times: 4 });
    const targets = ips(114, 20);
    const from = mark(emu);
    const r = await post(server, BLOCK, { ips: targets, firewall_type: "azure_nsg", reason: "INC-9000" });
    await expectAllBlocked(emu, r, targets);
    expect(throttled.hits).toBe(4);
    const puts = since(emu, from, { method: "PUT" });
    expect(puts.filter((p) => p.status === 429).map((p) => (p.responseBody as Json).error.code)).toEqual(Array(4).fill("TooManyRequests"));
    // A throttled PUT was sent again only after the second it asked for.
    for (const p of puts.filter((x) => x.status === 429)) {
      const next = puts.find((x) => x.seq > p.seq && x.path === p.path);
      expect(next, p.path).toBeDefined();
      expect(Date.parse(next!.at) - Date.parse(p.at)).toBeGreaterThanOrEqual(900);
    }
  }, 120_000);
});
