// The statements every action and every authenticated request runs must be index lookups on a
// new database (no planner statistics yet: SQLite then guesses) and on one with statistics.
// A scan here grows with the audit log: each action would read every row of its tenant.
import { afterEach, describe, expect, it } from "vitest";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Db, openDb, refreshPlannerStatistics } from "@/lib/db/client";
import { checkToken, createToken } from "@/lib/auth/tokens";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { disableUser } from "@/lib/mdr/kinds/disable-user/disable";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { BlockIpRequest, DisableUserRequest, IsolateRequest } from "@/lib/mdr/schemas";
import { type TestContext, testContext } from "../support/context";

let contexts: TestContext[] = [];
afterEach(() => {
  for (const c of contexts) c.db.$client.close();
  contexts = [];
});

/** A context with `fleet` generated devices whose SQL texts, as prepared, are recorded. */
function recordingContext(fleet: number): { ctx: TestContext; prepared: string[] } {
  const ctx = testContext({ env: { MDR_SIM_STEP_MS: "0", MDR_SIM_EXTRA_DEVICES: String(fleet) } });
  contexts.push(ctx);
  const prepared: string[] = [];
  const prepare = ctx.db.$client.prepare.bind(ctx.db.$client);
  ctx.db.$client.prepare = ((source: string) => {
    prepared.push(source);
    return prepare(source);
  }) as typeof prepare;
  return { ctx, prepared };
}

/** EXPLAIN QUERY PLAN of a statement, its `?` parameters bound to NULL (the plan does not depend on them). */
function plan(db: Db, source: string): string[] {
  const params = (source.match(/\?/g) ?? []).map(() => null);
  return (db.$client.prepare(`explain query plan ${source}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

function only(prepared: string[], test: (sql: string) => boolean, what: string): string {
  const found = [...new Set(prepared.filter(test))];
  expect(found, what).toHaveLength(1);
  return found[0]!;
}

const fleetHost = (n: number) => `fleet-${String(n).padStart(6, "0")}`;
const ip = (n: number) => `23.0.${Math.floor(n / 254)}.${(n % 254) + 1}`;

const BY_TARGET = (s: string) =>
  s.includes(`"actions"."target" = ? and "actions"."type" = ? and "actions"."tenant_id" = ?`);
const ISOLATIONS = (s: string) => s.includes("union all") && s.includes(`from "actions"`);
const TOKEN = (s: string) => s.includes(`from "api_tokens" where "api_tokens"."secret_hash" = ?`);

const ISOLATION_PLAN = [
  // Each id the lookups found, read by key (through whichever index also checks the tenant).
  expect.stringMatching(/^SEARCH actions USING INDEX actions_(type_id \(type|tenant_id \(tenant_id)=\? AND id=\?\)$/),
  "LIST SUBQUERY 15",
  "COMPOUND QUERY",
  ...[0, 1, 2, 3, 4].flatMap((place) =>
    [0, 1, 2].flatMap((slot) => [
      place === 0 && slot === 0 ? "LEFT-MOST SUBQUERY" : "UNION ALL",
      `SEARCH actions USING INDEX actions_isolation_name_${place} (type=? AND <expr>=?)`,
      "CREATE BLOOM FILTER",
    ]),
  ),
];

describe("query plans of the hot statements", () => {
  it("look duplicates and credentials up through their indexes, before and after the planner has statistics", async () => {
    const { ctx, prepared } = recordingContext(400);
    await blockIp({ ctx, input: BlockIpRequest.parse({ ip: ip(0), firewall_type: "defender" }) });
    await isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: fleetHost(1) }) });
    await disableUser({ ctx, input: DisableUserRequest.parse({ upn: "alice@contoso.com" }) });
    const { token } = createToken(ctx, { name: "plans", role: "responder" }, "tester");
    expect(checkToken(ctx, token).ok).toBe(true);

    const byTarget = only(prepared, BY_TARGET, "the duplicate check by target");
    const isolations = only(prepared, ISOLATIONS, "the duplicate check of isolations");
    const tokenLookup = only(prepared, TOKEN, "the token lookup");
    const expected = {
      byTarget: ["SEARCH actions USING INDEX actions_holder (target=? AND type=? AND tenant_id=?)"],
      isolations: ISOLATION_PLAN,
      token: ["SEARCH api_tokens USING INDEX api_tokens_secret (secret_hash=?)"],
    };
    const plans = () => ({
      byTarget: plan(ctx.db, byTarget),
      isolations: plan(ctx.db, isolations),
      token: plan(ctx.db, tokenLookup),
    });
    expect(plans()).toEqual(expected);

    // A log of a few hundred actions of each kind in one tenant, then statistics: the same plans.
    for (let n = 1; n < 300; n++) {
      await blockIp({ ctx, input: BlockIpRequest.parse({ ip: ip(n), firewall_type: "defender" }) });
      await isolateEndpoint({ ctx, input: IsolateRequest.parse({ hostname: fleetHost(n + 1) }) });
    }
    // A full ANALYZE, then the server's hourly refresh: per-index statistics stay, the STAT4 value
    // samples (which made every new value compile its statement again) go.
    ctx.db.$client.exec("ANALYZE");
    expect(ctx.db.$client.prepare("select count(*) as n from sqlite_stat4").get()).not.toEqual({ n: 0 });
    refreshPlannerStatistics(ctx.db);
    expect(ctx.db.$client.prepare("select count(*) as n from sqlite_stat1 where tbl = 'actions'").get()).not.toEqual({ n: 0 });
    expect(ctx.db.$client.prepare("select count(*) as n from sqlite_stat4").get()).toEqual({ n: 0 });
    expect(plans()).toEqual(expected);
  });

  it("a database analyzed with value samples (an older version, the sqlite3 shell) loses them when opened", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-stat4-")), "mdr.db");
    const first = openDb(file);
    const insert = first.$client.prepare("insert into protected_assets (id, kind, pattern, note, source, created_at, created_by) values (?, 'hostname', ?, '', 'api', 0, 't')");
    for (let i = 0; i < 200; i++) insert.run(`pa_${i}`, `host-${i}`);
    first.$client.exec("ANALYZE");
    expect(first.$client.prepare("select count(*) as n from sqlite_stat4").get()).not.toEqual({ n: 0 });
    first.$client.close();

    const again = openDb(file);
    expect(again.$client.prepare("select count(*) as n from sqlite_stat4").get()).toEqual({ n: 0 });
    expect(again.$client.prepare("select count(*) as n from sqlite_stat1 where tbl = 'protected_assets'").get()).not.toEqual({ n: 0 });
    again.$client.close();
  });
});
