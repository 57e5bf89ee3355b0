// Fills an audit log fast for the export benchmark: `rows` actions over the last `days` days,
// written through the pipeline's own statements (lib/db/queries/actions: the pending row, its
// timeline events, the final state), in transactions of 5,000 actions, without providers or the
// verbs' checks around them. The rows are what the product writes: blocks on Defender that
// succeeded, isolations that went through Defender's states, unknown hosts refused. Prints one
// JSON line. (The full benchmark's read step seeds through the verbs themselves, at ~3,000/s.)
//   node --conditions=react-server --import tsx scripts/bench/seed-log.ts --db "$(mktemp -d)/mdr.db" --rows 1000000
import { openDb } from "@/lib/db/client";
import { insertActionEvent, insertPendingAction, updateActionState } from "@/lib/db/queries/actions";
import type { ActionRow } from "@/lib/db/schema";
import { newActionId } from "@/lib/mdr/actions";
import { SIM_TENANT_ID } from "@/lib/mdr/providers/simulation";
import { flag } from "./context";
import { publicIpv4 } from "./targets";

const DAY_MS = 86_400_000;
const BATCH = 5000;
const ACTORS = ["user:alice", "user:bob", "token:soar-playbook", "token:soar-playbook", "user:carol"];

const rows = Number(flag("rows"));
const days = Number(flag("days", "90"));
const db = openDb(flag("db"));
const sqlite = db.$client;
const end = Date.now();
const start = end - days * DAY_MS;
const step = (end - start) / rows;

function base(i: number, at: number): ActionRow {
  return {
    id: newActionId(at),
    type: "block_ip",
    status: "pending",
    target: "",
    tenantId: SIM_TENANT_ID,
    provider: "defender",
    mode: "simulation",
    parameters: {},
    reason: `Incident INC-${4000 + i}`,
    requestedBy: ACTORS[i % ACTORS.length]!,
    providerRef: null,
    result: null,
    error: null,
    active: false,
    createdAt: at,
    updatedAt: at,
    completedAt: null,
    expiresAt: null,
    reverts: null,
    revertedBy: null,
  };
}

/** One action as the pipeline leaves it: pending row and first event, the provider's steps, the final state. */
function write(i: number): number {
  const at = Math.round(start + i * step);
  const kind = i % 10;
  if (kind < 6) {
    const ip = publicIpv4(i);
    const row = { ...base(i, at), target: ip, parameters: { ip, duration_hours: 24, firewall_type: "defender" }, expiresAt: at + DAY_MS };
    insertPendingAction(db, row);
    insertActionEvent(db, { actionId: row.id, at, status: "pending", message: "Recorded; submitting a Defender indicator" });
    const ref = String(1_000_000 + i);
    // In effect until its expiry; one already past is recorded as ended (the server's sweep would end it at start).
    const active = at + DAY_MS > end;
    updateActionState(db, { id: row.id, status: "succeeded", updatedAt: at + 40, completedAt: at + 40, providerRef: ref, active, error: null, result: { indicator_id: ref } });
    insertActionEvent(db, { actionId: row.id, at: at + 40, status: "succeeded", message: `Defender indicator ${ref} blocks ${ip} until ${new Date(at + DAY_MS).toISOString()}` });
    return 2;
  }
  const host = kind === 9 ? `ws-9${i % 1000}` : `ws-${String(i % 5000).padStart(4, "0")}`;
  const row = { ...base(i, at), type: "isolate_endpoint" as const, target: host, parameters: { hostname: host, isolation_type: "Selective" } };
  insertPendingAction(db, row);
  insertActionEvent(db, { actionId: row.id, at, status: "pending", message: "Recorded; asking Defender to isolate the device" });
  if (kind === 9) {
    updateActionState(db, { id: row.id, status: "rejected", updatedAt: at + 20, completedAt: at + 20, providerRef: null, active: false, error: `No device named ${host}`, result: null });
    insertActionEvent(db, { actionId: row.id, at: at + 20, status: "rejected", message: `Defender has no device named ${host}` });
    return 2;
  }
  const ref = `${i.toString(16).padStart(8, "0")}-5e6f-4a7b-9c8d-0e1f2a3b4c5d`;
  updateActionState(db, { id: row.id, status: "in_progress", updatedAt: at + 30, completedAt: null, providerRef: ref, active: false, error: null, result: null });
  insertActionEvent(db, { actionId: row.id, at: at + 30, status: "in_progress", message: `Defender machine action ${ref}: Pending` });
  insertActionEvent(db, { actionId: row.id, at: at + 2000, status: "in_progress", message: `Defender machine action ${ref}: InProgress` });
  updateActionState(db, { id: row.id, status: "succeeded", updatedAt: at + 6000, completedAt: at + 6000, providerRef: ref, active: true, error: null, result: { machine_id: `m-${i}` } });
  insertActionEvent(db, { actionId: row.id, at: at + 6000, status: "succeeded", message: `Defender machine action ${ref}: Succeeded` });
  return 4;
}

const t0 = performance.now();
let events = 0;
for (let i = 0; i < rows; ) {
  sqlite.exec("BEGIN");
  for (const stop = Math.min(rows, i + BATCH); i < stop; i++) events += write(i);
  sqlite.exec("COMMIT");
  if (i % 200_000 === 0) process.stderr.write(`  seeded ${i} actions\n`);
}
const seconds = (performance.now() - t0) / 1000;
sqlite.pragma("wal_checkpoint(TRUNCATE)");
sqlite.close();
console.log(JSON.stringify({ rows, events, seconds, rowsPerSecond: rows / seconds }));
