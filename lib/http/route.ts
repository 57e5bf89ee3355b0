import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { takeActionBudget } from "@/lib/auth/limits";
import type { Store } from "@/lib/auth/store";
import { config } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { MdrError } from "@/lib/errors";
import type { Role } from "@/lib/auth/enums";
import { checkSameOrigin, clientIp, type Identity, identify, isHttps, requireRole, unauthorized } from "./auth";
import { problemResponse, validationError } from "./problem";

export const MAX_BODY_BYTES = 64 * 1024;

export interface RequestContext {
  requestId: string;
  /** Who is asking, as the audit log records it (`user:alice`, `token:soar`); `anonymous` on public routes. */
  actor: string;
  /** Null only on public routes (sign-in). */
  identity: Identity | null;
  /** The client's address, where known. */
  ip: string | null;
  /** The tenants the caller may see and act in; null: all (and on public routes). */
  scope: readonly string[] | null;
}

type Params = Record<string, string | string[] | undefined>;
type Handler<P extends Params> = (req: Request, rc: RequestContext, params: P) => Promise<Response>;

export interface RouteOptions {
  /** The least role that may call the route; `public` only for signing in. */
  role: Role | "public";
  /** Counts against the caller's action rate limit (MDR_ACTOR_RATE_LIMIT). */
  limited?: boolean;
  /**
   * What the route reads or changes concerns every tenant (the security audit log, the removal of
   * a guardrail): only a caller of every tenant may call it. Says what, for the 403.
   */
  allTenants?: string;
  /**
   * Served to a session whose password must be changed first (who am I, sign out, change my
   * password); every other route answers it 403 `password-change-required`.
   */
  beforePasswordChange?: boolean;
}

/**
 * A bulk request costs one action per target against the caller's rate limit: the route took 1
 * before the body was read; this takes the rest, or refuses the whole request (429, Retry-After)
 * before anything of it runs.
 */
export function chargeActions(rc: RequestContext, targets: number): void {
  if (targets <= 1) return;
  takeActionBudget(rc.actor, config().auth.actorRateLimitPerMinute, Date.now(), targets, 1);
}

/** The database and clock the auth checks read. */
export function authStore(): Store {
  return { db: getDb(), now: Date.now };
}

/**
 * The one wrapper every route handler goes through: request id, authentication and role, CSRF
 * for cookie requests, the per-actor rate limit, the only try/catch, MdrError -> problem+json,
 * anything else -> a 500 that reveals nothing and is logged in full.
 */
export function route<P extends Params = Params>(opts: RouteOptions, handler: Handler<P>) {
  return async (req: Request, segment: { params: Promise<P> }): Promise<Response> => {
    const requestId = randomUUID();
    const rc: RequestContext = { requestId, actor: "anonymous", identity: null, ip: null, scope: null };
    try {
      const cfg = config();
      rc.ip = clientIp(cfg, req);
      const https = isHttps(cfg, req);
      const identity = opts.role === "public" ? identifyIfValid(req, https) : identify(authStore(), req, https);
      if (opts.role !== "public") {
        if (!identity) throw unauthorized("Sign in, or send Authorization: Bearer mdr_... with an API token.");
        if (identity.mustChangePassword && !opts.beforePasswordChange) {
          throw new MdrError("password_change_required", "Change your password first (POST /api/v1/auth/password).");
        }
        requireRole(identity, opts.role);
        if (opts.allTenants && identity.tenants !== null) {
          throw new MdrError("forbidden", `${opts.allTenants} concerns every tenant: it needs a caller of all tenants; ${identity.actor} has ${identity.tenants.join(", ")}.`);
        }
      }
      // Sign-in itself is checked too when a browser says where it comes from (login CSRF).
      if (identity?.via !== "bearer") checkSameOrigin(cfg, req, identity?.via === "session");
      if (identity) {
        rc.identity = identity;
        rc.actor = identity.actor;
        rc.scope = identity.tenants;
      }
      if (opts.limited) takeActionBudget(rc.actor, cfg.auth.actorRateLimitPerMinute, Date.now());
      const res = await handler(req, rc, await segment.params);
      res.headers.set("x-request-id", requestId);
      // Audit data and secrets shown once: never kept by a browser or proxy cache.
      if (!res.headers.has("cache-control")) res.headers.set("cache-control", "no-store");
      return res;
    } catch (err) {
      if (err instanceof MdrError) return problemResponse(err, requestId);
      console.error(`[mdr] request ${requestId} ${req.method} ${new URL(req.url).pathname} failed:`, err);
      return problemResponse(
        new MdrError("internal", `An unexpected error occurred. Quote request id ${requestId} when reporting it.`),
        requestId,
      );
    }
  };
}

/**
 * On a public route (signing in), a credential that no longer holds — the cookie of a session
 * that was revoked or has ended — is no reason to refuse: the caller is simply not signed in.
 */
function identifyIfValid(req: Request, https: boolean): Identity | null {
  try {
    return identify(authStore(), req, https);
  } catch (err) {
    if (err instanceof MdrError && err.code === "unauthorized") return null;
    throw err;
  }
}

/**
 * Reads a JSON body of at most 64 KiB and parses it with the schema (415, 413, 400, 422).
 * With `optional`, a request without a body is read as `{}`.
 */
export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  opts: { optional?: boolean } = {},
): Promise<z.output<S>> {
  const type = req.headers.get("content-type") ?? "";
  if (opts.optional && !type) {
    // No content type: acceptable only when there is no body at all, streamed or not.
    if ((await readBodyBytes(req)).length > 0) throw unsupportedType(type);
    const parsed = schema.safeParse({});
    if (!parsed.success) throw validationError(parsed.error, "body");
    return parsed.data;
  }
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) throw unsupportedType(type);
  const text = await readBodyText(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new MdrError("malformed_json", `The body is not valid JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new MdrError("validation_failed", "The request body must be a JSON object.", {
      errors: [{ path: "", message: "must be a JSON object" }],
    });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, "body");
  return parsed.data;
}

/**
 * A JSON body read as an object, parsed afterwards with whichever schema its members call for
 * (`parseBody`): a route that takes one target or a list of them.
 */
// z.custom, not z.record: a record schema copies the keys into a new object, where a `__proto__`
// key would vanish instead of being refused by the strict schema it is parsed with next.
export const JsonObject = z.custom<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  "must be a JSON object",
);

/** Parses an already read body with the schema (422 naming each bad field). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, "body");
  return parsed.data;
}

/** Parses the query string; a repeated parameter or an unknown one is an error. */
export function readQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const params = new URL(req.url).searchParams;
  const query: Record<string, string> = {};
  for (const [key, value] of params) {
    if (key in query) {
      throw new MdrError("validation_failed", `The request query is invalid: ${key}: is given more than once`, {
        errors: [{ path: key, message: "is given more than once" }],
      });
    }
    query[key] = value;
  }
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw validationError(parsed.error, "query");
  return parsed.data;
}

function unsupportedType(type: string): MdrError {
  return new MdrError(
    "unsupported_media_type",
    `Send the body as JSON with Content-Type: application/json (got ${type ? `"${type.slice(0, 100)}"` : "none"}).`,
  );
}

function tooLarge(): MdrError {
  return new MdrError("payload_too_large", `The body is larger than ${MAX_BODY_BYTES / 1024} KiB.`);
}

/**
 * The body, read at most MAX_BODY_BYTES (64 KiB) far: a declared Content-Length over it is refused
 * before reading, and a body that goes on past it (chunked, or longer than it said) is cut off
 * there and refused (413). Nothing reads a body whole before this check.
 */
export async function readBodyBytes(req: Request): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The body as text (UTF-8), read as readBodyBytes does. */
export async function readBodyText(req: Request): Promise<string> {
  return new TextDecoder("utf-8", { fatal: false }).decode(await readBodyBytes(req));
}

export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json", ...init.headers },
  });
}

/** 201 for an action that completed, 202 for one still running at the provider; both with Location. */
export function actionResponse(action: { id: string; status: string }, body: unknown): Response {
  return json(body, {
    status: action.status === "succeeded" ? 201 : 202,
    headers: { location: `/api/v1/mdr/actions/${action.id}` },
  });
}

/** A bulk's answer: 207 when every target is final for now, 202 while some wait in the queue; both with the bulk's Location. */
export function bulkResponse(answer: { status: number; location: string; body: unknown }): Response {
  return json(answer.body, { status: answer.status, headers: { location: answer.location } });
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Handlers for the methods a route does not serve: 405 problem+json with Allow. */
export function methodsNotAllowed(...allowed: Method[]) {
  const handler = route({ role: "viewer" }, async (req) => {
    throw new MdrError("method_not_allowed", `${req.method} is not allowed here; use ${allowed.join(" or ")}.`, {
      headers: { allow: allowed.join(", ") },
    });
  });
  return { GET: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler };
}

/** A path parameter parsed with its schema; 422 naming it when malformed. */
export function readParam<S extends z.ZodType>(name: string, value: string | undefined, schema: S): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw MdrError.field(name, parsed.error.issues[0]!.message);
  return parsed.data;
}
