// Starts the production build (`next start`) on a free port with its own database, and
// lets a test kill it (SIGKILL included) and start it again on the same data.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createToken } from "@/lib/auth/tokens";
import { openDb } from "@/lib/db/client";

const ROOT = path.resolve(__dirname, "../..");

export interface TestServer {
  url: string;
  dbPath: string;
  /** An admin API token (`token:tests`) that fetch and post send unless told otherwise. */
  token: string;
  /** Output of the current process, for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
  post(pathname: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** A port nothing listens on now (to know a server's URL before it starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export function tempDbPath(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mdr-${name}-`));
  return path.join(dir, "mdr.db");
}

/** The name of the token the test servers are called with: rows record `token:tests`. */
export const TEST_TOKEN_NAME = "tests";

/** Mints an API token straight into a database file (as `npm run mdr -- tokens create` does). */
export function mintToken(dbPath: string, name: string, role: "viewer" | "responder" | "admin", expiresAt?: number): string {
  const db = openDb(dbPath);
  try {
    return createToken({ db, now: Date.now }, { name, role, expiresAt }, "cli").token;
  } finally {
    db.$client.close();
  }
}

/** Adds the test token unless the request names its own Authorization (or asks for none with ""). */
function withToken(token: string, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  else if (headers.get("authorization") === "") headers.delete("authorization");
  return { ...init, headers };
}

/** `port`: listen there (e.g. from freePort(), when the URL must be known before start, as for MDR_PUBLIC_URL). */
export async function startServer(env: Record<string, string> = {}, name = "api", opts: { port?: number } = {}): Promise<TestServer> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dbPath = env.MDR_DB_PATH ?? tempDbPath(name);
  const token = mintToken(dbPath, `${TEST_TOKEN_NAME}${env.MDR_DB_PATH ? `-${port}` : ""}`, "admin");
  let child: ChildProcess | undefined;
  let log = "";

  const launch = async () => {
    log = "";
    child = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: ROOT,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: "1",
        NODE_ENV: "production",
        MDR_DB_PATH: dbPath,
        MDR_SIM_STEP_MS: "300",
        MDR_POLL_INTERVAL_MS: "200",
        MDR_SWEEP_INTERVAL_MS: "250",
        MDR_STATUS_TTL_SECONDS: "0",
        // The suites make calls far faster than an analyst; the rate limiter and the circuit
        // breaker have their own suite (lifecycle tests), which sets them.
        MDR_RATE_LIMIT_DEFENDER: "none",
        MDR_RATE_LIMIT_GRAPH: "none",
        MDR_RATE_LIMIT_AZURE_NSG: "none",
        MDR_RATE_LIMIT_AWS: "none",
        MDR_BREAKER_THRESHOLD: "0",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d) => (log += d));
    child.stderr!.on("data", (d) => (log += d));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${log}`);
      try {
        const res = await fetch(`${url}/api/v1/mdr/status`, withToken(token));
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`server did not become ready in 60 s:\n${log}`);
  };

  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill(signal);
    });
  };

  await launch();
  return {
    url,
    dbPath,
    token,
    output: () => log,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    fetch: (pathname, init) => fetch(`${url}${pathname}`, withToken(token, init)),
    post: (pathname, body, headers = {}) =>
      fetch(
        `${url}${pathname}`,
        withToken(token, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      ),
  };
}

/** Polls until `check` returns a value, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
