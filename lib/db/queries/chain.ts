// The hash chain over the audit log. Every record written to `actions` (each change of the row),
// `action_events` and `audit_events` appends a link to `audit_chain` in the same transaction:
//   hash = SHA-256(prev_hash || canonical JSON of [seq, kind, ref, at, content])
// where content is the event's row itself (its columns in a fixed order, as stored), or for an
// action the SHA-256 of its row as it is after the change (the row changes over its life; the
// chain keeps the digest of each state, and the row must match the digest of its last one).
// One chain across the three tables, in write order: deleting a whole record of any table breaks
// the one sequence, and no table can be rewritten apart from the others.
import crypto, { createHash } from "node:crypto";
import { type Db, inTransaction, perDb } from "@/lib/db/client";

export type LinkKind = "action" | "event" | "audit";

/** The previous hash of the first link. */
export const GENESIS = Buffer.alloc(32);

const ACTION_COLUMNS =
  "id, type, status, target, tenant_id, provider, mode, parameters, reason, requested_by, provider_ref, result, error, active, created_at, updated_at, completed_at, expires_at, reverts, reverted_by";
const EVENT_COLUMNS = "id, action_id, at, status, message";
const AUDIT_COLUMNS = "id, at, event, actor, subject, detail, ip";

type Raw = unknown[];

const statements = perDb((db: Db) => {
  const c = db.$client;
  return {
    head: c.prepare("select seq, hash from audit_chain order by seq desc limit 1").raw(),
    insert: c.prepare("insert into audit_chain (seq, kind, ref, at, digest, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?)"),
    action: c.prepare(`select ${ACTION_COLUMNS} from actions where id = ?`).raw(),
    event: c.prepare(`select ${EVENT_COLUMNS} from action_events where id = ?`).raw(),
    audit: c.prepare(`select ${AUDIT_COLUMNS} from audit_events where id = ?`).raw(),
  };
});

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest();

/** The digest of an `actions` row's state (its columns as stored, in a fixed order). */
export const actionDigest = (row: Raw): Buffer => sha256(JSON.stringify(row));

/** A link's hash from the previous one and its content: the one formula writing and verifying share. */
export function linkHash(prev: Buffer, seq: number, kind: LinkKind, ref: string, at: number, content: Buffer | Raw): Buffer {
  const body = JSON.stringify([seq, kind, ref, at, Buffer.isBuffer(content) ? content.toString("hex") : content]);
  return createHash("sha256").update(prev).update(body).digest();
}

// The walk's hashing, on hex strings: verification reads hashes as hex (SQLite's hex()) rather
// than as blobs, and hashes into one reused buffer, so that no link costs a buffer of its own
// (each blob read and each digest was an ArrayBuffer for the collector: a third of the walk's time).
const scratch = Buffer.allocUnsafe(64 * 1024);
const sha256Hex: (data: Buffer) => string =
  typeof crypto.hash === "function" ? (data) => crypto.hash("sha256", data, "hex") : (data) => createHash("sha256").update(data).digest("hex");

/** linkHash, from the previous hash as hex and the content as the hex of a digest or a row; hex out. */
function linkHex(prevHex: string, seq: number, kind: LinkKind, ref: string, at: number, content: string | Raw): string {
  const body = JSON.stringify([seq, kind, ref, at, content]);
  if (prevHex.length !== 64 || 32 + Buffer.byteLength(body) > scratch.length) {
    return createHash("sha256").update(Buffer.from(prevHex, "hex")).update(body).digest("hex");
  }
  scratch.write(prevHex, 0, "hex");
  return sha256Hex(scratch.subarray(0, 32 + scratch.write(body, 32, "utf8")));
}

/**
 * Appends a link after the head. Read and insert happen in one write transaction (the caller's, or
 * one of its own): two writers cannot both append after the same head (seq is the primary key).
 */
function append(db: Db, kind: LinkKind, ref: string, at: number, content: Buffer | Raw): void {
  const s = statements(db);
  const head = s.head.get() as [number, Buffer] | undefined;
  const seq = (head?.[0] ?? 0) + 1;
  const prev = head?.[1] ?? GENESIS;
  const hash = linkHash(prev, seq, kind, ref, at, content);
  s.insert.run(seq, kind, ref, at, Buffer.isBuffer(content) ? content : null, prev, hash);
}

/**
 * Runs `work` (a record's write and its link) in the caller's transaction, or in one of its own:
 * a record and the link proving it commit together or not at all.
 */
export function inWrite<T>(db: Db, work: () => T): T {
  return db.$client.inTransaction ? work() : inTransaction(db, work);
}

/** Chains an `actions` row as it is now (after an insert or an update). */
export function chainAction(db: Db, id: string, at: number): void {
  inWrite(db, () => {
    const row = statements(db).action.get(id) as Raw | undefined;
    if (!row) throw new Error(`action ${id} is not in the audit log`);
    append(db, "action", id, at, actionDigest(row));
  });
}

/** Chains an `action_events` row just written. */
export function chainEvent(db: Db, id: number | bigint): void {
  inWrite(db, () => {
    const row = statements(db).event.get(id) as Raw;
    append(db, "event", String(row[0]), row[2] as number, row);
  });
}

/** Chains an `audit_events` row just written. */
export function chainAudit(db: Db, id: number | bigint): void {
  inWrite(db, () => {
    const row = statements(db).audit.get(id) as Raw;
    append(db, "audit", String(row[0]), row[1] as number, row);
  });
}

/** The head of the chain: seq 0 and the genesis hash when it is empty. */
export function chainHead(db: Db): { seq: number; hash: Buffer } {
  const head = statements(db).head.get() as [number, Buffer] | undefined;
  return head ? { seq: head[0], hash: head[1] } : { seq: 0, hash: GENESIS };
}

/**
 * Databases from before the chain: every record already written gets its link, once (when the
 * chain is empty and nothing was ever signed), security events first, then the actions' timelines,
 * then each action's current state. Returns how many records were chained.
 */
export function chainUnchainedRecords(db: Db, now: number): number {
  const c = db.$client;
  return db.transaction(
    () => {
      if (c.prepare("select 1 from audit_chain limit 1").get() || c.prepare("select 1 from audit_checkpoints limit 1").get()) return 0;
      let n = 0;
      for (const row of c.prepare(`select ${AUDIT_COLUMNS} from audit_events order by id`).raw().all() as Raw[]) {
        append(db, "audit", String(row[0]), row[1] as number, row);
        n++;
      }
      for (const row of c.prepare(`select ${EVENT_COLUMNS} from action_events order by id`).raw().all() as Raw[]) {
        append(db, "event", String(row[0]), row[2] as number, row);
        n++;
      }
      for (const row of c.prepare(`select ${ACTION_COLUMNS} from actions order by id`).raw().all() as Raw[]) {
        append(db, "action", row[0] as string, now, actionDigest(row));
        n++;
      }
      return n;
    },
    { behavior: "immediate" },
  );
}

export interface ChainProblem {
  /** The table and row (`action_events id 1234`, `actions act_...`), or the chain link. */
  record: string;
  why: string;
}

export interface ChainWalk {
  /** Links walked. */
  links: number;
  /** Records checked (links, plus each action row against its last state). */
  problems: ChainProblem[];
  head: { seq: number; hash: Buffer };
  /** The hash at each seq asked for in `at` (the checkpoints' heads), where the chain has it. */
  hashes: Map<number, Buffer>;
  /** The first seq walked (after a retention cut, the seq after the cut). */
  firstSeq: number;
}

const MAX_PROBLEMS = 50;

/** The longest the walk runs before it pauses (when it may). */
const SLICE_MS = 20;

/** Iterates a table's rows in id order, one step at a time (a merge with the chain's links). */
class Cursor {
  private readonly it: Iterator<Raw>;
  current: Raw | undefined;
  constructor(rows: IterableIterator<unknown>) {
    this.it = rows as Iterator<Raw>;
    this.next();
  }
  next(): void {
    const r = this.it.next();
    this.current = r.done ? undefined : r.value;
  }
  close(): void {
    this.it.return?.();
  }
}

/**
 * Walks the whole chain in order and checks each link against the record it proves, then every
 * record against the chain: a changed, deleted or inserted row of any of the three tables, or a
 * changed, deleted or inserted link, is named. Streams: the tables are read in id order alongside
 * the chain (event and audit ids grow in write order), and only the actions' last digests are kept.
 * `start`: where the chain begins after a retention cut (the cut's seq and hash).
 */
export async function walkChain(
  db: Db,
  opts: { at: Set<number>; start?: { seq: number; hash: Buffer }; pause?: () => Promise<void> },
): Promise<ChainWalk> {
  const c = db.$client;
  const problems: ChainProblem[] = [];
  const problem = (record: string, why: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ record, why });
  };
  const hashes = new Map<number, Buffer>();
  /** Each action's last recorded digest (hex). */
  const lastState = new Map<string, string>();
  const events = new Cursor(c.prepare(`select ${EVENT_COLUMNS} from action_events order by id`).raw().iterate());
  const audits = new Cursor(c.prepare(`select ${AUDIT_COLUMNS} from audit_events order by id`).raw().iterate());
  // hex(NULL) is '': a link without a digest.
  const links = c
    .prepare("select seq, kind, ref, at, lower(hex(digest)), lower(hex(prev_hash)), lower(hex(hash)) from audit_chain order by seq")
    .raw()
    .iterate() as IterableIterator<[number, LinkKind, string, number, string, string, string]>;
  const startSeq = opts.start?.seq ?? 0;
  let expected = startSeq + 1;
  let prevHash = (opts.start?.hash ?? GENESIS).toString("hex");
  let lastSeq = startSeq;
  let walked = 0;
  if (opts.at.has(startSeq)) hashes.set(startSeq, Buffer.from(prevHash, "hex"));

  /** Moves a table's cursor to the row `ref` names: rows skipped are not in the chain. */
  const match = (cursor: Cursor, table: string, ref: string, seq: number): Raw | undefined => {
    const id = Number(ref);
    while (cursor.current && (cursor.current[0] as number) < id) {
      problem(`${table} id ${cursor.current[0]}`, "not in the chain: written outside the application");
      cursor.next();
    }
    if (cursor.current && cursor.current[0] === id) {
      const row = cursor.current;
      cursor.next();
      return row;
    }
    problem(`${table} id ${ref} missing`, `deleted: the chain holds it at link ${seq}`);
    return undefined;
  };

  // With `pause` (a connection of the walk's own), the walk stops every SLICE_MS to let others run.
  // (An await only then: one on every link would cost the walk a microtask per link.)
  let slice = performance.now();
  const due = (n: number) => opts.pause !== undefined && (n & 255) === 0 && performance.now() - slice >= SLICE_MS;
  const pause = async () => {
    await opts.pause?.();
    slice = performance.now();
  };

  try {
    for (const [seq, kind, ref, at, digest, prev, hash] of links) {
      walked++;
      if (due(walked)) await pause();
      if (seq <= startSeq) {
        // Before the retention cut, left by a prune still under way (each action goes whole): each
        // record is checked against its own link; the chain itself starts at the signed cut.
        let content: string | Raw | undefined = digest || undefined;
        if (kind === "action" && digest) lastState.set(ref, digest);
        else if (kind === "event") content = match(events, "action_events", ref, seq);
        else if (kind === "audit") content = match(audits, "audit_events", ref, seq);
        if (content !== undefined && linkHex(prev, seq, kind, ref, at, content) !== hash) {
          problem(`audit_chain link ${seq}`, "before the retention cut: does not match its record");
        }
        continue;
      }
      if (seq !== expected) {
        problem(`audit_chain link ${expected}`, seq > expected ? `missing: chain broken between ${expected - 1} and ${seq}` : `out of order (found ${seq})`);
      } else if (prev !== prevHash) {
        problem(`audit_chain link ${seq}`, `its previous hash is not the hash of link ${seq - 1}: chain broken`);
      }
      let content: string | Raw | undefined;
      let record = `audit_chain link ${seq}`;
      if (kind === "action") {
        content = digest || undefined;
        record = `actions ${ref}`;
        if (digest) lastState.set(ref, digest);
      } else if (kind === "event") {
        record = `action_events id ${ref}`;
        content = match(events, "action_events", ref, seq);
      } else if (kind === "audit") {
        record = `audit_events id ${ref}`;
        content = match(audits, "audit_events", ref, seq);
      } else {
        problem(record, `unknown kind ${String(kind)}`);
      }
      if (content !== undefined && linkHex(prev, seq, kind, ref, at, content) !== hash) {
        problem(record, kind === "action" ? `its link ${seq} does not match its content` : "hash does not match its content");
      }
      // Whatever the damage, the walk goes on from the link as stored: one change is named once.
      prevHash = hash;
      expected = seq + 1;
      lastSeq = seq;
      if (opts.at.has(seq)) hashes.set(seq, Buffer.from(hash, "hex"));
    }
    for (; events.current; events.next()) problem(`action_events id ${events.current[0]}`, "not in the chain: written outside the application");
    for (; audits.current; audits.next()) problem(`audit_events id ${audits.current[0]}`, "not in the chain: written outside the application");
  } finally {
    events.close();
    audits.close();
  }

  // Each action as it is now against the digest of its last recorded state.
  let rows = 0;
  for (const row of c.prepare(`select ${ACTION_COLUMNS} from actions order by id`).raw().iterate() as IterableIterator<Raw>) {
    if (due(++rows)) await pause();
    const id = row[0] as string;
    const recorded = lastState.get(id);
    if (!recorded) problem(`actions ${id}`, "not in the chain: written outside the application");
    else if (recorded !== sha256Hex(Buffer.from(JSON.stringify(row)))) problem(`actions ${id}`, "row differs from the state its last event recorded");
    lastState.delete(id);
  }
  for (const id of lastState.keys()) problem(`actions ${id} missing`, "deleted: the chain holds its state");

  return { links: walked, problems, head: { seq: lastSeq, hash: Buffer.from(prevHash, "hex") }, hashes, firstSeq: startSeq + 1 };
}

// --- checkpoints

export interface CheckpointRow {
  id: number;
  seq: number;
  hash: Buffer;
  at: number;
  reason: string;
  keyId: string;
  signature: Buffer;
}

export function insertCheckpoint(db: Db, row: Omit<CheckpointRow, "id">): CheckpointRow {
  const info = db.$client
    .prepare("insert into audit_checkpoints (seq, hash, at, reason, key_id, signature) values (?, ?, ?, ?, ?, ?)")
    .run(row.seq, row.hash, row.at, row.reason, row.keyId, row.signature);
  return { id: Number(info.lastInsertRowid), ...row };
}

export function listCheckpoints(db: Db): CheckpointRow[] {
  return db.$client
    .prepare("select id, seq, hash, at, reason, key_id as keyId, signature from audit_checkpoints order by id")
    .all() as CheckpointRow[];
}

export function lastCheckpoint(db: Db): CheckpointRow | undefined {
  return db.$client
    .prepare("select id, seq, hash, at, reason, key_id as keyId, signature from audit_checkpoints order by id desc limit 1")
    .get() as CheckpointRow | undefined;
}

// --- the last verification (what /admin shows)

export interface VerificationRow {
  at: number;
  ok: boolean;
  records: number;
  checkpoints: number;
  seconds: number;
  problem: string | null;
}

export function saveVerification(db: Db, v: VerificationRow): void {
  db.$client
    .prepare(
      "insert into audit_verifications (id, at, ok, records, checkpoints, seconds, problem) values (1, ?, ?, ?, ?, ?, ?) " +
        "on conflict(id) do update set at = excluded.at, ok = excluded.ok, records = excluded.records, " +
        "checkpoints = excluded.checkpoints, seconds = excluded.seconds, problem = excluded.problem",
    )
    .run(v.at, v.ok ? 1 : 0, v.records, v.checkpoints, v.seconds, v.problem);
}

export function lastVerification(db: Db): VerificationRow | undefined {
  const row = db.$client.prepare("select at, ok, records, checkpoints, seconds, problem from audit_verifications where id = 1").get() as
    | (Omit<VerificationRow, "ok"> & { ok: number })
    | undefined;
  return row && { ...row, ok: row.ok === 1 };
}

/**
 * Each record's newest link in the chain (hex), by id: of `action` links, the hash that proves the
 * row as it is now; of `audit` links, an event's own. Records without a link are absent.
 */
export function linkHashes(db: Db, kind: "action" | "audit", refs: readonly string[]): Map<string, string> {
  if (refs.length === 0) return new Map();
  // The newest link of each ref (SQLite takes the bare columns from the row of max(seq)).
  const rows = db.$client
    .prepare("select ref, lower(hex(hash)) as h, max(seq) from audit_chain where kind = ? and ref in (select value from json_each(?)) group by ref")
    .all(kind, JSON.stringify(refs)) as { ref: string; h: string }[];
  return new Map(rows.map((r) => [r.ref, r.h]));
}
