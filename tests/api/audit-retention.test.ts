// The audit log at size through the server: a verification runs beside other requests (it reads a
// snapshot in slices), and a server with MDR_AUDIT_RETENTION_DAYS prunes the old log at start and
// still verifies.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction, openDb } from "@/lib/db/client";
import { insertActionEvent, insertPendingAction, updateActionState } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { type TestServer, startServer, tempDbPath } from "../support/server";
import { get } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);
const DAY = 86_400_000;
/** Old final isolations written into the log before the server starts (four links each). */
const SEEDED = 20_000;

let dbPath: string;
let server: TestServer | undefined;

/** Writes `n` isolations made and released 30 days ago through the pipeline's statements, in one transaction. */
function seed(file: string, n: number) {
  const db = openDb(file);
  const start = Date.now() - 30 * DAY;
  try {
    inTransaction(db, () => {
      for (let i = 0; i < n; i++) {
        const at = start + i;
        const id = `act_00${String(i).padStart(24, "0")}`;
        const row: ActionRow = {
          id, type: "isolate_endpoint", status: "pending", target: `ws-${i}`, tenantId: "sim", provider: "defender", mode: "simulation",
          parameters: { isolation_type: "Full" }, reason: "seeded", requestedBy: "token:seed", providerRef: null, result: null, error: null,
          active: false, createdAt: at, updatedAt: at, completedAt: null, expiresAt: null, reverts: null, revertedBy: null,
        };
        insertPendingAction(db, row);
        insertActionEvent(db, { actionId: id, at, status: "pending", message: "Requested by token:seed" });
        updateActionState(db, { id, status: "failed", updatedAt: at + 1, completedAt: at + 1, providerRef: null, active: false, error: "seeded", result: null });
        insertActionEvent(db, { actionId: id, at: at + 1, status: "failed", message: "Failed" });
      }
    });
  } finally {
    db.$client.close();
  }
}

const links = () => {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare("select count(*) from audit_chain").pluck().get() as number;
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  dbPath = tempDbPath("audit-retention");
  seed(dbPath, SEEDED);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe("the audit log at size", () => {
  it("answers other requests while it verifies the whole log", async () => {
    server = await startServer({ MDR_DB_PATH: dbPath }, "audit-retention");
    expect((await get(server, "/api/v1/mdr/status")).status).toBe(200);
    let verified: number | undefined;
    const verification = get(server, "/api/v1/admin/audit/verify").then((r) => {
      verified = performance.now();
      return r;
    });
    // Status requests one after the other while the verification runs: each one answered before it is.
    const answered: number[] = [];
    while (verified === undefined) {
      const r = await get(server, "/api/v1/mdr/status");
      expect(r.status).toBe(200);
      if (verified === undefined) answered.push(performance.now());
    }
    const v = await verification;
    expect({ status: v.status, ok: v.body.ok, problem: v.body.problem, records: v.body.records }).toEqual({
      status: 200,
      ok: true,
      problem: null,
      records: links(),
    });
    expect(v.body.records).toBeGreaterThan(SEEDED * 4);
    // A verification that held the event loop would let at most the requests that came in before it through.
    expect(answered.length).toBeGreaterThanOrEqual(3);
    expect(answered.every((t) => t < verified!)).toBe(true);
    await server.stop();
    server = undefined;
  }, 120_000);

  it("prunes the old log at start with MDR_AUDIT_RETENTION_DAYS, and still verifies (API and command line)", async () => {
    const before = links();
    server = await startServer({ MDR_DB_PATH: dbPath, MDR_AUDIT_RETENTION_DAYS: "7" }, "audit-retention");
    const pruned = await (async () => {
      for (let i = 0; i < 600; i++) {
        const r = await get(server!, "/api/v1/admin/audit?event=audit_pruned");
        if (r.body.events.length > 0) return r.body.events;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`no audit_pruned event; server output:\n${server!.output()}`);
    })();
    expect(pruned).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        event: "audit_pruned",
        actor: "system",
        subject: null,
        detail: {
          before: expect.any(String),
          retention_days: 7,
          cut_seq: expect.any(Number),
          actions: SEEDED,
          action_events: SEEDED * 2,
          audit_events: expect.any(Number),
          links: expect.any(Number),
        },
        ip: null,
      },
    ]);
    const { cut_seq: cut, links: removed } = pruned[0].detail;
    // Everything seeded went, and what the test's server wrote since its first start stays.
    expect(removed).toBe(cut);
    expect(links()).toBeLessThan(before - SEEDED * 4 + 100);
    const v = await get(server, "/api/v1/admin/audit/verify");
    expect({ status: v.status, ok: v.body.ok, problem: v.body.problem, records: v.body.records }).toEqual({
      status: 200,
      ok: true,
      problem: null,
      records: links(),
    });
    const { stdout } = await run("node", ["--conditions=react-server", "--import", "tsx", "scripts/mdr.ts", "audit", "verify"], {
      cwd: ROOT,
      env: { ...process.env, MDR_DB_PATH: dbPath },
    });
    expect(stdout).toMatch(/^audit log verified: \d+ records, \d+ checkpoints, \d+\.\d\d s\n$/);
    const dry = await run("node", ["--conditions=react-server", "--import", "tsx", "scripts/mdr.ts", "audit", "prune", "--dry-run", "--days", "7"], {
      cwd: ROOT,
      env: { ...process.env, MDR_DB_PATH: dbPath },
    });
    expect(dry.stdout).toMatch(/^would remove 0 actions, 0 timeline events and 0 security events before \S+Z \(chain cut at link \d+\); nothing deleted\n$/);
  }, 180_000);
});
