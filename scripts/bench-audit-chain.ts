// The audit chain at size: writes N actions (default 100,000) into a fresh database through the
// same query functions the pipeline uses (a row, its pending event, a change of state and its
// event: four links each), then verifies the whole log and prints both timings.
//   node --conditions=react-server --import tsx scripts/bench-audit-chain.ts [N] [KEEP_DB_FILE] [--prune]
// (KEEP_DB_FILE: the log is kept there, for measuring other work on it. --prune: the isolations are
// written as failed, so final and not in force, then the log is pruned with a 30-day retention, as
// the server does, and verified again: the prune's time is printed.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { signingKey, verifyAudit, writeCheckpoint } from "@/lib/audit/chain";
import { pruneAudit } from "@/lib/audit/retention";
import { inTransaction, openDb } from "@/lib/db/client";
import { insertActionEvent, insertPendingAction, updateActionState } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";

async function main() {
  const args = process.argv.slice(2).filter((a) => a !== "--prune");
  const prune = process.argv.includes("--prune");
  const n = Number(args[0] ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-chain-bench-"));
  const db = openDb(path.join(dir, "mdr.db"));
  const key = signingKey({ audit: { signingKeyPem: undefined } }, db);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const at = 1_700_000_000_000 + i;
    const id = `act_${String(i).padStart(26, "0")}`;
    const row: ActionRow = {
      id, type: "isolate_endpoint", status: "pending", target: `ws-${i}`, tenantId: "sim", provider: "defender", mode: "simulation",
      parameters: { isolation_type: "Full" }, reason: "bench", requestedBy: "token:bench", providerRef: null, result: null, error: null,
      active: false, createdAt: at, updatedAt: at, completedAt: null, expiresAt: null, reverts: null, revertedBy: null,
    };
    inTransaction(db, () => {
      insertPendingAction(db, row);
      insertActionEvent(db, { actionId: id, at, status: "pending", message: "Requested by token:bench" });
    });
    inTransaction(db, () => {
      updateActionState(db, prune
        ? { id, status: "failed", updatedAt: at + 1, completedAt: at + 1, providerRef: `ma-${i}`, active: false, error: "bench", result: { machine_id: `m${i}` } }
        : { id, status: "succeeded", updatedAt: at + 1, completedAt: at + 1, providerRef: `ma-${i}`, active: true, error: null, result: { machine_id: `m${i}` } });
      insertActionEvent(db, { actionId: id, at: at + 1, status: prune ? "failed" : "succeeded", message: prune ? "Failed" : "Isolated" });
    });
  }
  const written = (performance.now() - t0) / 1000;
  writeCheckpoint(db, key, "hourly", Date.now());
  const v = await verifyAudit(db, key);
  console.log(
    `${n} actions written in ${written.toFixed(1)} s (${((written * 1e6) / n).toFixed(0)} µs per action, 2 transactions and 4 links each); ` +
      `verify: ${v.ok ? "ok" : v.problem}, ${v.records} records, ${v.seconds.toFixed(2)} s`,
  );
  if (prune) {
    const r = await pruneAudit(db, key, { days: 30, now: Date.now, actor: "bench" });
    const after = await verifyAudit(db, key);
    console.log(
      `prune (30 days): ${r.removed.actions} actions, ${r.removed.actionEvents} events, ${r.removed.links} links removed in ${r.seconds.toFixed(2)} s; ` +
        `verify after: ${after.ok ? "ok" : after.problem}, ${after.records} records, ${after.seconds.toFixed(2)} s`,
    );
  }
  db.$client.close();
  if (args[1]) fs.renameSync(path.join(dir, "mdr.db"), args[1]);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
