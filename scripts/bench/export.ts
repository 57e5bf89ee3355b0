// The export of the audit log through the production server: GET /mdr/actions/export read to the
// end by a client that keeps nothing, with the server's resident memory (VmRSS of its process)
// sampled every 50 ms while it streams. A first export of the log's oldest tenth warms the server
// up (the route's code, SQLite's page cache filled to its 16 MB, V8's young generation and the
// allocator at their working size: a one-time cost of 30-60 MB, reached within the first 25,000
// rows and flat after); the growth judged is from there, what the size of an export costs. The
// RSS of the fresh server is reported too.
import fs from "node:fs";
import http from "node:http";
import { authHeaders } from "./http";

export interface ExportRun {
  format: string;
  rows: number;
  bytes: number;
  seconds: number;
  /** The server's RSS before the warm-up export. */
  rssFresh: number;
  /** Lines of the warm-up export. */
  warmupRows: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
  status: number;
}

function vmRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Reads the whole answer, counting bytes and lines, keeping nothing. */
function drain(url: string): Promise<{ status: number; bytes: number; lines: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: authHeaders }, (res) => {
        let bytes = 0;
        let lines = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, lines }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

export async function exportRun(opts: { url: string; pid: number; format: "ndjson" | "csv"; warmupUntil: string }): Promise<ExportRun> {
  const api = `${opts.url}/api/v1/mdr/actions/export`;
  const rssFresh = vmRss(opts.pid);
  const w = await drain(`${api}?format=${opts.format}&until=${opts.warmupUntil}`);
  if (w.status !== 200) throw new Error(`the warm-up export answered ${w.status}`);
  await new Promise((r) => setTimeout(r, 500));
  const rssBefore = vmRss(opts.pid);
  let rssPeak = rssBefore;
  const timer = setInterval(() => (rssPeak = Math.max(rssPeak, vmRss(opts.pid))), 50);
  const t0 = performance.now();
  try {
    const r = await drain(`${api}?format=${opts.format}`);
    const seconds = (performance.now() - t0) / 1000;
    rssPeak = Math.max(rssPeak, vmRss(opts.pid));
    // CSV has a header line.
    const rows = opts.format === "csv" ? r.lines - 1 : r.lines;
    return { format: opts.format, rssFresh, warmupRows: w.lines, rows, bytes: r.bytes, seconds, rssBefore, rssPeak, rssAfter: vmRss(opts.pid), status: r.status };
  } finally {
    clearInterval(timer);
  }
}
