// The audit log's proof of itself: the hash chain (written by lib/db/queries/chain.ts with every
// record), signed checkpoints of its head, and the verification of both.
//
// Checkpoints are signed with Ed25519 (node:crypto): MDR_AUDIT_SIGNING_KEY, or a key generated at
// first start into the database's folder (audit-signing-key.pem, mode 0600). Whoever can rewrite
// the database file and recompute every hash cannot sign a new head without the key, so a rewrite
// is caught against an earlier checkpoint (keep the key elsewhere than the data, through
// MDR_AUDIT_SIGNING_KEY, for that to hold against someone with the whole folder).
import "server-only";
import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { AuditConfig, Config } from "@/lib/config";
import { type Db, dbFile, openSnapshot } from "@/lib/db/client";
import {
  type CheckpointRow,
  chainHead,
  chainUnchainedRecords,
  insertCheckpoint,
  lastCheckpoint,
  lastVerification,
  listCheckpoints,
  saveVerification,
  walkChain,
} from "@/lib/db/queries/chain";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  keyId: string;
  publicKeyPem: string;
}

/** The file a generated key is kept in, next to the database. */
export const KEY_FILE = "audit-signing-key.pem";

const keys = globalThis as unknown as { __mdrAuditKeys?: Map<string, SigningKey> };

function fromPrivate(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ format: "der", type: "spki" });
  return {
    privateKey,
    publicKey,
    keyId: createHash("sha256").update(der).digest("hex").slice(0, 16),
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }) as string,
  };
}

/**
 * The key that signs checkpoints: the configured one, else the one in the database's folder
 * (generated there, 0600, when missing). An in-memory database gets a key for the process.
 * `created` says whether it was made just now.
 */
export function signingKey(cfg: { audit: Pick<AuditConfig, "signingKeyPem"> }, db: Db): SigningKey & { created: boolean } {
  const file = dbFile(db);
  const where = cfg.audit.signingKeyPem !== undefined ? "env" : (file ?? ":memory:");
  keys.__mdrAuditKeys ??= new Map();
  const known = keys.__mdrAuditKeys.get(where);
  if (known) return { ...known, created: false };
  let created = false;
  let key: SigningKey;
  if (cfg.audit.signingKeyPem !== undefined) {
    key = fromPrivate(createPrivateKey(cfg.audit.signingKeyPem));
  } else if (file === null) {
    key = fromPrivate(generateKeyPairSync("ed25519").privateKey);
  } else {
    const keyFile = path.join(path.dirname(path.resolve(file)), KEY_FILE);
    if (!fs.existsSync(keyFile)) {
      const pem = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string;
      try {
        // wx: of two processes starting at once, one writes the key and the other reads it.
        fs.writeFileSync(keyFile, pem, { mode: 0o600, flag: "wx" });
        created = true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
    }
    key = fromPrivate(createPrivateKey(fs.readFileSync(keyFile, "utf8")));
  }
  keys.__mdrAuditKeys.set(where, key);
  return { ...key, created };
}

/** What a checkpoint's signature covers. */
const signedText = (c: Pick<CheckpointRow, "seq" | "hash" | "at" | "reason" | "keyId">) =>
  Buffer.from(`mdr-audit-checkpoint/1\n${c.seq}\n${c.hash.toString("hex")}\n${c.at}\n${c.reason}\n${c.keyId}`);

export type CheckpointReason = "start" | "hourly" | "shutdown" | "prune";

/**
 * Signs the chain's head and keeps it. Nothing is written when the head is the one the last
 * checkpoint signed (an idle hour), unless `always`.
 */
export function writeCheckpoint(db: Db, key: SigningKey, reason: CheckpointReason, now: number, always = false): CheckpointRow | undefined {
  const head = chainHead(db);
  const last = lastCheckpoint(db);
  if (!always && last && last.seq === head.seq && last.hash.equals(head.hash)) return undefined;
  const row = { seq: head.seq, hash: head.hash, at: now, reason, keyId: key.keyId };
  return insertCheckpoint(db, { ...row, signature: sign(null, signedText(row), key.privateKey) });
}

/** Signs a retention cut: the link at `seq` (its hash), after which the chain is kept. */
export function writeCutCheckpoint(db: Db, key: SigningKey, cut: { seq: number; hash: Buffer }, now: number): CheckpointRow {
  const row = { seq: cut.seq, hash: cut.hash, at: now, reason: "prune" as const, keyId: key.keyId };
  return insertCheckpoint(db, { ...row, signature: sign(null, signedText(row), key.privateKey) });
}

/** At server start: chains what an older version wrote without the chain (once), and prints the key. */
export function prepareAudit(cfg: Pick<Config, "audit">, db: Db, now: number, print: (line: string) => void): SigningKey {
  const key = signingKey(cfg, db);
  const chained = chainUnchainedRecords(db, now);
  if (chained > 0) print(`[mdr] Audit log: chained the ${chained} records written before the hash chain existed`);
  if (key.created) print(`[mdr] Audit log: generated the checkpoint signing key ${KEY_FILE} next to the database`);
  print(`[mdr] Audit checkpoints are signed by Ed25519 key ${key.keyId}; its public key:\n${key.publicKeyPem.trim()}`);
  writeCheckpoint(db, key, "start", now);
  return key;
}

export interface VerifyProblem {
  record: string;
  why: string;
}

export interface Verification {
  ok: boolean;
  /** The first problem as one line (`action_events id 12: hash does not match its content`), or null. */
  problem: string | null;
  problems: VerifyProblem[];
  /** Links of the chain walked: one per record written (each change of an action is one). */
  records: number;
  checkpoints: number;
  seconds: number;
  head: { seq: number; hash: string };
  key: { id: string; public_key: string };
  at: string;
}

/**
 * Checks the whole log: every link against its record, every record against the chain, every
 * action row against its last recorded state, and every checkpoint's signature and head against
 * the chain. Saves the outcome (what /admin shows). A database file is read through a snapshot
 * connection of its own, in slices: the server answers other requests while it runs, and the
 * writes they make are not seen half-way (an in-memory database is read at once).
 */
export async function verifyAudit(db: Db, key: SigningKey, now: () => number = Date.now): Promise<Verification> {
  const started = performance.now();
  const file = dbFile(db);
  const snapshot = file === null ? undefined : openSnapshot(file);
  try {
    return await verifyOn(snapshot?.db ?? db, db, key, now, started, snapshot && (() => new Promise<void>((resolve) => setImmediate(resolve))));
  } finally {
    snapshot?.close();
  }
}

async function verifyOn(read: Db, db: Db, key: SigningKey, now: () => number, started: number, pause?: () => Promise<void>): Promise<Verification> {
  const checkpoints = listCheckpoints(read);
  const unsigned = (c: CheckpointRow): string | undefined =>
    c.keyId !== key.keyId
      ? `signed by key ${c.keyId}, not by this server's key ${key.keyId}`
      : verify(null, signedText(c), key.publicKey, c.signature)
        ? undefined
        : "signature invalid";
  // After a retention cut the chain starts after the cut's signed head; a cut whose signature does
  // not hold is named first (the chain is then walked from the last cut that holds).
  const cuts = checkpoints.filter((c) => c.reason === "prune");
  const problems: VerifyProblem[] = cuts.flatMap((c) => {
    const why = unsigned(c);
    return why ? [{ record: `checkpoint ${c.id}`, why }] : [];
  });
  const cut = cuts.reverse().find((c) => unsigned(c) === undefined);
  const walk = await walkChain(read, { at: new Set(checkpoints.map((c) => c.seq)), start: cut && { seq: cut.seq, hash: cut.hash }, pause });
  problems.push(...walk.problems);
  for (const c of checkpoints) {
    const record = `checkpoint ${c.id}`;
    const why = unsigned(c);
    if (why) {
      if (c.reason !== "prune") problems.push({ record, why });
    } else if (c.seq < walk.firstSeq - 1) {
      continue; // before a retention cut: signed, its records pruned
    } else if (c.seq > walk.head.seq) {
      problems.push({ record, why: `head hash differs: it signed link ${c.seq}, past the chain's end (${walk.head.seq}): records deleted` });
    } else if (!walk.hashes.get(c.seq)?.equals(c.hash)) {
      problems.push({ record, why: `head hash differs from the chain's link ${c.seq}: the log was rewritten` });
    }
  }
  const first = problems[0];
  const result: Verification = {
    ok: problems.length === 0,
    problem: first ? `${first.record}: ${first.why}` : null,
    problems,
    records: walk.links,
    checkpoints: checkpoints.length,
    seconds: Math.round(performance.now() - started) / 1000,
    head: { seq: walk.head.seq, hash: walk.head.hash.toString("hex") },
    key: { id: key.keyId, public_key: key.publicKeyPem },
    at: new Date(now()).toISOString(),
  };
  saveVerification(db, {
    at: now(),
    ok: result.ok,
    records: result.records,
    checkpoints: result.checkpoints,
    seconds: result.seconds,
    problem: result.problem,
  });
  return result;
}

/** The last verification, as the admin page and API show it; null when none ran yet. */
export function lastAuditVerification(db: Db) {
  const v = lastVerification(db);
  return v
    ? { at: new Date(v.at).toISOString(), ok: v.ok, records: v.records, checkpoints: v.checkpoints, seconds: v.seconds, problem: v.problem }
    : null;
}

/** One line: `audit log verified: 1234 records, 5 checkpoints, 0.42 s` or the first problem. */
export function summary(v: Pick<Verification, "ok" | "problem" | "records" | "checkpoints" | "seconds">): string {
  return v.ok
    ? `audit log verified: ${v.records} records, ${v.checkpoints} checkpoints, ${v.seconds.toFixed(2)} s`
    : `audit log does NOT verify: ${v.problem}`;
}
