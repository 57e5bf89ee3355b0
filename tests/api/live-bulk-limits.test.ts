// Bulks at the sizes the providers' published limits are about, against the emulator enforcing
// those limits with every window divided by SCALE (a minute becomes a second), and our own rate
// limits scaled the same way: each list done in the fewest calls the APIs allow, no 429 provoked.
// With MDR_BENCH_WRITE=1 (npm run bench -- contain) the figures are written to BENCHMARKS.md.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseRateLimits } from "@/lib/config";
import { SERVICE_FACTS } from "@/lib/mdr/providers/facts";
import { NSG, RESOURCE_GROUP, SUBSCRIPTION_A, WAF_V4, exampleSeed } from "../emulator/fixtures";
import type { Emulator, RecordedRequest } from "../emulator/server";
import { type Json, allActions, expectProblem, get, post, problem } from "./helpers";
import { freshLive, liveEnv, liveSetup, mark, since } from "./live";

const SCALE = 60;

/** A rate limit's windows divided by SCALE, in the variables' grammar. */
const scaled = (rate: string) =>
  parseRateLimits(rate)!
    .map((w) => `${w.limit}/${Math.max(1, Math.round(w.windowMs / SCALE))}ms`)
    .join(",");

const HOSTS = Array.from({ length: 150 }, (_, i) => `wk-${String(i + 1).padStart(3, "0")}`);
const addresses = (third: number, n: number) => Array.from({ length: n }, (_, i) => `185.${third}.${Math.floor(i / 250)}.${(i % 250) + 1}`);

const USERS = Array.from({ length: 100 }, (_, i) => `temp-${String(i + 1).padStart(3, "0")}@contoso.com`);

function seed() {
  const s = exampleSeed();
  s.tenants[0]!.devices = [...(s.tenants[0]!.devices ?? []), ...HOSTS.map((h) => ({ computerDnsName: `${h}.contoso.com`, osPlatform: "Windows11" }))];
  s.tenants[0]!.users!.push(...USERS.map((userPrincipalName, i) => ({ userPrincipalName, displayName: `Contractor ${i + 1}` })));
  return s;
}

const live = liveSetup({
  name: "live-bulk-limits",
  emulator: { ...seed(), throttle: { scale: SCALE } },
  env: (emu) =>
    liveEnv(emu, {
      MDR_RATE_LIMIT_DEFENDER: scaled(SERVICE_FACTS.defender.limits.rate),
      MDR_RATE_LIMIT_DEFENDER_BATCH: scaled(SERVICE_FACTS.defender.limits.batchRate),
      MDR_RATE_LIMIT_GRAPH: scaled(SERVICE_FACTS.graph.limits.rate),
      MDR_RATE_LIMIT_AZURE_NSG: scaled(SERVICE_FACTS.azure_nsg.limits.rate),
      MDR_RATE_LIMIT_AWS: scaled(SERVICE_FACTS.aws.limits.rate),
      MDR_RATE_LIMIT_AWS_WAF: scaled(SERVICE_FACTS.aws_waf.limits.rate),
      AZURE_NSG_PRIORITY_RANGE: "100-199",
      AWS_WAF_IPV4_SET_ARN: WAF_V4,
      AWS_ENDPOINT_URL_WAFV2: emu.urls.waf,
      MDR_QUEUE_INTERVAL_MS: "100",
      MDR_POLL_INTERVAL_MS: "500",
    }),
});

beforeEach(() => freshLive(live));

interface Figure {
  what: string;
  targets: number;
  calls: number;
  wallMs: number;
  /** The least time the published limits allow for the calls made, in real windows, and why. */
  floorMs: number;
  floor: string;
}
const figures: Figure[] = [];

/** GET /bulk/{id} until `done` holds of it; returns the last answer. */
async function follow(id: string, done: (b: Json) => boolean = (b) => !b.counts.queued && !b.counts.pending, timeoutMs = 120_000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await get(live().server, `/api/v1/mdr/bulk/${id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (done(r.body)) return r.body;
    if (Date.now() > until) throw new Error(`bulk ${id} not done: ${JSON.stringify(r.body.counts)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The outside calls (not Entra's token calls) received after `from`. */
const calls = (emu: Emulator, from: number, pick: (r: RecordedRequest) => boolean = () => true) =>
  since(emu, from).filter((r) => r.service !== "entra" && pick(r));

function noThrottling(emu: Emulator, from: number): void {
  expect(calls(emu, from, (r) => r.status === 429 || r.status === 503).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
}

async function bulk(pathname: string, body: Record<string, unknown>): Promise<{ id: string; ms: number; done: Json }> {
  const started = Date.now();
  const r = await post(live().server, pathname, body);
  expect([202, 207], JSON.stringify(r.body)).toContain(r.status);
  const done = await follow(r.body.bulk_id);
  return { id: r.body.bulk_id, ms: Date.now() - started, done };
}

describe(`bulks at the published limits (windows divided by ${SCALE})`, () => {
  it("500 addresses on Defender: all blocked in at most 5 indicator calls; the bulk's revert removes all 500 in at most 5", async () => {
    const { emu } = live();
    const from = mark(emu);
    const list = addresses(220, 500);
    const b = await bulk("/api/v1/mdr/block-ip", { ips: list, firewall_type: "defender", reason: "threat intel" });
    expect(b.done.counts).toEqual({ succeeded: 500 });
    const used = calls(emu, from, (r) => r.path.startsWith("/api/indicators"));
    expect(used.length).toBeLessThanOrEqual(5);
    expect(emu.find({}).filter((r) => r.path === "/api/indicators/import" && r.status === 200).length).toBe(1);
    noThrottling(emu, from);
    figures.push({ what: "block 500 addresses, `defender`", targets: 500, calls: used.length, wallMs: b.ms, floorMs: 0, floor: "one import call (30 a minute, 500 indicators each)" });

    const back = mark(emu);
    const started = Date.now();
    const undo = await post(live().server, `/api/v1/mdr/bulk/${b.id}/revert`, { reason: "list withdrawn" });
    expect([202, 207]).toContain(undo.status);
    const reverted = await follow(undo.body.bulk_id);
    expect(reverted.counts).toEqual({ succeeded: 500 });
    const removed = calls(emu, back, (r) => r.path.startsWith("/api/indicators"));
    expect(removed.length).toBeLessThanOrEqual(5);
    noThrottling(emu, back);
    figures.push({ what: "revert that bulk", targets: 500, calls: removed.length, wallMs: Date.now() - started, floorMs: 0, floor: "one BatchDelete (500 ids each)" });
  }, 180_000);

  it("150 hostnames isolated: exactly 150 isolate calls, at most 5 device look-ups, no 429", async () => {
    const { emu } = live();
    const from = mark(emu);
    const b = await bulk("/api/v1/mdr/isolate", { hostnames: HOSTS, reason: "worm outbreak" });
    expect(b.done.results.every((x: Json) => x.status === "in_progress" || x.status === "succeeded"), JSON.stringify(b.done.counts)).toBe(true);
    const isolates = calls(emu, from, (r) => r.method === "POST" && /^\/api\/machines\/[^/]+\/isolate$/.test(r.path));
    expect(isolates.map((r) => r.status)).toEqual(Array(150).fill(201));
    expect(new Set(isolates.map((r) => r.path)).size).toBe(150);
    const lookups = calls(emu, from, (r) => r.method === "GET" && r.path === "/api/machines");
    expect(lookups.length).toBeLessThanOrEqual(5);
    noThrottling(emu, from);
    figures.push({
      what: "isolate 150 hosts",
      targets: 150,
      calls: isolates.length + lookups.length,
      wallMs: b.ms,
      floorMs: 60_000,
      floor: "150 isolate calls at 100 a minute: the 101st a minute after the first",
    });
    // Defender carries each isolation out: every row ends succeeded.
    const finished = await follow(b.id, (x) => x.counts.succeeded === 150);
    expect(finished.counts).toEqual({ succeeded: 150 });
  }, 180_000);

  it("500 addresses on the NSG: at most 3 rule writes; undoing one leaves the other 499 blocked", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const list = addresses(221, 500);
    const b = await bulk("/api/v1/mdr/block-ip", { ips: list, firewall_type: "azure_nsg", reason: "threat intel" });
    expect(b.done.counts).toEqual({ succeeded: 500 });
    const writes = calls(emu, from, (r) => r.method === "PUT" && r.path.includes("/securityRules/"));
    expect(writes.length).toBeLessThanOrEqual(3);
    noThrottling(emu, from);
    figures.push({ what: "block 500 addresses, `azure_nsg`", targets: 500, calls: calls(emu, from).length, wallMs: b.ms, floorMs: 0, floor: "one rule write (4,000 prefixes an NSG)" });

    const one = b.done.results[7];
    const r = await post(server, `/api/v1/mdr/actions/${one.id}/revert`, { reason: "false positive" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const held = [...emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.values()].filter((x) => x.name.startsWith("mdr-bulk-")).flatMap((x) => x.properties.sourceAddressPrefixes ?? []);
    expect(held.sort()).toEqual(list.filter((a) => a !== one.target).sort());
  }, 180_000);

  it("500 addresses on the WAF IP set: at most 3 UpdateIPSet calls", async () => {
    const { emu } = live();
    const from = mark(emu);
    const list = addresses(222, 500);
    const before = emu.ipSet(WAF_V4).addresses.length;
    const b = await bulk("/api/v1/mdr/block-ip", { ips: list, firewall_type: "aws_waf", reason: "threat intel" });
    expect(b.done.counts).toEqual({ succeeded: 500 });
    const updates = calls(emu, from, (r) => r.headers["x-amz-target"] === "AWSWAF_20190729.UpdateIPSet");
    expect(updates.length).toBeLessThanOrEqual(3);
    expect(emu.ipSet(WAF_V4).addresses.length).toBe(before + 500);
    noThrottling(emu, from);
    figures.push({ what: "block 500 addresses, `aws_waf`", targets: 500, calls: calls(emu, from).length, wallMs: b.ms, floorMs: 0, floor: "one UpdateIPSet (one a second, 10,000 addresses a set)" });
  }, 180_000);

  it("100 users disabled with their sessions revoked: at most 20 HTTP requests to Graph, no 429", async () => {
    const { emu } = live();
    const from = mark(emu);
    const b = await bulk("/api/v1/mdr/disable-user", { upns: USERS, revoke_sessions: true, reason: "compromised contractor accounts" });
    expect(b.done.counts).toEqual({ succeeded: 100 });
    // HTTP requests (a $batch counts once; its operations are recorded with `batch`).
    const requests = calls(emu, from, (r) => r.service === "graph" && !r.batch);
    expect(requests.length).toBeLessThanOrEqual(20);
    const ops = calls(emu, from, (r) => r.service === "graph" && Boolean(r.batch));
    expect(ops.filter((r) => r.method === "PATCH").length).toBe(100);
    expect(ops.filter((r) => r.method === "POST" && r.path.endsWith("/revokeSignInSessions")).length).toBe(100);
    noThrottling(emu, from);
    figures.push({
      what: "disable 100 users, sessions revoked",
      targets: 100,
      calls: requests.length,
      wallMs: b.ms,
      floorMs: 0,
      floor: "15 $batch requests of 20 operations (3,000 writes per 150 s)",
    });
  }, 180_000);

  it("an IPv6 address where only an IPv4 WAF set is configured: 422 naming it, alone or in a list; nothing written or sent", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const why =
      "no IPv6 IP set is configured for tenant 3f2a1b7c-0d4e-4a5b-9c6d-7e8f9a0b1c2d (AWS_WAF_IPV6_SET_ARN, or aws_waf.ipv6_set_arn in MDR_TENANTS_FILE): IPv6 addresses cannot be blocked on AWS WAF";
    const one = await post(server, "/api/v1/mdr/block-ip", { ip: "2001:db8::1", firewall_type: "aws_waf" });
    expectProblem(one, problem("validation-failed", `ip: ${why}`, { errors: [{ path: "ip", message: why }] }));
    const list = await post(server, "/api/v1/mdr/block-ip", { ips: ["185.223.0.1", "2001:db8::1"], firewall_type: "aws_waf" });
    expectProblem(list, problem("validation-failed", `ips.1: ${why}`, { errors: [{ path: "ips.1", message: why }] }));
    expect(await allActions(server)).toEqual([]);
    expect(calls(emu, from)).toEqual([]);
  });
});

afterAll(() => {
  // At real windows the waits for the limits take their real length and the rest (HTTP, the
  // database) stays as measured: measured - the scaled floor + the real floor.
  const real = (f: Figure) => Math.max(f.floorMs, f.wallMs - f.floorMs / SCALE + f.floorMs);
  const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 0)} s`;
  const rows = figures.map(
    (f) =>
      `| ${f.what} | ${f.targets} | ${f.calls} (${(f.calls / f.targets).toFixed(3)}) | ${secs(f.wallMs)} | ${secs(real(f))} | ${secs(f.floorMs)}: ${f.floor} |`,
  );
  console.log(rows.join("\n"));
  if (process.env.MDR_BENCH_WRITE !== "1" || figures.length < 6) return;
  const section = [
    "<!-- contain: npm run bench -- contain -->",
    `## Time to contain at the providers' published limits`,
    "",
    `\`npm run bench -- contain\` (tests/api/live-bulk-limits.test.ts with MDR_BENCH_WRITE=1): the production server in live`,
    `mode against the HTTPS emulator, which enforces each service's published limits with every window divided by ${SCALE};`,
    `the server's own rate limits are scaled the same way. *At real windows* is the wall time with the scaled floor`,
    "replaced by the real one: the waits the limits impose take their real length, the rest (HTTP, the database) stays",
    "as measured. The floor is the least time the published limits allow for the calls the bulk needs.",
    "",
    `| bulk | targets | provider calls (per target) | wall time (windows / ${SCALE}) | at real windows | floor of the published limits |`,
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${process.platform}, Node ${process.version}.`,
    "<!-- /contain -->",
  ].join("\n");
  const file = path.resolve(__dirname, "../../BENCHMARKS.md");
  const text = fs.readFileSync(file, "utf8");
  const re = /<!-- contain:[\s\S]*?<!-- \/contain -->/;
  fs.writeFileSync(file, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
});
