// Retention of the audit log (MDR_AUDIT_RETENTION_DAYS): what is older than the cut is deleted,
// the rest still verifies. The cut is a position in the hash chain, and what is kept is a suffix
// of it: the cut is the link before the oldest record that must stay (an action still running or
// whose effect is in place, one completed since the cutoff, a record newer than the cutoff or still
// waiting for a SIEM destination), and an old action whose row or timeline has a link after the
// cut stays whole too. So a block still in force keeps everything written after it, however old:
// nothing is deleted past a kept record. The head at the cut is signed first (a checkpoint of
// reason "prune"); verification starts there. Deletion goes in transactions of a few thousand
// records, so writers wait for one batch at most; should the process stop half-way, the next prune
// finishes the cut first (what is left before it still verifies, link by link).
import "server-only";
import { recordAudit } from "@/lib/auth/audit";
import { type CheckpointRow, listCheckpoints } from "@/lib/db/queries/chain";
import { type PruneCounts, countBefore, deleteLinkRange, firstLink, linkAt, retentionCut } from "@/lib/db/queries/retention";
import type { Db } from "@/lib/db/client";
import { type SigningKey, writeCutCheckpoint } from "./chain";

const DAY_MS = 86_400_000;

/** Links deleted per transaction (about a thousand actions with their timelines). */
export const PRUNE_BATCH_LINKS = 5_000;

export interface PruneResult {
  /** Records older than this (ISO) may go. */
  cutoff: string;
  /** The chain's position of the cut (everything up to it deleted), and the one before this prune. */
  cut: number;
  previous: number;
  removed: PruneCounts;
  dryRun: boolean;
  seconds: number;
}

const lastCut = (checkpoints: CheckpointRow[]) => [...checkpoints].reverse().find((c) => c.reason === "prune");

/** Deletes what is left up to `cut` from `from` on, a batch per transaction; yields between batches. */
async function deleteUpTo(db: Db, from: number, cut: number, pause: () => Promise<void>): Promise<PruneCounts> {
  const total: PruneCounts = { actions: 0, actionEvents: 0, auditEvents: 0, links: 0 };
  for (let at = from; at < cut; at += PRUNE_BATCH_LINKS) {
    const n = deleteLinkRange(db, at, Math.min(cut, at + PRUNE_BATCH_LINKS));
    total.actions += n.actions;
    total.actionEvents += n.actionEvents;
    total.auditEvents += n.auditEvents;
    total.links += n.links;
    await pause();
  }
  return total;
}

/**
 * Prunes the audit log of what is older than `days` (see the file's head). With `dryRun`, only
 * says what would go. Records itself in the security audit log (`audit_pruned`) when it deleted
 * something. `pause` runs between batches (the server lets requests in).
 */
export async function pruneAudit(
  db: Db,
  key: SigningKey,
  opts: { days: number; now: () => number; actor: string; dryRun?: boolean; pause?: () => Promise<void> },
): Promise<PruneResult> {
  const started = performance.now();
  const now = opts.now();
  const cutoff = now - opts.days * DAY_MS;
  const pause = opts.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const previous = lastCut(listCheckpoints(db))?.seq ?? 0;
  const cut = retentionCut(db, { after: previous, cutoff });
  const counts = countBefore(db, { after: 0, cut });
  const result = (removed: PruneCounts, dryRun: boolean): PruneResult => ({
    cutoff: new Date(cutoff).toISOString(),
    cut,
    previous,
    removed,
    dryRun,
    seconds: Math.round(performance.now() - started) / 1000,
  });
  if (opts.dryRun) return result(counts, true);
  if (cut > previous) writeCutCheckpoint(db, key, { seq: cut, hash: linkAt(db, cut)! }, now);
  // From the first link left: an earlier prune stopped half-way is finished too.
  const first = firstLink(db);
  const removed = first === undefined || first > cut ? counts : await deleteUpTo(db, first - 1, cut, pause);
  if (removed.links > 0) {
    recordAudit(
      { db, now: opts.now },
      {
        event: "audit_pruned",
        actor: opts.actor,
        detail: {
          before: new Date(cutoff).toISOString(),
          retention_days: opts.days,
          cut_seq: cut,
          actions: removed.actions,
          action_events: removed.actionEvents,
          audit_events: removed.auditEvents,
          links: removed.links,
        },
      },
    );
  }
  return result(removed, false);
}
