// Plumbing shared by the emulated services: the per-request context, body parsing, replies.
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenClaims } from "./jwt";
import type { Throttle } from "./throttle";
import type { EmulatorState, MachineActionProgress, MachineActionStatus, RecordedRequest } from "./types";

export interface ResolvedOptions {
  tokenLifetimeSeconds: number;
  defender: {
    actionProgress: MachineActionProgress;
    duplicateAction: "error" | "returnPending";
    emptyListStatus: 200 | 404;
  };
  graph: { permanentDelete: boolean };
  arm: {
    inProgressPolls: number;
    retryAfterSeconds?: number;
    rejectConcurrent: boolean;
    priorityRange: [number, number];
    /** Security rules per NSG (1,000). */
    maxRules: number;
    /** IP addresses and ranges per NSG, counted apart for sources and destinations (4,000). */
    maxPrefixes: number;
  };
  aws: {
    entriesPerDirectionLimit: number;
    /** Secret access key by access key id: SigV4 is verified with these. */
    credentials: Map<string, string>;
    /** The regions EC2 answers for (a credential scope naming another is refused). */
    regions: string[];
  };
  waf: {
    addressesPerSet: number;
    /** The regions WAF answers in. */
    regions: string[];
  };
  /** Every window divided by this (0: throttling off). */
  throttleScale: number;
  audiences: Record<"defender" | "graph" | "arm", string[]>;
  /** Resource ids Entra issues tokens for. */
  resources: string[];
}

/** What the service handlers share. */
export interface EmulatorCore {
  /** https://127.0.0.1:PORT */
  baseUrl: string;
  state: EmulatorState;
  options: ResolvedOptions;
  signingKey: Buffer;
  /** Errors the next ARM long-running operations end with (first in, first used). */
  armFailures: { code: string; message: string }[];
  throttle: Throttle;
  /** Statuses the next machine actions are created with (first in, first used); Pending otherwise. */
  machineActionStarts: MachineActionStatus[];
  /** Another writer's changes, each made to its set just before one of the next UpdateIPSet calls. */
  wafRaces: { arn: string; remaining: number; change: (addresses: string[]) => string[] }[];
}

export type ParsedBody =
  | { kind: "none" }
  | { kind: "json"; value: unknown }
  | { kind: "invalid-json"; text: string }
  | { kind: "form"; value: Record<string, string> }
  | { kind: "text"; value: string };

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** Path segments, percent-decoded. */
  segments: string[];
  query: URLSearchParams;
  body: ParsedBody;
  /** The body as received (SigV4 signs its hash). */
  rawBody: Buffer;
  record: RecordedRequest;
  requestId: string;
  core: EmulatorCore;
  /** Serve, then drop the connection instead of answering (a `loseAnswer` fault). */
  loseAnswer?: boolean;
  /** A fault's `reshape`: rewrites the JSON body of a 2xx answer before it is sent. */
  reshape?: (body: Record<string, unknown>) => unknown;
}

export type BearerCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; problem: "missing" | "malformed" | "signature" | "expired" | "audience"; claims?: TokenClaims };

const MAX_BODY = 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function parseBody(buf: Buffer, contentType: string | undefined): ParsedBody {
  if (buf.length === 0) return { kind: "none" };
  const text = buf.toString("utf8");
  const type = (contentType ?? "").toLowerCase();
  if (type.includes("application/x-www-form-urlencoded")) {
    return { kind: "form", value: Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type.includes("json") || /^\s*[[{]/.test(text)) {
    try {
      return { kind: "json", value: JSON.parse(text) as unknown };
    } catch {
      return { kind: "invalid-json", text };
    }
  }
  return { kind: "text", value: text };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function guid(): string {
  return crypto.randomUUID();
}

/** Lower-case hex, like Defender machine ids (40 chars). */
export function hexId(bytes = 20): string {
  return crypto.randomBytes(bytes).toString("hex");
}

export function isoNow(): string {
  return new Date().toISOString();
}

function writeHead(ctx: RequestContext, status: number, headers: Record<string, string>): boolean {
  if (ctx.res.headersSent || ctx.res.destroyed) return false;
  ctx.record.status = status;
  if (ctx.loseAnswer) {
    ctx.record.answerLost = true;
    ctx.req.socket.destroy();
    return false;
  }
  ctx.res.writeHead(status, headers);
  return true;
}

export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = "application/json; charset=utf-8",
): void {
  if (ctx.reshape && status >= 200 && status < 300 && isRecord(body)) body = ctx.reshape(body);
  ctx.record.responseBody = body;
  const text = JSON.stringify(body);
  if (!writeHead(ctx, status, { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(text)), ...headers })) {
    return;
  }
  ctx.res.end(text);
}

export function sendText(
  ctx: RequestContext,
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  ctx.record.responseBody = text;
  if (!writeHead(ctx, status, { "Content-Type": contentType, "Content-Length": String(Buffer.byteLength(text)), ...headers })) {
    return;
  }
  ctx.res.end(text);
}

export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string> = {}): void {
  if (!writeHead(ctx, status, { "Content-Length": "0", ...headers })) return;
  ctx.res.end();
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `$top` / `$skip` as the OData services read them; undefined when absent, NaN when invalid. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
}

/** Whether a granted permission (possibly with a trailing "*" wildcard, as ARM actions have) covers `needed`. */
function grants(granted: string, needed: string): boolean {
  if (granted === "*") return true;
  if (granted.endsWith("*")) return needed.toLowerCase().startsWith(granted.slice(0, -1).toLowerCase());
  return granted.toLowerCase() === needed.toLowerCase();
}

/**
 * ARM's RBAC check: true when the token's app holds any of `anyOf` now (role assignments are
 * looked up per request, so setPermissions acts at once; Defender and Graph read the token instead).
 */
export function hasPermission(core: EmulatorCore, claims: TokenClaims, anyOf: string[]): boolean {
  const client = core.state.tenants.get(claims.tid.toLowerCase())?.clients.get(claims.appid.toLowerCase());
  if (!client) return false;
  if (client.permissions === "all") return true;
  const granted = client.permissions;
  return anyOf.some((needed) => granted.some((g) => grants(g, needed)));
}
