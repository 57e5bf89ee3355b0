// The checkpoint thread: it copies the server's write-ahead log back into the database file while
// the server's own connection never checkpoints, and what it copied is what a new reader sees.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { type CheckpointReport, type Checkpointer, startCheckpointer } from "@/lib/db/checkpointer";
import { openDb } from "@/lib/db/client";

let checkpointer: Checkpointer | undefined;
afterEach(async () => {
  await checkpointer?.stop();
  checkpointer = undefined;
});

function freshFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-ckpt-")), "mdr.db");
}

const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("checkpoint thread", () => {
  it("copies the log into the database file while the writer never checkpoints", async () => {
    const file = freshFile();
    const db = openDb(file);
    const sqlite = db.$client;
    sqlite.pragma("wal_autocheckpoint = 0"); // only the thread may copy
    sqlite.exec("create table filler (id integer primary key, blob text)");
    const before = fs.statSync(file).size;

    const reports: CheckpointReport[] = [];
    checkpointer = startCheckpointer(file, { intervalMs: 20, onReport: (r) => reports.push(r) });
    const insert = sqlite.prepare("insert into filler (blob) values (?)");
    for (let i = 0; i < 200; i++) insert.run("x".repeat(20_000)); // about 4 MB, in 200 commits
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(4_000_000);

    // Every frame of the log ends up copied back, by the thread alone.
    await until(() => {
      const last = reports.at(-1);
      return last !== undefined && last.checkpointed === last.log && fs.statSync(file).size - before > 4_000_000;
    });

    // A reader of the database file alone (the log set aside) finds every row.
    await checkpointer.stop();
    checkpointer = undefined;
    const copy = `${file}.copy`;
    fs.copyFileSync(file, copy);
    const reader = new Database(copy, { readonly: true });
    expect((reader.prepare("select count(*) as n from filler").get() as { n: number }).n).toBe(200);
    reader.close();
    sqlite.close();
  });

  it("leaves the writer's transactions alone: writes go on while checkpoints copy, and nothing is lost", async () => {
    const file = freshFile();
    const db = openDb(file);
    const sqlite = db.$client;
    sqlite.pragma("wal_autocheckpoint = 0");
    sqlite.exec("create table n (id integer primary key)");
    // Each checkpoint that copied something, with how many rows the writer had committed by then.
    const copied: { checkpointed: number; written: number }[] = [];
    let i = 0;
    checkpointer = startCheckpointer(file, {
      intervalMs: 1,
      onReport: (r) => {
        if (r.checkpointed > 0) copied.push({ checkpointed: r.checkpointed, written: i });
      },
    });
    const insert = sqlite.prepare("insert into n (id) values (?)");
    // Write (each row its own commit) until several checkpoints have copied frames in between,
    // however long the thread takes to get its turns on a busy machine.
    const deadline = Date.now() + 20_000;
    // (Reports arrive when this thread yields: on a loaded machine several may arrive at one yield,
    // so writing goes on until they were seen at two different points of it.)
    const points = () => new Set(copied.map((c) => c.written)).size;
    while (copied.length < 5 || points() < 2) {
      if (Date.now() > deadline) throw new Error(`only ${copied.length} checkpoints copied anything in 20 s of writes (seen at ${points()} points)`);
      insert.run(++i);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    const during = [...copied];
    for (let k = 0; k < 200; k++) insert.run(++i); // and more after them
    await checkpointer.stop();
    checkpointer = undefined;
    // Those checkpoints copied frames at different points of the writes, with writes before and
    // after each of them.
    expect(new Set(during.map((c) => c.written)).size).toBeGreaterThan(1);
    expect(during[0]!.written).toBeGreaterThan(0);
    expect(i).toBeGreaterThan(during.at(-1)!.written);
    expect(sqlite.prepare("select count(*) as n, max(id) as m from n").get() as { n: number; m: number }).toEqual({ n: i, m: i });
    sqlite.close();
  });
});
