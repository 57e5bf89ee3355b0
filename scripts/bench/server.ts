// The production server (`next start` with the flags scripts/start.mjs gives it) on a free loopback port,
// in simulation with instant providers, and the peak memory of its process tree.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { serverNodeFlags } from "../node-flags.mjs";
import { authHeaders } from "./http";

const ROOT = path.resolve(__dirname, "../..");

export interface BenchServer {
  url: string;
  pid: number;
  /** Highest resident memory of the server's process tree seen so far, in bytes. */
  peakRss(): number;
  /** CPU time (user + system) the server's process tree has used so far, in ms. */
  cpuMs(): number;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** Reads one `Name:   123 kB` line of /proc/<pid>/status, in bytes (0 when the process is gone). */
function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of /proc/<pid>/stat, in ms (0 when the process is gone). */
function procCpuMs(pid: number): number {
  try {
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The process and its descendants: `next start` serves in-process today, but may fork workers. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").trim();
        if (children) out.push(...children.split(/\s+/).map(Number));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return out;
}

/** Samples the tree's total RSS every 100 ms; the peak also takes each process's own high-water mark. */
function rssSampler(pid: number) {
  let peak = 0;
  const sample = () => {
    const tree = processTree(pid);
    const sum = tree.reduce((n, p) => n + procStatusBytes(p, "VmRSS"), 0);
    const hwm = Math.max(...tree.map((p) => procStatusBytes(p, "VmHWM")));
    peak = Math.max(peak, sum, hwm);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    peak: () => {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** The first admin's password on the benchmark's fresh databases: the page is measured signed in. */
const ADMIN_PASSWORD = randomBytes(18).toString("base64url");

/**
 * An API token for the load, made with the admin command line on the server's database before it
 * starts (as an operator would), and sent as a bearer token like a SOAR playbook does.
 */
function mintToken(dbPath: string, name: string): string {
  return execFileSync("npm", ["run", "-s", "mdr", "--", "tokens", "create", name, "--role", "responder"], {
    cwd: ROOT,
    env: { ...process.env, MDR_DB_PATH: dbPath },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** Signs the first admin in and returns the session cookie, for the page's measurements. */
async function sessionCookie(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  const cookie = res.headers.get("set-cookie");
  if (!res.ok || !cookie) throw new Error(`signing in to ${url} failed: ${res.status} ${await res.text()}`);
  return cookie.split(";")[0]!;
}

export async function startServer(env: Record<string, string>, readyTimeoutMs = 300_000): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  if (!env.MDR_DB_PATH) throw new Error("the benchmark's servers run on a database of their own: set MDR_DB_PATH");
  authHeaders.authorization = `Bearer ${mintToken(env.MDR_DB_PATH, `bench-${port}`)}`;
  delete authHeaders.cookie;
  const child: ChildProcess = spawn(
    process.execPath,
    // The flags `npm start` runs it with (scripts/node-flags.mjs).
    [...serverNodeFlags(), path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        // Simulation with providers that answer at once and never fail, whatever the caller's environment says.
        MDR_MODE: "simulation",
        MDR_SIM_STEP_MS: "0",
        MDR_SIM_FAILURE_RATE: "0",
        MDR_SIM_FAULTS: "",
        MDR_ADMIN_PASSWORD: ADMIN_PASSWORD,
        // Our own cost is measured: no limit of the caller's (300 actions a minute by default), and
        // none of Defender's published 100 calls a minute, which the simulated providers keep to too.
        MDR_ACTOR_RATE_LIMIT: "0",
        MDR_RATE_LIMIT_DEFENDER: "none",
        MDR_RATE_LIMIT_GRAPH: "none",
        MDR_RATE_LIMIT_AZURE_NSG: "none",
        MDR_RATE_LIMIT_AWS: "none",
        MDR_RATE_LIMIT_AWS_WAF: "none",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const pid = child.pid!;
  const rss = rssSampler(pid);

  const stop = async () => {
    rss.peak();
    rss.stop();
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  };

  // The first open of a large database runs ANALYZE (lib/db/client.ts), so readiness may take a while.
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/api/v1/mdr/status`, { headers: authHeaders });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server was not ready within ${readyTimeoutMs / 1000} s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // API requests carry the bearer token, the page's the cookie; each ignores the other's.
  authHeaders.cookie = await sessionCookie(url);
  const cpuMs = () => processTree(pid).reduce((n, p) => n + procCpuMs(p), 0);
  return { url, pid, peakRss: rss.peak, cpuMs, output: () => log, stop };
}
