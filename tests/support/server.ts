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
  /**
   * Stops the server and starts it again on a new, empty database of its own (with a new test
   * token): for suites whose tests must not see what an earlier test left in the audit log.
   */
  restartWithNewDatabase(): Promise<void>;
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
  post(pathname: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/**
 * A port nothing listens on now. Nothing holds it afterwards: another process may take it before
 * whoever meant to use it binds it. startServer does not rely on it (the server binds port 0 and
 * says which port it got); it is for a caller that must name a URL before anything starts, and
 * that then retries with a fresh port when the server finds it taken (PortInUseError).
 */
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

/** The server could not listen on the port it was given: another process holds it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    log: string,
  ) {
    super(`port ${port} is already in use:\n${log}`);
  }
}

/** What `next start` prints once it listens: "- Local:        http://127.0.0.1:41234". */
const LISTENING = /- Local:\s+http:\/\/127\.0\.0\.1:(\d+)/;
const ADDRESS_IN_USE = /EADDRINUSE/;

export function tempDbPath(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mdr-${name}-`));
  return path.join(dir, "mdr.db");
}

/** The name of the token the test servers are called with: rows record `token:tests`. */
export const TEST_TOKEN_NAME = "tests";

/** Mints an API token straight into a database file (as `npm run mdr -- tokens create` does); `tenants`: its scope (default all). */
export function mintToken(
  dbPath: string,
  name: string,
  role: "viewer" | "responder" | "admin",
  expiresAt?: number,
  tenants: readonly string[] | null = null,
): string {
  const db = openDb(dbPath);
  try {
    return createToken({ db, now: Date.now }, { name, role, expiresAt, tenants }, "cli").token;
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

let servers = 0;

/**
 * Starts `next start` with its own database (unless `env.MDR_DB_PATH` names one). By default it
 * listens on port 0 and the URL is the port it printed, so no other process can take the port
 * between choosing it and binding it. `port`: listen there instead (when the URL must be known
 * before start, as for MDR_PUBLIC_URL); if another process has it, PortInUseError (start again
 * with a fresh port). A restart listens on the same port again, or, should another process have
 * taken it while the server was down, on a new one (`url` follows).
 */
export async function startServer(env: Record<string, string> = {}, name = "api", opts: { port?: number } = {}): Promise<TestServer> {
  let port = opts.port ?? 0;
  let dbPath = env.MDR_DB_PATH ?? tempDbPath(name);
  // Servers that share a database each get a token of their own.
  let token = mintToken(dbPath, `${TEST_TOKEN_NAME}${env.MDR_DB_PATH ? `-${process.pid}-${++servers}` : ""}`, "admin");
  let child: ChildProcess | undefined;
  let log = "";
  const urlOf = () => `http://127.0.0.1:${port}`;

  const spawnOn = (listen: number) => {
    log = "";
    const c = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(listen), "-H", "127.0.0.1"], {
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
    c.stdout!.on("data", (d) => (log += d));
    c.stderr!.on("data", (d) => (log += d));
    child = c;
    return c;
  };

  /** Starts the process on `listen` and waits for the port it bound and for /status to answer. */
  const launchOn = async (listen: number) => {
    const c = spawnOn(listen);
    const deadline = Date.now() + 60_000;
    let bound: number | undefined;
    while (Date.now() < deadline) {
      if (c.exitCode !== null || c.signalCode !== null) {
        if (ADDRESS_IN_USE.test(log)) throw new PortInUseError(listen, log);
        throw new Error(`server exited (${c.exitCode ?? c.signalCode}):\n${log}`);
      }
      bound ??= Number(LISTENING.exec(log)?.[1] ?? "") || undefined;
      if (bound !== undefined) {
        if (listen !== 0 && bound !== listen) throw new Error(`server asked to listen on ${listen} says ${bound}:\n${log}`);
        port = bound;
        try {
          const res = await fetch(`${urlOf()}/api/v1/mdr/status`, withToken(token));
          if (res.ok) return;
        } catch {
          // listening, not answering yet
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    c.kill("SIGKILL");
    throw new Error(`server did not become ready in 60 s:\n${log}`);
  };

  const launch = async () => {
    try {
      await launchOn(port);
    } catch (err) {
      // Only a restart (a port already ours once) moves; a port the caller chose is theirs to change.
      if (!(err instanceof PortInUseError) || port === 0 || opts.port !== undefined) throw err;
      port = 0;
      await launchOn(0);
    }
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
    get url() {
      return urlOf();
    },
    get dbPath() {
      return dbPath;
    },
    get token() {
      return token;
    },
    output: () => log,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    restartWithNewDatabase: async () => {
      if (env.MDR_DB_PATH) throw new Error("restartWithNewDatabase: this server was given its database (MDR_DB_PATH)");
      await stop();
      dbPath = tempDbPath(name);
      token = mintToken(dbPath, TEST_TOKEN_NAME, "admin");
      await launch();
    },
    fetch: (pathname, init) => fetch(`${urlOf()}${pathname}`, withToken(token, init)),
    post: (pathname, body, headers = {}) =>
      fetch(
        `${urlOf()}${pathname}`,
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
