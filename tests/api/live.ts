// Shared by the live-*.test.ts suites: one HTTPS emulator and one production server in live mode
// pointed at it, and helpers to read what the emulator received.
import { afterAll, beforeAll, expect } from "vitest";
import { certsFromEnv, trustEnv } from "../emulator/certs";
import {
  ACL_A,
  AWS_KEY,
  CLIENT_A,
  exampleSeed,
  NSG,
  RESOURCE_GROUP,
  SUBSCRIPTION_A,
  TENANT_A,
} from "../emulator/fixtures";
import { DEFENDER_PERMISSIONS, GRAPH_PERMISSIONS } from "../emulator/permissions";
import { type Emulator, type EmulatorOptions, type FaultSpec, type RecordedRequest, type RequestFilter, startEmulator } from "../emulator/server";
import { type TestServer, eventually, startServer } from "../support/server";
import { type Json, type Reply, action, anyIso, call, detail, steps, withoutTimeline } from "./helpers";

export const REGION = "eu-west-1";

/** Environment of a product server in live mode, every service pointed at the emulator (tenant A). */
export function liveEnv(emu: Emulator, over: Record<string, string> = {}): Record<string, string> {
  const certs = certsFromEnv();
  if (!certs) throw new Error("the emulator certificate is not in the environment: is tests/emulator/global-setup.ts the vitest globalSetup?");
  return {
    ...trustEnv(certs),
    MDR_MODE: "live",
    AZURE_TENANT_ID: TENANT_A,
    AZURE_CLIENT_ID: CLIENT_A.clientId,
    AZURE_CLIENT_SECRET: CLIENT_A.clientSecret,
    AZURE_AUTHORITY_HOST: emu.urls.authorityHost,
    MDE_API_URL: emu.urls.defender,
    GRAPH_API_URL: emu.urls.graph,
    AZURE_RESOURCE_MANAGER_URL: emu.urls.arm,
    AZURE_SUBSCRIPTION_ID: SUBSCRIPTION_A,
    AZURE_NSG_RESOURCE_GROUP: RESOURCE_GROUP,
    AZURE_NSG_NAME: NSG,
    AWS_REGION: REGION,
    AWS_NETWORK_ACL_ID: ACL_A,
    AWS_ENDPOINT_URL_EC2: emu.urls.ec2,
    AWS_ACCESS_KEY_ID: AWS_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_KEY.secretAccessKey,
    ...over,
  };
}

export interface Live {
  emu: Emulator;
  server: TestServer;
}

/**
 * Starts an emulator and a live product server for the file (beforeAll), stops both after it.
 * `env` may be a function of the emulator (for settings that name its URLs).
 */
export function liveSetup(opts: {
  name: string;
  emulator?: Partial<EmulatorOptions>;
  env?: Record<string, string> | ((emu: Emulator) => Record<string, string>);
}): () => Live {
  let live: Live | undefined;
  let emu: Emulator | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    emu = await startEmulator({ ...exampleSeed(), ...opts.emulator });
    const env = typeof opts.env === "function" ? opts.env(emu) : liveEnv(emu, opts.env);
    server = await startServer(env, opts.name);
    live = { emu, server };
  });
  afterAll(async () => {
    await server?.stop();
    await emu?.close();
  });
  return () => {
    if (!live) throw new Error("the live servers did not start");
    return live;
  };
}

/**
 * For a beforeEach: the emulator back to its seed and the server on a new, empty database, so
 * that no test sees what an earlier one did (a row still active, a block the sweep still has to
 * end, an address already blocked). The server is stopped first: nothing of its earlier work
 * reaches the emulator after the reset.
 */
export async function freshLive(live: () => Live): Promise<void> {
  const { emu, server } = live();
  await server.stop();
  emu.reset();
  await server.restartWithNewDatabase();
}

/** The last request number so far: requests after it are `since(emu, mark)`. */
export const mark = (emu: Emulator): number => emu.requests.at(-1)?.seq ?? 0;

/** Requests received after `seq`, optionally filtered like emu.find. */
export function since(emu: Emulator, seq: number, filter: RequestFilter = {}): RecordedRequest[] {
  return emu.find(filter).filter((r) => r.seq > seq);
}

/** What a test asserts of a request: the call as sent, and the answer's status. */
export function brief(r: RecordedRequest): { method: string; path: string; query: Record<string, string>; body: unknown; status: number | undefined } {
  return { method: r.method, path: r.path, query: r.query, body: r.body, status: r.status };
}

/** The calls to the outside APIs (not Entra) after `seq`, in order. */
export function apiCalls(emu: Emulator, seq: number, filter: RequestFilter = {}) {
  return since(emu, seq, filter)
    .filter((r) => r.service !== "entra")
    .map(brief);
}

/**
 * The bearer identity an API saw: which app, which tenant, which resource, and the app roles the
 * token carries for that resource (the seeded apps hold every permission: all of Defender's or
 * Graph's; ARM tokens carry none, ARM authorizes by RBAC).
 */
export function bearer(audience: string, tenantId = TENANT_A, clientId = CLIENT_A.clientId) {
  const who = { kind: "bearer", valid: true, audience, tenantId, clientId };
  if (audience === AUDIENCE.defender) return { ...who, roles: [...DEFENDER_PERMISSIONS] };
  if (audience === AUDIENCE.graph) return { ...who, roles: [...GRAPH_PERMISSIONS] };
  return who;
}

export const AUDIENCE = {
  defender: "https://api.securitycenter.microsoft.com",
  graph: "https://graph.microsoft.com",
  arm: "https://management.azure.com",
} as const;

/** An action row of the live tenant A. */
export function liveAction(over: Record<string, unknown>): Record<string, unknown> {
  return action({ tenant_id: TENANT_A, mode: "live", ...over });
}

/** A live isolation row of `hostname` (asked by name, Full, in tenant A unless `over` says otherwise). */
export function isolateRow(hostname: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return liveAction({
    type: "isolate_endpoint",
    target: hostname,
    provider: "defender",
    parameters: { hostname, machine_id: null, isolation_type: "Full" },
    ...over,
  });
}

/**
 * Asserts an isolation Defender carried out to Succeeded, asked by name: the final row is the 202's
 * with the machine action Succeeded, and its timeline the five steps from request to success.
 */
export function expectIsolationSucceeded(done: Json, accepted: Json, device: { id: string; dnsName: string }, ref: string): void {
  expect(withoutTimeline(done)).toEqual({
    ...accepted,
    status: "succeeded",
    result: { machine_id: device.id, computer_dns_name: device.dnsName, machine_action_status: "Succeeded" },
    active: true,
    updated_at: done.completed_at,
    completed_at: anyIso(),
  });
  expect(steps(done)).toEqual([
    ["pending", "Requested by token:tests"],
    ["pending", `Resolved to device ${device.id} (${device.dnsName})`],
    ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
    ["in_progress", "Defender: machine action is InProgress"],
    ["succeeded", "Defender: isolation Succeeded"],
  ]);
}

/** Paths of the NSG and its rules, as the ARM client sends them. */
export function nsgPath(subscriptionId = SUBSCRIPTION_A, rule?: string): string {
  const base = `/subscriptions/${subscriptionId}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}`;
  return rule === undefined ? base : `${base}/securityRules/${rule}`;
}

/** Calls the server and keeps every answer's raw text, so a test can check what was ever shown. */
export class Recorder {
  readonly texts: string[] = [];

  constructor(private readonly server: () => TestServer) {}

  async call(pathname: string, init?: RequestInit): Promise<Reply> {
    const reply = await call(this.server(), pathname, init);
    this.texts.push(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
    return reply;
  }

  post(pathname: string, body: unknown): Promise<Reply> {
    return this.call(pathname, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  get(pathname: string): Promise<Reply> {
    return this.call(pathname);
  }
}

/** Milliseconds between two recorded requests. */
export function gapMs(a: RecordedRequest, b: RecordedRequest): number {
  return Date.parse(b.at) - Date.parse(a.at);
}

/** Asserts that none of `secrets` occurs in any of `texts`. */
export function expectNoSecrets(texts: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const hits = texts.filter((t) => t.includes(secret));
    expect(hits, `a secret appeared in ${hits.length} answer(s)`).toEqual([]);
  }
}

/**
 * Moves an active block's end to `inMs` from now (PATCH expires_at), for a test that must first
 * set the scene with the block in effect and only then let the expiry sweep end it. Should the
 * machine be so slow that the time has passed when the server reads it (422: must be in the
 * future), it asks again with a fresh one. Returns the new expires_at.
 */
export async function expireSoon(server: TestServer, id: string, inMs = 1000): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const at = new Date(Date.now() + inMs).toISOString();
    const r = await call(server, `/api/v1/mdr/actions/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expires_at: at }),
    });
    if (r.status === 200) {
      expect(r.body.expires_at).toBe(at);
      return at;
    }
    const late = r.status === 422 && /^must be in the future/.test(r.body.errors?.[0]?.message ?? "");
    if (!late || attempt === 5) throw new Error(`PATCH expires_at of ${id}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/**
 * Holds the requests the fault matches until the returned function is called: the server is killed
 * while the provider still has the request, and the provider carries it out (or not) only then.
 */
export function hold(emu: Emulator, match: string, extra: Partial<FaultSpec> = {}): () => void {
  let release = () => {};
  const until = new Promise<void>((res) => (release = res));
  emu.setFault({ match, until, ...extra });
  return release;
}

/**
 * Releases held requests: the emulator's handlers are synchronous, so a released request has been
 * carried out (or dropped) before the next turn of the event loop, whether or not its client is still there.
 */
export async function releaseHeld(release: () => void): Promise<void> {
  release();
  await new Promise((res) => setImmediate(res));
}

/** Waits until the emulator has received a request matching `path` (after `from`). */
export const arrived = (emu: Emulator, from: number, method: string, path: string) =>
  eventually(async () => (since(emu, from, { method, path }).length > 0 ? true : undefined), 5000, `${method} ${path} to reach the emulator`);

/** The row once recovery has settled it. */
export const settledRow = (server: TestServer, id: string): Promise<Json> =>
  eventually(
    async () => {
      const d = await detail(server, id);
      return d.status === "pending" ? undefined : d;
    },
    20_000,
    `${id} to be settled`,
  );

// The two-tenant setup (Contoso and Fabrikam) lives in tests/support/two-tenants.ts, which the
// browser suite imports too (this file needs vitest).
export { KEY_A, KEY_B, TWO_TENANTS, tenantsEnv } from "../support/two-tenants";
