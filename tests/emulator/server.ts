// The emulator: one HTTPS server (Entra, Defender, Graph and ARM, told apart by path), one
// plain-HTTP server for EC2's Query API and one for WAF v2's JSON API, with seeded state, a record of every request, and
// fault injection. See README.md beside this file.
import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { handleArm } from "./arm";
import { describeAuth } from "./auth";
import { certsFromEnv, type EmulatorCerts, makeCerts } from "./certs";
import { handleDefender, setActionStatus } from "./defender";
import { handleEc2 } from "./ec2";
import { handleEntra } from "./entra";
import { FaultList, sendFault } from "./faults";
import { handleGraph, handleGraphBatch } from "./graph";
import { handleWaf, wafOperation } from "./waf";
import { type EmulatorCore, guid, parseBody, type RequestContext, readBody, type ResolvedOptions, sendJson } from "./http";
import { decodeToken, signToken, type TokenClaims } from "./jwt";
import { checkPermissionNames, rolesFor } from "./permissions";
import { buildState } from "./seed";
import { Throttle, throttleScale } from "./throttle";
import { AWS_KEY } from "./fixtures";
import type {
  AclState,
  DeviceState,
  EmulatorOptions,
  EmulatorSeed,
  EmulatorState,
  FaultHandle,
  FaultSpec,
  IpSetState,
  MachineActionStatus,
  MailboxState,
  NsgState,
  RecordedRequest,
  ServiceName,
  TenantState,
  UserState,
} from "./types";

export * from "./types";
export { deviceIdFor, userIdFor } from "./seed";
export type { TokenClaims } from "./jwt";

/** Resource ids the real services accept as token audience. */
export const AUDIENCES = {
  defender: ["https://api.securitycenter.microsoft.com", "https://securitycenter.onmicrosoft.com/windowsatpservice"],
  graph: ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"],
  arm: [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
  ],
} as const;

const KNOWN_RESOURCES = [
  ...AUDIENCES.defender,
  ...AUDIENCES.graph,
  ...AUDIENCES.arm,
  "https://api.security.microsoft.com",
  "https://graph.microsoft.us",
  "https://dod-graph.microsoft.us",
  "https://microsoftgraph.chinacloudapi.cn",
  "https://management.usgovcloudapi.net",
  "https://management.usgovcloudapi.net/",
];

export interface RequestFilter {
  service?: ServiceName;
  method?: string;
  /** Substring of, or pattern for, the path. */
  path?: string | RegExp;
  action?: string;
}

export interface Emulator {
  /** https://127.0.0.1:PORT — authority host, Defender, Graph and ARM all live here. */
  url: string;
  /** http://127.0.0.1:PORT2 — EC2 Query API. */
  ec2Url: string;
  /** http://127.0.0.1:PORT3 — WAF v2 (AWSWAF_20190729 JSON API). */
  wafUrl: string;
  /** The same URLs by role, for wiring a product's configuration. */
  urls: { authorityHost: string; defender: string; graph: string; arm: string; ec2: string; waf: string };
  certs: EmulatorCerts;
  /** PEM of the certificate, to pass as `ca` where a client accepts one. */
  caPem: string;
  /** Live state: read it to assert effects, or change it to set up a case. */
  state: EmulatorState;
  /** Every request received, oldest first (reset() empties it; the array object stays the same). */
  requests: RecordedRequest[];
  find(filter: RequestFilter): RecordedRequest[];
  /** Back to the seed: state, requests, faults, permission changes and throttling counts; tokens already issued stay valid. */
  reset(): void;
  setFault(spec: FaultSpec): FaultHandle;
  clearFaults(): void;
  /**
   * Restricts (or with "all", frees) an app's permissions in every tenant that has it, or in
   * `tenantId` only. Defender and Graph permissions reach tokens issued from now on (the APIs read
   * the token's roles, as the real ones do: a token already held keeps its roles until it
   * expires); ARM actions (RBAC) apply to the next request.
   */
  setPermissions(clientId: string, permissions: string[] | "all", tenantId?: string): void;
  /** Moves a MachineAction (any tenant) to `status`; Succeeded applies isolation to the device. */
  setMachineActionStatus(actionId: string, status: MachineActionStatus): void;
  /** The next ARM long-running operation started ends Failed with this error. */
  failNextArmOperation(error?: { code: string; message: string }): void;
  /**
   * The next isolate/unisolate is created, and answered, with this status instead of Pending
   * (Succeeded applies it to the device at once): Defender answering with a final status at once.
   */
  startNextMachineActionAs(status: MachineActionStatus): void;
  /** A token as Entra would issue it, without an HTTP round trip (e.g. to test wrong audiences). */
  issueToken(input: {
    tenantId: string;
    clientId: string;
    audience: string;
    lifetimeSeconds?: number;
    /** The roles claim; default: what Entra would put for the app and audience; null: no claim. */
    roles?: string[] | null;
  }): string;
  decodeToken(token: string): TokenClaims | undefined;
  tenant(tenantId: string): TenantState;
  device(tenantId: string, idOrName: string): DeviceState;
  user(tenantId: string, idOrUpn: string): UserState;
  mailbox(tenantId: string, idOrUpn: string): MailboxState;
  nsg(subscriptionId: string, resourceGroup: string, name: string): NsgState;
  acl(networkAclId: string): AclState;
  /** A WAF IP set by ARN (its addresses, LockToken, count of updates). */
  ipSet(arn: string): IpSetState;
  /**
   * Another writer changes the set (`change` of its addresses, the LockToken rotated) just before
   * each of its next `times` UpdateIPSet calls is handled: those calls carry a token read before
   * that change, and get WAFOptimisticLockException, as a lost race does.
   */
  raceIpSetUpdates(arn: string, times: number, change?: (addresses: string[]) => string[]): void;
  close(): Promise<void>;
}

function resolveOptions(o: EmulatorOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    tokenLifetimeSeconds: o.tokenLifetimeSeconds ?? 3599,
    defender: {
      actionProgress: o.defender?.actionProgress ?? { mode: "polls", pollsPerStep: 1 },
      duplicateAction: o.defender?.duplicateAction ?? "error",
      emptyListStatus: o.defender?.emptyListStatus ?? 200,
    },
    graph: { permanentDelete: o.graph?.permanentDelete ?? true },
    arm: {
      inProgressPolls: o.arm?.inProgressPolls ?? 1,
      rejectConcurrent: o.arm?.rejectConcurrent ?? false,
      priorityRange: o.arm?.priorityRange ?? [100, 4096],
      maxRules: o.arm?.maxRules ?? 1000,
      maxPrefixes: o.arm?.maxPrefixes ?? 4000,
    },
    aws: {
      entriesPerDirectionLimit: o.aws?.entriesPerDirectionLimit ?? 20,
      credentials: new Map((o.aws?.credentials ?? [AWS_KEY]).map((c) => [c.accessKeyId, c.secretAccessKey])),
      regions: [o.aws?.region ?? "eu-west-1"].flat(),
    },
    waf: {
      addressesPerSet: o.waf?.addressesPerSet ?? 10_000,
      regions: [o.waf?.region ?? ["eu-west-1", "us-east-1"]].flat(),
    },
    throttleScale: throttleScale(o.throttle),
    audiences: {
      defender: o.audiences?.defender ?? [...AUDIENCES.defender],
      graph: o.audiences?.graph ?? [...AUDIENCES.graph],
      arm: o.audiences?.arm ?? [...AUDIENCES.arm],
    },
    resources: [...KNOWN_RESOURCES, ...(o.extraResources ?? [])],
  };
  if (o.arm?.retryAfterSeconds !== undefined) resolved.arm.retryAfterSeconds = o.arm.retryAfterSeconds;
  return resolved;
}

function classify(segments: string[]): ServiceName {
  const first = segments[0]?.toLowerCase();
  if (first === "api") return "defender";
  if (first === "v1.0" || first === "beta") return "graph";
  if (first === "subscriptions") return "arm";
  if (first !== undefined) return "entra";
  return "unknown";
}

const SECRET_FIELDS = new Set(["client_secret", "client_assertion"]);

function recordedBody(ctx: Pick<RequestContext, "body">): unknown {
  switch (ctx.body.kind) {
    case "none":
      return undefined;
    case "json":
      return ctx.body.value;
    case "invalid-json":
      return ctx.body.text;
    case "text":
      return ctx.body.value;
    case "form":
      return Object.fromEntries(
        Object.entries(ctx.body.value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? "[redacted]" : v]),
      );
  }
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets (the SDKs pool them) would hold close() open otherwise.
    server.closeAllConnections();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const certs = options.certs ?? certsFromEnv() ?? makeCerts();
  const seed: EmulatorSeed = structuredClone({
    tenants: options.tenants,
    subscriptions: options.subscriptions ?? [],
    networkAcls: options.networkAcls ?? [],
    ipSets: options.ipSets ?? [],
  });
  const resolved = resolveOptions(options);
  const core: EmulatorCore = {
    baseUrl: "",
    state: buildState(seed),
    options: resolved,
    signingKey: crypto.randomBytes(32),
    armFailures: [],
    throttle: new Throttle(resolved.throttleScale),
    machineActionStarts: [],
    wafRaces: [],
  };
  const requests: RecordedRequest[] = [];
  const faults = new FaultList();
  let seq = 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, aws: "ec2" | "wafv2" | undefined): Promise<void> {
    const isAws = aws !== undefined;
    const requestId = guid();
    let ctx: RequestContext | undefined;
    try {
      const url = new URL(req.url ?? "/", isAws ? "http://127.0.0.1" : core.baseUrl);
      const buf = await readBody(req);
      const body = parseBody(buf, req.headers["content-type"]);
      let segments: string[];
      try {
        segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      } catch {
        segments = url.pathname.split("/").filter(Boolean);
      }
      const service: ServiceName = aws ?? classify(segments);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (k !== "authorization" && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      }
      const record: RecordedRequest = {
        seq: ++seq,
        at: new Date().toISOString(),
        service,
        method: req.method ?? "GET",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        auth: describeAuth(req.headers.authorization, core.signingKey),
        body: undefined,
      };
      ctx = { req, res, method: record.method, url, segments, query: url.searchParams, body, rawBody: buf, record, requestId, core };
      record.body = recordedBody(ctx);
      if (service === "ec2") {
        const action = body.kind === "form" ? body.value.Action : url.searchParams.get("Action") ?? undefined;
        if (action) record.action = action;
      }
      if (service === "wafv2") {
        const target = req.headers["x-amz-target"];
        const operation = wafOperation(typeof target === "string" ? target : undefined);
        if (operation) record.action = operation;
      }
      if (isAws && record.auth.kind === "sigv4") {
        const token = req.headers["x-amz-security-token"];
        if (typeof token === "string") record.auth.sessionToken = token;
      }
      requests.push(record);
      res.once("close", () => {
        if (!res.writableFinished) record.clientGone = true;
      });

      const fault = faults.take({ service, method: record.method, path: record.path, ...(record.action ? { action: record.action } : {}) });
      if (fault) {
        record.fault = true;
        if (fault.until) await fault.until.catch(() => undefined);
        if (fault.delayMs) await sleep(fault.delayMs);
        if (fault.dropConnection) {
          req.socket.destroy();
          return;
        }
        if (fault.status !== undefined) {
          sendFault(ctx, fault);
          return;
        }
        if (fault.loseAnswer) ctx.loseAnswer = true;
        if (fault.reshape) ctx.reshape = fault.reshape;
      }
      switch (service) {
        case "ec2":
          await handleEc2(ctx);
          return;
        case "wafv2":
          await handleWaf(ctx);
          return;
        case "entra":
          return handleEntra(ctx);
        case "defender":
          return handleDefender(ctx);
        case "graph":
          if (segments.length === 2 && segments[1] === "$batch") {
            return handleGraphBatch(ctx, {
              record(sub) {
                const r: RecordedRequest = { seq: ++seq, ...sub };
                requests.push(r);
                return r;
              },
              fault: (info) => faults.take(info),
            });
          }
          return handleGraph(ctx);
        case "arm":
          return handleArm(ctx);
        default:
          sendJson(ctx, 404, { error: { code: "NotFound", message: `Nothing is emulated at ${url.pathname}` } });
      }
    } catch (err) {
      // A bug in the emulator must show up as a loud 500, not a hang.
      const message = err instanceof Error ? err.stack ?? err.message : String(err);
      if (ctx) {
        sendJson(ctx, 500, { error: { code: "EmulatorError", message } });
      } else if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "Content-Type": "text/plain" }).end(message);
      }
    }
  }

  const main = https.createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => void handle(req, res, undefined));
  const ec2 = http.createServer((req, res) => void handle(req, res, "ec2"));
  const waf = http.createServer((req, res) => void handle(req, res, "wafv2"));
  const port = await listen(main, options.port ?? 0);
  const ec2Port = await listen(ec2, options.ec2Port ?? 0);
  const wafPort = await listen(waf, options.wafPort ?? 0);
  core.baseUrl = `https://127.0.0.1:${port}`;
  const ec2Url = `http://127.0.0.1:${ec2Port}`;
  const wafUrl = `http://127.0.0.1:${wafPort}`;

  const tenantOf = (tenantId: string): TenantState => {
    const t = core.state.tenants.get(tenantId.toLowerCase());
    if (!t) throw new Error(`emulator: no tenant ${tenantId}`);
    return t;
  };
  const userOf = (tenantId: string, idOrUpn: string): UserState => {
    const t = tenantOf(tenantId);
    const lower = idOrUpn.toLowerCase();
    const u = t.users.get(lower) ?? [...t.users.values()].find((x) => x.userPrincipalName.toLowerCase() === lower);
    if (!u) throw new Error(`emulator: no user ${idOrUpn} in tenant ${tenantId}`);
    return u;
  };

  const emulator: Emulator = {
    url: core.baseUrl,
    ec2Url,
    wafUrl,
    urls: { authorityHost: core.baseUrl, defender: core.baseUrl, graph: core.baseUrl, arm: core.baseUrl, ec2: ec2Url, waf: wafUrl },
    certs,
    caPem: certs.certPem,
    get state() {
      return core.state;
    },
    requests,
    find(filter) {
      return requests.filter(
        (r) =>
          (!filter.service || r.service === filter.service) &&
          (!filter.method || r.method === filter.method.toUpperCase()) &&
          (!filter.action || r.action === filter.action) &&
          (filter.path === undefined ||
            (typeof filter.path === "string" ? r.path.includes(filter.path) : filter.path.test(r.path))),
      );
    },
    reset() {
      core.state = buildState(structuredClone(seed));
      core.armFailures.length = 0;
      core.throttle.reset();
      core.machineActionStarts.length = 0;
      core.wafRaces.length = 0;
      requests.length = 0;
      faults.clear();
    },
    setFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    setPermissions(clientId, permissions, tenantId) {
      if (permissions !== "all") checkPermissionNames(permissions);
      let found = false;
      for (const t of core.state.tenants.values()) {
        if (tenantId && t.tenantId.toLowerCase() !== tenantId.toLowerCase()) continue;
        const client = t.clients.get(clientId.toLowerCase());
        if (client) {
          client.permissions = permissions === "all" ? "all" : [...permissions];
          found = true;
        }
      }
      if (!found) throw new Error(`emulator: no client ${clientId}`);
    },
    setMachineActionStatus(actionId, status) {
      for (const t of core.state.tenants.values()) {
        const action = t.machineActions.get(actionId.toLowerCase());
        if (action) {
          setActionStatus(t, action, status);
          return;
        }
      }
      throw new Error(`emulator: no machine action ${actionId}`);
    },
    failNextArmOperation(error = { code: "InternalServerError", message: "An error occurred." }) {
      core.armFailures.push(error);
    },
    startNextMachineActionAs(status) {
      core.machineActionStarts.push(status);
    },
    issueToken({ tenantId, clientId, audience, lifetimeSeconds, roles }) {
      const tenant = tenantOf(tenantId);
      const client = tenant.clients.get(clientId.toLowerCase());
      const now = Math.floor(Date.now() / 1000);
      const claims: TokenClaims = {
        aud: audience,
        iss: `https://sts.windows.net/${tenant.tenantId}/`,
        iat: now,
        nbf: now,
        exp: now + (lifetimeSeconds ?? core.options.tokenLifetimeSeconds),
        appid: client?.clientId ?? clientId,
        appidacr: "1",
        idp: `https://sts.windows.net/${tenant.tenantId}/`,
        oid: client?.objectId ?? guid(),
        sub: client?.objectId ?? guid(),
        tid: tenant.tenantId,
        uti: guid(),
        ver: "1.0",
      };
      const claimed = roles === undefined ? (client ? rolesFor(core.options, client, audience) : undefined) : roles ?? undefined;
      if (claimed) claims.roles = [...claimed];
      return signToken(claims, core.signingKey);
    },
    decodeToken,
    tenant: tenantOf,
    device(tenantId, idOrName) {
      const t = tenantOf(tenantId);
      const lower = idOrName.toLowerCase();
      const d = t.devices.get(lower) ?? [...t.devices.values()].find((x) => x.computerDnsName.toLowerCase() === lower);
      if (!d) throw new Error(`emulator: no device ${idOrName} in tenant ${tenantId}`);
      return d;
    },
    user: userOf,
    mailbox(tenantId, idOrUpn) {
      const mb = userOf(tenantId, idOrUpn).mailbox;
      if (!mb) throw new Error(`emulator: user ${idOrUpn} has no mailbox`);
      return mb;
    },
    nsg(subscriptionId, resourceGroup, name) {
      const n = core.state.subscriptions.get(subscriptionId.toLowerCase())?.nsgs.get(`${resourceGroup}/${name}`.toLowerCase());
      if (!n) throw new Error(`emulator: no NSG ${subscriptionId}/${resourceGroup}/${name}`);
      return n;
    },
    acl(networkAclId) {
      const a = core.state.networkAcls.get(networkAclId);
      if (!a) throw new Error(`emulator: no network ACL ${networkAclId}`);
      return a;
    },
    ipSet(arn) {
      const s = core.state.ipSets.get(arn);
      if (!s) throw new Error(`emulator: no WAF IP set ${arn}`);
      return s;
    },
    raceIpSetUpdates(arn, times, change = (addresses) => addresses) {
      if (!core.state.ipSets.has(arn)) throw new Error(`emulator: no WAF IP set ${arn}`);
      core.wafRaces.push({ arn, remaining: times, change });
    },
    async close() {
      await Promise.all([close(main), close(ec2), close(waf)]);
    },
  };
  return emulator;
}
