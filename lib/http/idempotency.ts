// Idempotency-Key on POSTs: a retry with the same key and body within 24 h gets the first
// answer again (same action id) and performs nothing; the same key with another body is a 422;
// while the first is still running, a second gets 409 and may retry.
import "server-only";
import { createHash } from "node:crypto";
import { MdrError } from "@/lib/errors";
import { getDb } from "@/lib/db/client";
import { claimKey, findKey, forgetKeyIfOlder, releaseKey, storeKeyResponse } from "@/lib/db/queries/idempotency";
import { problemResponse } from "./problem";
import { type RequestContext, readBodyBytes } from "./route";

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

type Params = Record<string, string | string[] | undefined>;
type Handler<P extends Params> = (req: Request, rc: RequestContext, params: P) => Promise<Response>;

/** The same JSON written with other spacing or key order is the same body. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function bodyHash(text: string): string {
  let material = text;
  try {
    material = JSON.stringify(canonical(JSON.parse(text)));
  } catch {
    // not JSON: the handler answers 400; hash the text as it is
  }
  return createHash("sha256").update(material).digest("hex");
}

function headerError(message: string): MdrError {
  return new MdrError("validation_failed", `The Idempotency-Key header ${message}.`, {
    errors: [{ path: "headers.idempotency-key", message }],
  });
}

export function idempotent<P extends Params>(handler: Handler<P>): Handler<P> {
  return async (req, rc, params) => {
    const key = req.headers.get("idempotency-key");
    if (key === null) return handler(req, rc, params);
    if (!KEY_RE.test(key)) throw headerError("must be 1-255 visible ASCII characters");
    // Read once, cut off at the size limit (413), then handed on as a request of its own.
    const bytes = await readBodyBytes(req);
    const hash = bodyHash(new TextDecoder("utf-8", { fatal: false }).decode(bytes));
    // Bytes, not text: a string body would give the request a text/plain type it was not sent with.
    req = new Request(req.url, { method: req.method, headers: req.headers, body: bytes.length > 0 ? bytes : null });

    const db = getDb();
    const now = Date.now();
    const scope = `${rc.actor} ${req.method} ${new URL(req.url).pathname}`;
    forgetKeyIfOlder(db, key, scope, now - IDEMPOTENCY_TTL_MS);
    // Claim the key; a unique (key, scope) means only one request can.
    if (!claimKey(db, { key, scope, bodyHash: hash, createdAt: now })) {
      const first = findKey(db, key, scope)!;
      if (first.bodyHash !== hash) {
        throw headerError("was already used with a different body; send a new key for a new request");
      }
      if (first.status === null) {
        throw new MdrError("conflict", "A request with this Idempotency-Key is still being processed; retry shortly.", {
          headers: { "retry-after": "1" },
        });
      }
      return new Response(first.body, {
        status: first.status,
        headers: {
          "content-type": first.contentType ?? "application/json",
          ...(first.location ? { location: first.location } : {}),
          "idempotent-replayed": "true",
        },
      });
    }

    let res: Response;
    try {
      res = await handler(req, rc, params);
    } catch (err) {
      // Nothing known to store, or a "not now" that ran nothing (the caller's rate limit): free the
      // key so that the retry it asks for runs, rather than being answered the refusal again.
      if (!(err instanceof MdrError) || err.code === "rate_limited") {
        releaseKey(db, key, scope);
        throw err;
      }
      res = problemResponse(err, rc.requestId);
    }
    storeKeyResponse(db, key, scope, {
      status: res.status,
      contentType: res.headers.get("content-type"),
      location: res.headers.get("location"),
      body: await res.clone().text(),
    });
    return res;
  };
}
