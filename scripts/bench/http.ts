// Everything the benchmark sends over HTTP: load steps (autocannon), timed GETs, time to first
// byte, and what the page makes a browser download.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import autocannon from "autocannon";
import { type Latency, latency } from "./stats";

/**
 * Headers sent with every request of the benchmark, API and page alike. Sign-in will need a
 * bearer token on the API and a session cookie on /mdr: they go here, and only here.
 */
export const authHeaders: Record<string, string> = {};

export interface LoadResult extends Latency {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  /** Answers other than the expected ones (2xx; 401 when anonymous), connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  /** Server CPU time per request (user + system), ms: comparable even on a busy machine. */
  cpuMsPerRequest?: number;
  /** Requests/s of every run when this is the median of several. */
  trials?: number[];
}

/**
 * POSTs a fresh body from `body()` on every request, from `connections` keep-alive connections,
 * for `seconds`. Latencies are every response's own, so p95 is exact (autocannon's summary has none).
 */
export async function postLoad(opts: {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  body: () => unknown;
  /** Sends no credential (the answer is then a 401, which is what is counted). */
  anonymous?: boolean;
}): Promise<LoadResult> {
  const expected = opts.anonymous ? "401" : "2";
  const samples: number[] = [];
  const statusCodes: Record<string, number> = {};
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        duration: opts.seconds,
        requests: [
          {
            method: "POST",
            path: opts.path,
            headers: { "content-type": "application/json", ...(opts.anonymous ? {} : authHeaders) },
            setupRequest: (req) => ({ ...req, body: JSON.stringify(opts.body()) }),
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      samples.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const non2xx = Object.entries(statusCodes)
    .filter(([code]) => !code.startsWith(expected))
    .reduce((n, [, count]) => n + count, 0);
  return {
    connections: opts.connections,
    seconds,
    requests: samples.length,
    rps: samples.length / seconds,
    errors: non2xx + result.errors, // autocannon counts timeouts among its errors
    statusCodes,
    ...latency(samples),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export interface Timed {
  status: number;
  /** Until the first byte of the body (time to first byte), ms. */
  ttfb: number;
  /** Until the whole body, ms. */
  total: number;
  body: string;
}

/** One GET over a kept-alive connection, timed to its first body byte and to its end. */
export function timedGet(url: string): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers: authHeaders }, (res) => {
      let ttfb = Number.NaN;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        if (Number.isNaN(ttfb)) ttfb = performance.now() - t0;
        chunks.push(chunk);
      });
      res.on("end", () => {
        const total = performance.now() - t0;
        resolve({ status: res.statusCode ?? 0, ttfb: Number.isNaN(ttfb) ? total : ttfb, total, body: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

export interface GetSeries extends Latency {
  requests: number;
  /** Answers other than 200. */
  errors: number;
  firstError?: string;
}

/** `warmup` untimed requests, then `count` sequential ones; `pick` chooses which time counts. */
export async function getSeries(
  url: string,
  count: number,
  opts: { warmup?: number; pick?: "total" | "ttfb" } = {},
): Promise<GetSeries> {
  const pick = opts.pick ?? "total";
  for (let i = 0; i < (opts.warmup ?? 10); i++) await timedGet(url);
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < count; i++) {
    const r = await timedGet(url);
    samples.push(r[pick]);
    if (r.status !== 200) {
      errors++;
      firstError ??= `${r.status}: ${r.body.slice(0, 300)}`;
    }
  }
  return { requests: count, errors, firstError, ...latency(samples) };
}

export interface FirstLoadJs {
  files: { src: string; bytes: number; gzipped: number }[];
  bytes: number;
  gzipped: number;
}

/**
 * The JavaScript a modern browser downloads to start the page: every <script src> in the served
 * HTML, read from the build output (.next/static) and gzipped. `noModule` scripts (the legacy
 * polyfills) are left out: browsers that run modules skip them.
 */
export function firstLoadJs(html: string, buildDir: string): FirstLoadJs {
  const srcs = new Set<string>();
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
    if (/\bnomodule\b/i.test(tag)) continue;
    const src = /\bsrc="([^"]+)"/i.exec(tag)?.[1];
    if (src?.startsWith("/_next/static/")) srcs.add(src.split("?")[0]!);
  }
  if (srcs.size === 0) throw new Error("the page loads no scripts from /_next/static: has the HTML changed shape?");
  const files = [...srcs].map((src) => {
    const content = fs.readFileSync(path.join(buildDir, "static", decodeURIComponent(src.slice("/_next/static/".length))));
    return { src, bytes: content.length, gzipped: zlib.gzipSync(content).length };
  });
  return {
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    gzipped: files.reduce((n, f) => n + f.gzipped, 0),
  };
}
