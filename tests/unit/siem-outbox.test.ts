// The SIEM outbox in the database: a record is queued with it (in its transaction) only while a
// destination is enabled; each destination's place; what is pruned.
import { describe, expect, it } from "vitest";
import { openDb } from "@/lib/db/client";
import { insertAuditEvent } from "@/lib/db/queries/auth";
import {
  backlogAfter,
  destinationRow,
  enableDestinations,
  markDelivered,
  pruneDelivered,
  queuedAfter,
} from "@/lib/db/queries/siem";

const audit = (db: ReturnType<typeof openDb>, subject: string) =>
  insertAuditEvent(db, { at: 1000, event: "user_created", actor: "system", subject, detail: { role: "viewer" }, ip: null });

const queued = (db: ReturnType<typeof openDb>) => queuedAfter(db, 0, 100).map((r) => `${r.seq}:${r.source}:${r.recordId}:${r.audit?.subject}`);

describe("SIEM outbox", () => {
  it("queues nothing while no destination is enabled, then every record, in order, with its record", () => {
    const db = openDb(":memory:");
    audit(db, "before");
    expect(queued(db)).toEqual([]);
    enableDestinations(db, ["syslog", "hec"]);
    audit(db, "a");
    audit(db, "b");
    expect(queued(db)).toEqual(["1:audit_event:2:a", "2:audit_event:3:b"]);
    expect(queuedAfter(db, 1, 100)[0]).toEqual({
      seq: 2,
      source: "audit_event",
      recordId: 3,
      action: null,
      audit: { at: 1000, event: "user_created", actor: "system", subject: "b", detail: { role: "viewer" }, ip: null },
      // Its link in the audit hash chain, as verification reads it.
      hash: (db.$client.prepare("select lower(hex(hash)) as h from audit_chain where kind = 'audit' and ref = '3'").get() as { h: string }).h,
    });
    expect(queuedAfter(db, 1, 100)[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a record whose transaction rolls back leaves no outbox row", () => {
    const db = openDb(":memory:");
    enableDestinations(db, ["hec"]);
    expect(() =>
      db.transaction(() => {
        audit(db, "rolled back");
        throw new Error("abort");
      }),
    ).toThrow("abort");
    audit(db, "kept");
    // Rolled back with it: the record, its outbox row and the ids they took.
    expect(queued(db)).toEqual(["1:audit_event:1:kept"]);
  });

  it("keeps each destination's place; prunes behind the slowest enabled one; a destination enabled again starts now", () => {
    const db = openDb(":memory:");
    enableDestinations(db, ["syslog", "hec"]);
    for (const s of ["a", "b", "c", "d"]) audit(db, s);
    markDelivered(db, "syslog", 3, "audit_event:3", 5000);
    markDelivered(db, "hec", 1, "audit_event:1", 5000);
    expect(pruneDelivered(db, 100)).toBe(1);
    expect(queued(db)).toEqual(["2:audit_event:2:b", "3:audit_event:3:c", "4:audit_event:4:d"]);
    expect([backlogAfter(db, 3), backlogAfter(db, 1)]).toEqual([1, 3]);
    // A restart with the same destinations keeps their places.
    enableDestinations(db, ["syslog", "hec"]);
    expect([destinationRow(db, "syslog")?.deliveredSeq, destinationRow(db, "hec")?.deliveredSeq]).toEqual([3, 1]);
    // HEC no longer configured: nothing waits for it.
    enableDestinations(db, ["syslog"]);
    expect(destinationRow(db, "hec")?.enabled).toBe(false);
    expect(pruneDelivered(db, 100)).toBe(2);
    expect(queued(db)).toEqual(["4:audit_event:4:d"]);
    // Configured again: from the records written from now on, not the ones it missed.
    enableDestinations(db, ["syslog", "hec"]);
    expect(destinationRow(db, "hec")).toMatchObject({ enabled: true, deliveredSeq: 4 });
    // No destination at all: nothing is queued, and what is left goes.
    enableDestinations(db, []);
    audit(db, "e");
    expect(pruneDelivered(db, 100)).toBe(1);
    expect(queued(db)).toEqual([]);
  });
});
