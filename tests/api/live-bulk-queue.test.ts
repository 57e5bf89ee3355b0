// A bulk beyond what the provider's rate limit lets go at once: the targets with no turn wait in the
// durable queue (`queued`, nothing sent), the request answers 202 with the bulk's Location, and the
// background worker sends each when its turn comes: exactly once, also across a SIGKILL. Defender's
// limit is scaled down here (6 calls a second) so that a list of 30 hosts outruns it in seconds.
import { beforeEach, describe, expect, it } from "vitest";
import { exampleSeed } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { type Json, allActions, anyActionId, detail, get, post, steps } from "./helpers";
import { freshLive, liveSetup, mark, since } from "./live";

const ALL_HOSTS = Array.from({ length: 150 }, (_, i) => `bulk-${String(i + 1).padStart(2, "0")}`);

const HOSTS = ALL_HOSTS.slice(0, 30);

function seed() {
  const s = exampleSeed();
  s.tenants[0]!.devices = [...(s.tenants[0]!.devices ?? []), ...ALL_HOSTS.map((h) => ({ computerDnsName: `${h}.contoso.com`, osPlatform: "Windows11" }))];
  return s;
}

const live = liveSetup({
  name: "live-bulk-queue",
  // Defender's own limits scaled 20 times (100 calls per 3 s per API), ours at 6 calls a second:
  // the queue, not a 429, is what holds the list back.
  emulator: { ...seed(), throttle: { scale: 20 } },
  env: { MDR_RATE_LIMIT_DEFENDER: "6/1s", MDR_QUEUE_INTERVAL_MS: "200" },
});

beforeEach(() => freshLive(live));

const isolateCalls = (emu: Emulator, from: number) => since(emu, from, { method: "POST" }).filter((r) => /\/api\/machines\/[^/]+\/isolate$/.test(r.path));

/** GET /bulk/{id} until nothing of it is queued or pending; returns the last answer. */
async function followBulk(server: ReturnType<typeof live>["server"], location: string, timeoutMs = 60_000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await get(server, location);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (!r.body.counts.queued && !r.body.counts.pending) return r.body;
    if (Date.now() > until) throw new Error(`bulk still running: ${JSON.stringify(r.body.counts)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

describe("a bulk queued under Defender's rate limit", () => {
  it("30 isolations: 202 with Location at once, the rest sent from the queue, each device isolated once, no 429", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const started = Date.now();
    const r = await post(server, "/api/v1/mdr/isolate", { hostnames: HOSTS, reason: "worm outbreak" });
    const answeredIn = Date.now() - started;
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const location = `/api/v1/mdr/bulk/${r.body.bulk_id}`;
    expect(r.headers.get("location")).toBe(location);
    // At 6 calls a second, two calls per isolation (look-up, isolate): what had no turn within the
    // request's few seconds waits, recorded and unsent.
    const queued = r.body.results.filter((x: Json) => x.status === "queued");
    expect(queued.length).toBeGreaterThan(0);
    expect(r.body.results.map((x: Json) => x.target)).toEqual(HOSTS);
    for (const x of r.body.results) {
      expect(x).toEqual({ target: x.target, id: anyActionId(), status: x.status === "queued" ? "queued" : "in_progress", http_status: 202 });
    }
    expect(answeredIn).toBeLessThan(15_000);

    // While it runs: the bulk's progress and an estimate in the future.
    const progress = await get(server, location);
    expect(progress.body).toMatchObject({ id: r.body.bulk_id, type: "isolate_endpoint", total: 30, reverts: null, requested_by: "token:tests" });
    expect(progress.body.results.map((x: Json) => x.id)).toEqual(r.body.results.map((x: Json) => x.id));
    if (progress.body.counts.queued) expect(Date.parse(progress.body.estimated_done_at)).toBeGreaterThan(Date.now() - 1000);

    const done = await followBulk(server, location);
    expect(done.estimated_done_at).toBeNull();
    expect(Object.keys(done.counts).sort()).toEqual(done.counts.succeeded ? ["in_progress", "succeeded"].filter((k) => done.counts[k]) : ["in_progress"]);
    expect(done.results.every((x: Json) => ["in_progress", "succeeded"].includes(x.status))).toBe(true);

    // Exactly one isolate call per device, and Defender never had to say 429.
    const calls = isolateCalls(emu, from);
    expect(calls.map((c) => c.status)).toEqual(Array(30).fill(201));
    expect(new Set(calls.map((c) => c.path)).size).toBe(30);
    expect(since(emu, from).filter((c) => c.status === 429)).toEqual([]);

    // A queued target's timeline: recorded queued, then taken from the queue, then sent.
    const waited = await detail(server, queued.at(-1).id);
    const st = steps(waited);
    expect(st[0]).toEqual(["queued", `Requested by token:tests; target ${HOSTS.indexOf(waited.target) + 1} of 30 of bulk ${r.body.bulk_id}; queued`]);
    expect(st.some(([s, m]) => s === "pending" && /^Taken from the queue after \d+\.\d s$/.test(m))).toBe(true);
    expect(st.at(-1)![0]).toMatch(/^(in_progress|succeeded)$/);
  }, 90_000);

  it("SIGKILL while 150 isolations are queued: after the restart every target ends, no device gets two isolate calls", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/isolate", { hostnames: ALL_HOSTS, reason: "worm outbreak" });
    expect(r.status).toBe(202);
    await server.stop("SIGKILL");
    const sentBefore = isolateCalls(emu, from).length;
    expect(sentBefore).toBeLessThan(150);
    await server.restart();
    const done = await followBulk(server, `/api/v1/mdr/bulk/${r.body.bulk_id}`, 120_000);
    expect(done.results.every((x: Json) => ["in_progress", "succeeded"].includes(x.status)), JSON.stringify(done.counts)).toBe(true);
    const calls = isolateCalls(emu, from).filter((c) => c.status === 201);
    expect(calls.length).toBe(150);
    expect(new Set(calls.map((c) => c.path)).size).toBe(150);
    console.log(`[bulk-queue] 150 isolations: ${sentBefore} sent before the SIGKILL, the other ${150 - sentBefore} after the restart, each device once`);
  }, 180_000);

  it("a bulk of blocks reverted as a bulk: every block in effect undone once, the revert's own bulk names the first", async () => {
    const { emu, server } = live();
    const ips = Array.from({ length: 24 }, (_, i) => `185.220.102.${i + 1}`);
    const start = mark(emu);
    const r = await post(server, "/api/v1/mdr/block-ip", { ips, firewall_type: "defender", reason: "threat list" });
    expect([202, 207]).toContain(r.status);
    const blocked = await followBulk(server, `/api/v1/mdr/bulk/${r.body.bulk_id}`);
    expect(blocked.counts).toEqual({ succeeded: 24 });
    // One import call for the whole list (after one read of the tenant's IP indicators).
    const imports = since(emu, start, { method: "POST" }).filter((c) => c.path === "/api/indicators/import");
    expect(imports.map((c) => [c.status, (c.body as Json).Indicators.length])).toEqual([[200, 24]]);
    const from = mark(emu);
    const undo = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, { reason: "false positive" });
    expect([202, 207]).toContain(undo.status);
    expect(undo.body.bulk_id).not.toBe(r.body.bulk_id);
    const reverted = await followBulk(server, `/api/v1/mdr/bulk/${undo.body.bulk_id}`);
    expect(reverted).toMatchObject({ type: "unblock_ip", total: 24, reverts: r.body.bulk_id, counts: { succeeded: 24 } });
    expect(reverted.results.map((x: Json) => x.target)).toEqual(ips);
    // One BatchDelete of the 24 indicators the blocks created, and nothing else removed.
    const deletes = since(emu, from).filter((c) => c.method === "DELETE" || c.path === "/api/indicators/BatchDelete");
    expect(deletes.map((d) => [d.method, d.path, d.status])).toEqual([["POST", "/api/indicators/BatchDelete", 204]]);
    const refs: string[] = await Promise.all(blocked.results.map(async (x: Json) => (await detail(server, x.id)).provider_ref));
    expect([...(deletes[0]!.body as Json).IndicatorIds].sort()).toEqual(refs.sort());
    // Every block now says who reverted it; a second revert finds nothing in effect.
    const first = await detail(server, r.body.results[0].id);
    expect(first.reverted_by).toBe(reverted.results[0].id);
    const again = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(`Nothing of bulk ${r.body.bulk_id} is in effect and not already being undone: there is nothing to revert.`);
  }, 90_000);

  it("a list the network ACL cannot hold is refused whole, saying how many would fit; nothing is written, nothing sent", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const list = Array.from({ length: 50 }, (_, i) => `185.220.103.${i + 1}`);
    const r = await post(server, "/api/v1/mdr/block-ip", { ips: list, firewall_type: "aws_sg", reason: "threat list" });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    const fit = r.body.capacity as number;
    expect(fit).toBeGreaterThan(0);
    expect(fit).toBeLessThan(50);
    expect(r.body.detail).toMatch(
      new RegExp(`^AWS network ACL can take ${fit} more addresses and the list has 50: ${fit} more inbound entries fit in acl-[0-9a-f]+: it holds \\d+ of its 20 inbound IPv4 entries .*\\. Nothing was written; send at most ${fit}, or choose another firewall\\.$`),
    );
    expect(await allActions(server)).toEqual([]);
    expect(since(emu, from).filter((c) => c.service === "ec2").map((c) => (c.body as Json)?.Action ?? c.query.Action)).toEqual(["DescribeNetworkAcls"]);

    // Exactly as many as fit: every one blocked.
    const ok = await post(server, "/api/v1/mdr/block-ip", { ips: list.slice(0, fit), firewall_type: "aws_sg", reason: "threat list" });
    expect([202, 207]).toContain(ok.status);
    const done = await followBulk(server, `/api/v1/mdr/bulk/${ok.body.bulk_id}`);
    expect(done.counts).toEqual({ succeeded: fit });
  }, 90_000);
});
