// SIEM forwarding: each configured destination reads the outbox from its own place, in order,
// sends a batch, and moves its place on only once the batch is delivered (transports.ts says when
// that is). A failure is recorded and retried after a wait that doubles up to MDR_SIEM_RETRY_MAX_MS.
// Its place is in the database, so a restarted server resumes where the last one stopped. Nothing
// here runs inside a request: an action only writes its outbox row.
import "server-only";
import type { SiemConfig } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import {
  type QueuedRecord,
  backlogAfter,
  destinationRow,
  enableDestinations,
  markDelivered,
  markFailed,
  pruneDelivered,
  queuedAfter,
} from "@/lib/db/queries/siem";
import { octetCounted, recordId, toHecEvent, toSyslogMessage } from "./format";
import { HecTransport, SyslogTransport, type Transport } from "./transports";

export type DestinationName = "syslog" | "hec";

/** Records per batch (syslog waits SYSLOG_GRACE_MS after each: about 2,500 records a second at most). */
const BATCH = 500;
/** Outbox rows deleted per pass once every destination has them. */
const PRUNE_BATCH = 10_000;
/** The first wait after a failure; it doubles with each failure in a row, up to retryMaxMs. */
const RETRY_MIN_MS = 500;

interface Destination {
  name: DestinationName;
  url: string;
  transport: Transport;
  /** The record as this destination's wire format; undefined when the record is no longer in the log. */
  render(r: QueuedRecord): string | undefined;
}

/** The destinations the configuration names, and where they send (never a secret). */
export function configuredDestinations(cfg: SiemConfig): { name: DestinationName; url: string; format: string }[] {
  const list: { name: DestinationName; url: string; format: string }[] = [];
  if (cfg.syslog) list.push({ name: "syslog", url: cfg.syslog.url, format: "RFC 5424 (RFC 6587 octet counting), CEF" });
  if (cfg.hec) list.push({ name: "hec", url: cfg.hec.url, format: "Splunk HEC JSON" });
  return list;
}

function destinations(cfg: SiemConfig): Destination[] {
  const list: Destination[] = [];
  if (cfg.syslog) {
    list.push({
      name: "syslog",
      url: cfg.syslog.url,
      transport: new SyslogTransport(cfg.syslog),
      render: (r) => {
        const message = toSyslogMessage(r);
        return message === undefined ? undefined : octetCounted(message);
      },
    });
  }
  if (cfg.hec) {
    list.push({
      name: "hec",
      url: cfg.hec.url,
      transport: new HecTransport(cfg.hec),
      render: (r) => {
        const event = toHecEvent(r);
        return event === undefined ? undefined : JSON.stringify(event);
      },
    });
  }
  return list;
}

/** The wait before the next attempt after `failures` failures in a row. */
export function retryDelayMs(failures: number, maxMs: number): number {
  return Math.min(maxMs, RETRY_MIN_MS * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Starts forwarding (once per process). Each destination runs a loop of its own, so one that is
 * down does not hold the other back; the outbox is emptied behind the slowest.
 */
export function startSiemForwarding(db: Db, cfg: SiemConfig, now: () => number): void {
  const list = destinations(cfg);
  enableDestinations(
    db,
    list.map((d) => d.name),
  );
  const prune = () => {
    try {
      pruneDelivered(db, PRUNE_BATCH);
    } catch (err) {
      console.error("[mdr] SIEM outbox cleanup failed:", err);
    }
  };
  for (const d of list) void pump(db, d, cfg, now, prune);
  // With no destination nothing is queued; what an earlier configuration left is cleared.
  if (list.length === 0) setInterval(prune, Math.max(cfg.intervalMs, 1000)).unref();
}

async function pump(db: Db, d: Destination, cfg: SiemConfig, now: () => number, prune: () => void): Promise<void> {
  for (;;) {
    let wait = cfg.intervalMs;
    try {
      const row = destinationRow(db, d.name)!;
      const batch = queuedAfter(db, row.deliveredSeq, BATCH);
      if (batch.length > 0) {
        const lines: string[] = [];
        for (const r of batch) {
          const line = d.render(r);
          // A record pruned from the log before it was forwarded (retention) is passed over.
          if (line === undefined) console.error(`[mdr] SIEM ${d.name}: ${recordId(r)} is no longer in the log; skipped`);
          else lines.push(line);
        }
        try {
          if (lines.length > 0) await d.transport.send(lines);
        } catch (err) {
          const failures = markFailed(db, d.name, (err as Error).message, now());
          wait = retryDelayMs(failures, cfg.retryMaxMs);
          console.error(`[mdr] SIEM ${d.name}: ${(err as Error).message}; ${backlogAfter(db, row.deliveredSeq)} waiting, next try in ${wait} ms`);
          await sleep(wait);
          continue;
        }
        const last = batch[batch.length - 1]!;
        markDelivered(db, d.name, last.seq, recordId(last), now());
        prune();
        // More may be waiting: no pause between full batches.
        if (batch.length === BATCH) continue;
      }
    } catch (err) {
      console.error(`[mdr] SIEM ${d.name} failed:`, err);
    }
    await sleep(wait);
  }
}

/** A destination's state as /status and /admin show it. */
export interface SiemDestinationState {
  name: DestinationName;
  url: string;
  format: string;
  last_delivered: { at: string; record: string } | null;
  backlog: number;
  /** Failed attempts since the last delivery: 0 when the destination is keeping up. */
  failures: number;
  last_error: { at: string; message: string } | null;
}

/** Each configured destination's state, read from the database (the sender may be another bundle). */
export function siemState(db: Db, cfg: SiemConfig): SiemDestinationState[] {
  const list = configuredDestinations(cfg);
  return list.map((d) => {
    // Made when forwarding starts; until then (a page rendered first), nothing delivered yet.
    const row = destinationRow(db, d.name) ?? {
      deliveredSeq: 0,
      deliveredAt: null,
      deliveredRecord: null,
      failures: 0,
      lastError: null,
      lastErrorAt: null,
    };
    return {
      name: d.name,
      url: d.url,
      format: d.format,
      last_delivered:
        row.deliveredAt === null || row.deliveredRecord === null
          ? null
          : { at: new Date(row.deliveredAt).toISOString(), record: row.deliveredRecord },
      backlog: backlogAfter(db, row.deliveredSeq),
      failures: row.failures,
      last_error:
        row.lastError === null || row.lastErrorAt === null ? null : { at: new Date(row.lastErrorAt).toISOString(), message: row.lastError },
    };
  });
}
