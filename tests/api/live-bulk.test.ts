// Bulk blocks on the live NSG: 20 addresses in one request are one security rule holding all 20
// (sourceAddressPrefixes), written once; undoing one address rewrites the rule without it; the
// bulk's revert removes the rest. ARM refuses concurrent writes (409 AnotherOperationInProgress)
// and throttles one write (429 with Retry-After).
import { beforeEach, describe, expect, it } from "vitest";
import { NSG, RESOURCE_GROUP, SUBSCRIPTION_A } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { type Json, anyIso, detail, get, post, steps, withoutTimeline } from "./helpers";
import { freshLive, liveAction, liveSetup, mark, nsgPath, since } from "./live";

const BLOCK = "/api/v1/mdr/block-ip";
const ips = (third: number, n: number) => Array.from({ length: n }, (_, i) => `203.0.${third}.${i + 1}`);

/** The NSG's inbound rules made by bulks: name -> [priority, addresses]. */
function bulkRules(emu: Emulator): Map<string, [number, string[] | undefined]> {
  const rules = [...emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.values()].filter((r) => r.name.startsWith("mdr-bulk-"));
  return new Map(rules.map((r) => [r.name, [r.properties.priority, r.properties.sourceAddressPrefixes]]));
}

/** A bulk block followed to its end: every target succeeded, all in one rule; returns the rows. */
async function expectAllBlocked(emu: Emulator, reply: { status: number; body: Json }, targets: string[]): Promise<Json[]> {
  expect([202, 207], JSON.stringify(reply.body)).toContain(reply.status);
  const done = await followBulk(live().server, reply.body.bulk_id);
  expect(done.results.map((r: Json) => [r.target, r.status, r.error])).toEqual(targets.map((t) => [t, "succeeded", null]));
  const rows = await Promise.all(done.results.map((r: Json) => detail(live().server, r.id)));
  const name = `mdr-bulk-${rows[0].id}-1`;
  for (const [i, row] of rows.entries()) {
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
        result: { rule_name: name, priority: 100, nsg: NSG, address: targets[i] },
        active: true,
        completed_at: row.updated_at,
        expires_at: anyIso(),
      }),
    );
    const st = steps(row);
    expect(st[0]).toEqual(["queued", `Requested by token:tests; target ${i + 1} of ${targets.length} of bulk ${reply.body.bulk_id}; queued`]);
    expect(st.at(-1)).toEqual(["succeeded", `Blocked ${targets[i]} on Azure network security group (${name}) until ${row.expires_at}`]);
  }
  // The NSG holds one rule with exactly these addresses.
  expect(bulkRules(emu)).toEqual(new Map([[name, [100, targets]]]));
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
  it("20 addresses, ARM refusing concurrent writes: one rule holding all 20, written once; undoing one rewrites it, the bulk's revert removes it", async () => {
    const { emu, server } = live();
    const targets = ips(113, 20);
    const from = mark(emu);
    const r = await post(server, BLOCK, { ips: targets, firewall_type: "azure_nsg", reason: "INC-9000" });
    const rows = await expectAllBlocked(emu, r, targets);
    const name = `mdr-bulk-${rows[0].id}-1`;
    const puts = since(emu, from, { method: "PUT" });
    expect(puts.map((p) => [p.path, p.status])).toEqual([[nsgPath(SUBSCRIPTION_A, name), 201]]);

    // Undoing one address rewrites its rule without it: the other 19 stay blocked.
    const one = await post(server, `/api/v1/mdr/actions/${rows[4].id}/revert`, { reason: "false positive" });
    expect(one.status, JSON.stringify(one.body)).toBe(201);
    expect(bulkRules(emu)).toEqual(new Map([[name, [100, targets.filter((_, i) => i !== 4)]]]));

    // The bulk's revert ends the other 19 in one rewrite: the rule is gone.
    const mid = mark(emu);
    const undo = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, { reason: "campaign over" });
    expect([202, 207]).toContain(undo.status);
    const reverted = await followBulk(server, undo.body.bulk_id);
    expect(reverted).toMatchObject({ type: "unblock_ip", total: 19, counts: { succeeded: 19 } });
    expect(bulkRules(emu).size).toBe(0);
    const writes = since(emu, mid).filter((c) => c.method === "PUT" || c.method === "DELETE");
    expect(writes.map((c) => [c.method, c.path, c.status])).toEqual([["DELETE", nsgPath(SUBSCRIPTION_A, name), 202]]);
  }, 120_000);

  it("20 more with ARM throttling the rule's write (429, Retry-After: 1): all succeed, the write sent again after the second it asked for", async () => {
    const { emu, server } = live();
    const throttled = emu.setFault({ match: "PUT /securityRules/", status: 429, retryAfter: 1, times: 1 });
    const targets = ips(114, 20);
    const from = mark(emu);
    const r = await post(server, BLOCK, { ips: targets, firewall_type: "azure_nsg", reason: "INC-9000" });
    await expectAllBlocked(emu, r, targets);
    expect(throttled.hits).toBe(1);
    const puts = since(emu, from, { method: "PUT" });
    expect(puts.map((p) => p.status)).toEqual([429, 201]);
    expect(Date.parse(puts[1]!.at) - Date.parse(puts[0]!.at)).toBeGreaterThanOrEqual(900);
  }, 120_000);
});
