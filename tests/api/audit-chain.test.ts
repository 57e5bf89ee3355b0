// The audit log proves itself: a hash chain over actions, their timelines and the security events,
// signed checkpoints of its head, and `audit verify` / GET /admin/audit/verify naming the first
// record that does not match. Each tampering is done to the database file behind the running
// server's back (as the sqlite3 tool would), checked, then undone so the next starts from a good log.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENESIS, type LinkKind, linkHash } from "@/lib/db/queries/chain";
import { type TestServer, eventually, startServer } from "../support/server";
import { get, post } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);

let server: TestServer;
let isolation: string;

const open = () => {
  const db = new Database(server.dbPath);
  db.pragma("busy_timeout = 5000");
  db.pragma("foreign_keys = OFF");
  return db;
};

/** Runs `edit` on the file with a connection of its own (foreign keys off, as the sqlite3 tool has them). */
function tamper<T>(edit: (db: Database.Database) => T): T {
  const db = open();
  try {
    return edit(db);
  } finally {
    db.close();
  }
}

async function verify() {
  const r = await get(server, "/api/v1/admin/audit/verify");
  expect(r.status).toBe(200);
  return r.body;
}

/** The verification's answer when the log is whole. */
const whole = (records: number, checkpoints: number) => ({
  ok: true,
  problem: null,
  problems: [],
  records,
  checkpoints,
  seconds: expect.any(Number),
  head: { seq: records, hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
  key: { id: expect.stringMatching(/^[0-9a-f]{16}$/), public_key: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/) },
  at: expect.any(String),
});

const counts = () =>
  tamper((db) => ({
    links: (db.prepare("select count(*) as n from audit_chain").get() as { n: number }).n,
    checkpoints: (db.prepare("select count(*) as n from audit_checkpoints").get() as { n: number }).n,
  }));

async function expectFirstProblem(problem: string) {
  const body = await verify();
  expect({ ok: body.ok, problem: body.problem }).toEqual({ ok: false, problem });
  return body;
}

async function expectWhole() {
  const { links, checkpoints } = counts();
  expect(await verify()).toEqual(whole(links, checkpoints));
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("node", ["--conditions=react-server", "--import", "tsx", "scripts/mdr.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, MDR_DB_PATH: server.dbPath },
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  server = await startServer({}, "audit-chain");
  const iso = await post(server, "/api/v1/mdr/isolate", { hostname: "WS-0142", reason: "chain test" });
  expect(iso.status).toBe(202);
  isolation = iso.body.id;
  // Settled by the background poll: changes of the row that no request made are chained too.
  await eventually(async () => ((await get(server, `/api/v1/mdr/actions/${isolation}`)).body.status === "succeeded" ? true : undefined));
  expect((await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.102.77", reason: "chain test" })).status).toBe(201);
  expect((await post(server, "/api/v1/admin/tokens", { name: "chain-soar", role: "responder" })).status).toBe(201);
  // A restart signs the head at shutdown: the checkpoint a later rewrite is caught against.
  await server.restart();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("the audit chain", () => {
  it("verifies an untouched log, from the API and the command line, and /admin shows the result", async () => {
    const { links, checkpoints } = counts();
    // start (empty head: only the test token's event), shutdown (after the actions); the second start found the head signed.
    expect(checkpoints).toBe(2);
    const reasons = tamper((db) => db.prepare("select reason from audit_checkpoints order by id").pluck().all());
    expect(reasons).toEqual(["start", "shutdown"]);
    expect(await verify()).toEqual(whole(links, 2));
    const ok = await cli("audit", "verify");
    expect(ok).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^audit log verified: ${links} records, 2 checkpoints, \\d+\\.\\d\\d s\\n$`)) });
    // What /admin shows: the last verification, saved by whichever ran it.
    const saved = tamper((db) => db.prepare("select ok, records, checkpoints, problem from audit_verifications").all());
    expect(saved).toEqual([{ ok: 1, records: links, checkpoints: 2, problem: null }]);
  });

  it("names an actions row changed behind the server's back", async () => {
    const before = tamper((db) => db.prepare("select target from actions where id = ?").pluck().get(isolation));
    tamper((db) => db.prepare("update actions set target = 'WS-0999' where id = ?").run(isolation));
    await expectFirstProblem(`actions ${isolation}: row differs from the state its last event recorded`);
    const failed = await cli("audit", "verify");
    expect(failed).toEqual({ code: 1, stdout: `audit log does NOT verify: actions ${isolation}: row differs from the state its last event recorded\n` });
    tamper((db) => db.prepare("update actions set target = ? where id = ?").run(before, isolation));
    await expectWhole();
  });

  it("names an action_events row changed", async () => {
    const ev = tamper((db) => db.prepare("select id, message from action_events where action_id = ? order by id limit 1").get(isolation)) as {
      id: number;
      message: string;
    };
    tamper((db) => db.prepare("update action_events set message = 'Requested by nobody' where id = ?").run(ev.id));
    await expectFirstProblem(`action_events id ${ev.id}: hash does not match its content`);
    tamper((db) => db.prepare("update action_events set message = ? where id = ?").run(ev.message, ev.id));
    await expectWhole();
  });

  it("names an audit_events row changed", async () => {
    const ev = tamper((db) => db.prepare("select id, actor from audit_events where event = 'token_created' order by id desc limit 1").get()) as {
      id: number;
      actor: string;
    };
    tamper((db) => db.prepare("update audit_events set actor = 'user:someone-else' where id = ?").run(ev.id));
    await expectFirstProblem(`audit_events id ${ev.id}: hash does not match its content`);
    tamper((db) => db.prepare("update audit_events set actor = ? where id = ?").run(ev.actor, ev.id));
    await expectWhole();
  });

  it("names a deleted row of each log, and the link that held it", async () => {
    for (const [table, kind] of [
      ["audit_events", "audit"],
      ["action_events", "event"],
    ] as const) {
      const row = tamper((db) => db.prepare(`select * from ${table} order by id limit 1 offset 1`).get()) as Record<string, unknown>;
      const seq = tamper((db) => db.prepare("select seq from audit_chain where kind = ? and ref = ?").pluck().get(kind, String(row.id)));
      tamper((db) => db.prepare(`delete from ${table} where id = ?`).run(row.id));
      await expectFirstProblem(`${table} id ${row.id} missing: deleted: the chain holds it at link ${seq}`);
      tamper((db) => {
        const cols = Object.keys(row);
        db.prepare(`insert into ${table} (${cols.join(", ")}) values (${cols.map((c) => `@${c}`).join(", ")})`).run(row);
      });
      await expectWhole();
    }
    // An action deleted with its timeline: the first of its events the chain holds is named.
    const first = tamper((db) => db.prepare("select min(id) from action_events where action_id = ?").pluck().get(isolation));
    const saved = tamper((db) => {
      const rows = {
        action: db.prepare("select * from actions where id = ?").get(isolation) as Record<string, unknown>,
        events: db.prepare("select * from action_events where action_id = ?").all(isolation) as Record<string, unknown>[],
      };
      db.prepare("delete from action_events where action_id = ?").run(isolation);
      db.prepare("delete from actions where id = ?").run(isolation);
      return rows;
    });
    const body = await expectFirstProblem(expect.stringMatching(new RegExp(`^action_events id ${first} missing: deleted`)) as unknown as string);
    expect(body.problems).toContainEqual({ record: `actions ${isolation} missing`, why: "deleted: the chain holds its state" });
    tamper((db) => {
      const put = (table: string, row: Record<string, unknown>) =>
        db.prepare(`insert into ${table} (${Object.keys(row).join(", ")}) values (${Object.keys(row).map((c) => `@${c}`).join(", ")})`).run(row);
      put("actions", saved.action);
      for (const e of saved.events) put("action_events", e);
    });
    await expectWhole();
  });

  it("names a row inserted into each log", async () => {
    const action = tamper((db) => db.prepare("select id from actions order by id desc limit 1").pluck().get()) as string;
    const audit = tamper(
      (db) =>
        db.prepare("insert into audit_events (at, event, actor, subject) values (?, 'sign_in', 'user:ghost', 'ghost')").run(Date.now()).lastInsertRowid,
    );
    await expectFirstProblem(`audit_events id ${audit}: not in the chain: written outside the application`);
    tamper((db) => db.prepare("delete from audit_events where id = ?").run(audit));
    const event = tamper(
      (db) =>
        db
          .prepare("insert into action_events (action_id, at, status, message) values (?, ?, 'succeeded', 'Approved by the CISO')")
          .run(action, Date.now()).lastInsertRowid,
    );
    await expectFirstProblem(`action_events id ${event}: not in the chain: written outside the application`);
    tamper((db) => db.prepare("delete from action_events where id = ?").run(event));
    tamper((db) =>
      db
        .prepare(
          "insert into actions select 'act_00000000000000000000000000' as id, type, status, target, tenant_id, provider, mode, parameters, reason, requested_by, provider_ref, result, error, active, created_at, updated_at, completed_at, expires_at, reverts, reverted_by from actions where id = ?",
        )
        .run(action),
    );
    await expectFirstProblem("actions act_00000000000000000000000000: not in the chain: written outside the application");
    tamper((db) => db.prepare("delete from actions where id = 'act_00000000000000000000000000'").run());
    await expectWhole();
  });

  it("catches a rewrite of the whole chain against the checkpoint signed before it", async () => {
    const { links } = counts();
    // A block's row: its state and every link after its change are recomputed, as a forger with the file would.
    tamper((db) => {
      db.prepare("update action_events set message = 'Blocked by mistake' where id = (select min(id) from action_events)").run();
      db.pragma("foreign_keys = OFF");
      const rows = db.prepare("select seq, kind, ref, at, digest from audit_chain order by seq").raw().all() as [number, LinkKind, string, number, Buffer | null][];
      const event = db.prepare("select id, action_id, at, status, message from action_events where id = ?").raw();
      const audit = db.prepare("select id, at, event, actor, subject, detail, ip from audit_events where id = ?").raw();
      const set = db.prepare("update audit_chain set prev_hash = ?, hash = ? where seq = ?");
      let prev: Buffer = GENESIS;
      db.transaction(() => {
        for (const [seq, kind, ref, at, digest] of rows) {
          const content = kind === "action" ? digest! : ((kind === "event" ? event : audit).get(Number(ref)) as unknown[]);
          const hash = linkHash(prev, seq, kind, ref, at, content);
          set.run(prev, hash, seq);
          prev = hash;
        }
      })();
    });
    const body = await verify();
    // The chain is consistent again; only the signed head says it is not the chain that was signed.
    const shutdown = tamper((db) => db.prepare("select id, seq from audit_checkpoints where reason = 'shutdown'").get()) as { id: number; seq: number };
    expect(body).toEqual({
      ...whole(links, 2),
      ok: false,
      problem: `checkpoint ${shutdown.id}: head hash differs from the chain's link ${shutdown.seq}: the log was rewritten`,
      problems: [{ record: `checkpoint ${shutdown.id}`, why: `head hash differs from the chain's link ${shutdown.seq}: the log was rewritten` }],
    });
    // A forged signature on the checkpoint is caught too.
    tamper((db) => db.prepare("update audit_checkpoints set hash = (select hash from audit_chain where seq = ?) where id = ?").run(shutdown.seq, shutdown.id));
    expect((await verify()).problem).toBe(`checkpoint ${shutdown.id}: signature invalid`);
  });
});
