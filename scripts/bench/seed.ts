// Fills an audit log with `rows` actions spread over the last `days` days, through the product's
// own verbs (runAction and everything around it) on a simulated tenant, with a clock that moves
// through those days: blocks that expire and are swept, isolations later released, early
// unblocks, unknown hosts, provider failures. Prints one JSON line.
//   node --conditions=react-server --import tsx scripts/bench/seed.ts --db "$(mktemp -d)/mdr.db" --rows 1000000
import { and, count, desc, eq } from "drizzle-orm";
import { MdrError } from "@/lib/errors";
import { actions } from "@/lib/db/schema";
import { sweepExpiredBlocks } from "@/lib/mdr/kinds/block-ip/sweep";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import type { MdrContext } from "@/lib/mdr/context";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { revertAction } from "@/lib/mdr/revert-action";
import { BlockIpRequest, IsolateRequest } from "@/lib/mdr/schemas";
import { benchContext, flag } from "./context";
import { fleetHost, publicIpv4 } from "./targets";

const DAY_MS = 86_400_000;
const SWEEP_EVERY_MS = 10 * 60_000;
const RELEASE_AFTER_MS = 2 * 3_600_000;
/** Statements per transaction: one commit per action would dominate the seeding time. */
const BATCH = 2000;
const FLEET = 5000;
const ACTORS = ["alice@contoso.com", "bob@contoso.com", "soar-playbook", "soar-playbook", "carol@contoso.com"];
const DURATIONS_H = [1, 4, 8, 24, 24, 48];

const target = Number(flag("rows"));
const days = Number(flag("days", "90"));
const end = Date.now();
const start = end - days * DAY_MS;

// A fixed seed: two runs make the same mix.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

let clock = start;
const base = benchContext({
  dbPath: flag("db"),
  env: { MDR_SIM_FAILURE_RATE: "0.02", MDR_SIM_EXTRA_DEVICES: String(FLEET) },
  now: () => clock,
  random,
});
const sqlite = base.db.$client;
const as = (actor: string): MdrContext => ({ ...base, actor });

let ipN = 0;
let hostN = 0;
let incident = 4000;
/** Isolations in the order they were made; those before `isolationsDone` have been released. */
const isolations: { id: string; at: number }[] = [];
let isolationsDone = 0;
const recentBlocks: string[] = [];

async function block(): Promise<void> {
  const input = BlockIpRequest.parse({
    ip: publicIpv4(ipN++),
    duration_hours: pick(DURATIONS_H),
    reason: `Password spraying, INC-${incident++}`,
  });
  const row = await blockIp({ ctx: as(pick(ACTORS)), input });
  recentBlocks.push(row.id);
  if (recentBlocks.length > 200) recentBlocks.shift();
}

async function isolate(hostname: string): Promise<void> {
  const input = IsolateRequest.parse({
    hostname,
    isolation_type: random() < 0.7 ? "Selective" : "Full",
    reason: `Beacon to known C2, INC-${incident++}`,
  });
  const row = await isolateEndpoint({ ctx: as(pick(ACTORS)), input });
  isolations.push({ id: row.id, at: clock });
}

// The mix, by share of steps: blocks, isolations of the fleet in turn, names nobody has (rejected),
// releases of isolations at least two hours old, early unblocks of recent blocks.
async function step(): Promise<void> {
  const r = random();
  if (r < 0.48) return block();
  if (r < 0.7) return isolate(fleetHost((hostN++ % FLEET) + 1));
  if (r < 0.72) return isolate(`ws-9${Math.floor(random() * 1000)}`);
  if (r < 0.94) {
    if (isolationsDone >= isolations.length || clock - isolations[isolationsDone]!.at < RELEASE_AFTER_MS) return block();
    const { id } = isolations[isolationsDone++]!;
    await revertAction({ ctx: as(pick(ACTORS)), id, reason: "Host cleaned" });
    return;
  }
  // An early unblock of a recent block; refused (and not recorded) if it has already ended.
  const id = recentBlocks[Math.floor(random() * recentBlocks.length)];
  if (id === undefined) return block();
  await revertAction({ ctx: as(pick(ACTORS)), id, reason: "False positive" });
}

/** Rows so far: rowids are never reused here, so the largest one is the count, found in O(log n). */
const rowCount = (): number =>
  (sqlite.prepare("select coalesce(max(rowid), 0) as n from actions").get() as { n: number }).n;

async function main(): Promise<void> {
  // The expiry sweep logs each unblock the simulated failure rate makes fail; here they are expected.
  let sweepFailures = 0;
  console.error = () => void sweepFailures++;
  const t0 = performance.now();
  let iterations = 0;
  let refused = 0;
  let rows = rowCount();
  let nextSweep = start + SWEEP_EVERY_MS;
  let rowsPerIteration = 1.3;
  let lastReport = 0;
  while (rows < target) {
    // Spread what is left of the window over the rows still to make.
    const dt = Math.max(1, (end - clock) / ((target - rows) / rowsPerIteration));
    const before = rows;
    sqlite.exec("BEGIN");
    for (let i = 0; i < BATCH && rows + i / rowsPerIteration < target; i++) {
      clock = Math.min(end, clock + Math.max(1, Math.round(dt * 2 * random())));
      try {
        await step();
      } catch (err) {
        // A refusal or a provider failure: recorded as such, part of a real audit log.
        if (!(err instanceof MdrError)) throw err;
        refused++;
      }
      if (clock >= nextSweep) {
        await sweepExpiredBlocks(as("system"));
        nextSweep = clock + SWEEP_EVERY_MS;
      }
      iterations++;
    }
    sqlite.exec("COMMIT");
    rows = rowCount();
    rowsPerIteration = Math.max(1, (rows - before) / BATCH);
    if (rows - lastReport >= 100_000) {
      lastReport = rows;
      process.stderr.write(`  seeded ${rows} rows (${Math.round(rows / ((performance.now() - t0) / 1000))}/s)\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const byType = base.db.select({ k: actions.type, n: count() }).from(actions).groupBy(actions.type).all();
  const byStatus = base.db.select({ k: actions.status, n: count() }).from(actions).groupBy(actions.status).all();
  // A page 90% of the way down the log, newest first.
  const deep = base.db
    .select({ id: actions.id })
    .from(actions)
    .orderBy(desc(actions.id))
    .limit(1)
    .offset(Math.floor(rows * 0.9))
    .get();
  const failedBlocks = base.db
    .select({ n: count() })
    .from(actions)
    .where(and(eq(actions.type, "block_ip"), eq(actions.status, "failed")))
    .get();
  sqlite.close();
  console.log(
    JSON.stringify({
      rows,
      iterations,
      refused,
      sweepFailures,
      seconds,
      rowsPerSecond: rows / seconds,
      days,
      byType: Object.fromEntries(byType.map((g) => [g.k, g.n])),
      byStatus: Object.fromEntries(byStatus.map((g) => [g.k, g.n])),
      deepCursor: deep?.id ?? null,
      failedBlocks: failedBlocks?.n ?? 0,
    }),
  );
}

void main();
