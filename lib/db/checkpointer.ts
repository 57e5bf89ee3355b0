import "server-only";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";

// Copies the write-ahead log back into the database file from a worker thread with its own
// connection, so that the server's one event loop does not stop for it. A checkpoint of the log
// (about 40 MB at the 10,000-page mark) took a request's thread away for the copy and an fsync:
// every couple of hundred actions, every request in flight waited for it.
//
// The worker's checkpoints are PASSIVE: they never wait for, nor hold up, the server's writes.
// The server keeps its own automatic checkpoint as a backstop (lib/db/client.ts): should the
// worker fall behind or stop, the log is still bounded, and when the worker keeps up, the
// backstop finds nearly every page already copied.

/** What one checkpoint of the worker did: frames in the log, and frames copied back so far. */
export interface CheckpointReport {
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

// Plain CommonJS run by the worker (eval): the server's bundler never sees it, and better-sqlite3
// is loaded from node_modules as the server loads it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
let last = "";
const tick = () => {
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)");
    if (workerData.report && r.log > 0) parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    const message = String(err && err.message || err);
    if (message !== last) parentPort.postMessage({ error: message });
    last = message;
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "stop") return;
  clearInterval(timer);
  tick();
  db.close();
  parentPort.close();
});
`;

/**
 * Starts checkpointing `file` (a WAL-mode database) every `intervalMs` from a worker thread.
 * `onReport` hears each checkpoint that found frames in the log (for tests and diagnostics).
 */
export function startCheckpointer(
  file: string,
  opts: { intervalMs: number; onReport?: (r: CheckpointReport) => void },
): Checkpointer {
  // The server runs from the project root (as migrations assume): better-sqlite3 resolves from there.
  const driver = createRequire(path.join(process.cwd(), "package.json")).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file: path.resolve(file), intervalMs: opts.intervalMs, report: opts.onReport !== undefined },
  });
  worker.on("message", (m: CheckpointReport | { error: string }) => {
    if ("error" in m) console.error(`[mdr] background checkpoint failed: ${m.error}`);
    else opts.onReport?.(m);
  });
  worker.on("error", (err) => console.error("[mdr] the checkpoint thread stopped:", err));
  // Never what keeps a process alive.
  worker.unref();
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        worker.once("exit", () => resolve());
        worker.postMessage("stop");
      })),
  };
}
