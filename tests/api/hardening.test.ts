// HTTP and input hardening, against the production server: a bulk request costs one action per
// target against the caller's rate limit; a body is cut off at 64 KiB while it is being read (with
// or without Idempotency-Key); the client's address is read from the right of X-Forwarded-For
// behind a trusted proxy; protected address ranges are read strictly; free text refuses control
// and bidi formatting characters.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, mintToken, startServer } from "../support/server";
import { type Json, type Reply, anyActionId, invalidBody, problem } from "./helpers";
import { DbProbe, bearer, expectProblemReply, raw } from "./auth-helpers";

const LIMIT = 10;

let server: TestServer;
let probe: DbProbe;

beforeAll(async () => {
  server = await startServer({ MDR_ACTOR_RATE_LIMIT: String(LIMIT), MDR_TRUST_PROXY: "1", MDR_LOGIN_MAX_FAILURES: "1000" }, "harden");
  probe = new DbProbe(server.dbPath);
}, 120_000);

afterAll(async () => {
  probe?.close();
  await server?.stop();
});

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** Public addresses from 185.220.100.0/22 not used before: valid Defender blocks. */
let nextIp = 0;
const freshIps = (n: number) => Array.from({ length: n }, () => `185.220.${100 + Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`);

describe(`a bulk request costs one action per target (MDR_ACTOR_RATE_LIMIT=${LIMIT})`, () => {
  it("a bulk over the remaining budget is refused whole (429, Retry-After, nothing recorded, its key free); one within it runs and spends it", async () => {
    const token = mintToken(server.dbPath, "bulk-budget", "responder");
    for (const ip of freshIps(4)) {
      const r = await raw(server, "/api/v1/mdr/block-ip", json({ ip }, bearer(token)));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const before = probe.count("actions");
    // 6 left: a bulk of 7 does not fit. Its key is not kept: the retry it asks for is refused anew, not replayed.
    const seven = { ips: freshIps(7), reason: "INC-1" };
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await raw(server, "/api/v1/mdr/block-ip", json(seven, { ...bearer(token), "idempotency-key": "bulk-seven" }));
      const retry = Number(refused.headers.get("retry-after"));
      // 6 s a token: 5 were left after the first's 1, 4 after the second's, and 7 are needed.
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(12 + 6 * attempt);
      expectProblemReply(
        refused,
        problem(
          "rate-limited",
          `Too many actions from token:bulk-budget: this request needs 7 and the limit is ${LIMIT} per minute. Retry in ${retry} s.`,
        ),
      );
      expect(refused.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(probe.count("actions")).toBe(before);
    // A bulk of 4 fits (each refused request spent 1): four actions, and the budget is gone.
    const four = await raw(server, "/api/v1/mdr/block-ip", json({ ips: freshIps(4) }, bearer(token)));
    expect(four.status, JSON.stringify(four.body)).toBe(207);
    expect(four.body.results.map((r: Json) => [r.status, r.http_status, r.id])).toEqual(
      Array.from({ length: 4 }, () => ["succeeded", 201, anyActionId()]),
    );
    expect(probe.count("actions")).toBe(before + 4);
    const eight = await raw(server, "/api/v1/mdr/block-ip", json({ ips: freshIps(8) }, bearer(token)));
    expect(eight.status, JSON.stringify(eight.body)).toBe(429);
    expect(probe.count("actions")).toBe(before + 4);
  });

  it("a bulk larger than the whole limit is refused for good (429 without Retry-After), isolate as block-ip", async () => {
    const token = mintToken(server.dbPath, "bulk-huge", "responder");
    const before = probe.count("actions");
    const hostnames = Array.from({ length: LIMIT + 1 }, (_, i) => `ws-bulk-${i}`);
    const isolate = await raw(server, "/api/v1/mdr/isolate", json({ hostnames }, bearer(token)));
    expectProblemReply(isolate, problem("rate-limited", `This request needs ${LIMIT + 1} actions; the limit is ${LIMIT} per minute per caller.`));
    expect(isolate.headers.get("retry-after")).toBeNull();
    const block = await raw(server, "/api/v1/mdr/block-ip", json({ ips: freshIps(LIMIT + 1) }, bearer(token)));
    expectProblemReply(block, problem("rate-limited", `This request needs ${LIMIT + 1} actions; the limit is ${LIMIT} per minute per caller.`));
    expect(probe.count("actions")).toBe(before);
  });
});

/**
 * POSTs a chunked body of spaces that goes on (64 KiB every 30 ms, about 2 MB/s) until the server
 * answers or `max` bytes were sent: how much was sent when the answer came, and the answer.
 */
function endlessPost(pathname: string, headers: Record<string, string>, max: number): Promise<{ sentBeforeAnswer: number; finished: boolean; status: number; body: Json }> {
  const url = new URL(pathname, server.url);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } });
    req.on("response", (res) => {
      const sentBeforeAnswer = sent;
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        req.destroy();
        resolve({ sentBeforeAnswer, finished, status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) });
      });
    });
    req.on("error", (err) => {
      // The server may close the connection under a body it no longer reads, after answering.
      if (!(err as NodeJS.ErrnoException).code?.startsWith("EPIPE") && (err as NodeJS.ErrnoException).code !== "ECONNRESET") reject(err);
    });
    const chunk = Buffer.alloc(64 * 1024, " ");
    const pump = () => {
      if (sent >= max) {
        finished = true;
        req.end();
        return;
      }
      req.write(chunk);
      sent += chunk.length;
      timer = setTimeout(pump, 30);
    };
    pump();
  });
}

describe("a body over 64 KiB is refused while it is read", () => {
  const MAX = 20 * 1024 * 1024;
  it.each([
    ["without Idempotency-Key", {}],
    ["with Idempotency-Key", { "idempotency-key": "endless-body" }],
  ])("%s: a body that never ends gets its 413 before it ends", async (_name, extra: Record<string, string>) => {
    const before = probe.count("actions");
    const r = await endlessPost("/api/v1/mdr/block-ip", { authorization: `Bearer ${server.token}`, ...extra }, MAX);
    expect({ status: r.status, body: r.body, finished: r.finished }).toEqual({
      status: 413,
      body: problem("payload-too-large", "The body is larger than 64 KiB."),
      finished: false,
    });
    expect(r.sentBeforeAnswer).toBeLessThan(MAX);
    expect(probe.count("actions")).toBe(before);
  }, 60_000);

  it("a declared Content-Length of 20 MB is refused before reading, with Idempotency-Key too", async () => {
    for (const extra of [{}, { "idempotency-key": "declared-20mb" }]) {
      const r = await new Promise<Reply>((resolve, reject) => {
        const req = http.request(new URL("/api/v1/mdr/block-ip", server.url), {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": String(20 * 1024 * 1024), authorization: `Bearer ${server.token}`, ...extra },
        });
        req.on("response", (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode!, headers: new Headers(), body: JSON.parse(Buffer.concat(chunks).toString()) });
          });
        });
        req.on("error", reject);
        req.write("{");
      });
      expect({ status: r.status, body: r.body }).toEqual({ status: 413, body: problem("payload-too-large", "The body is larger than 64 KiB.") });
    }
  });
});

describe("X-Forwarded-For behind one trusted proxy (MDR_TRUST_PROXY=1)", () => {
  it("the address recorded is the one the proxy appended, not a first entry the client wrote", async () => {
    const failed = await raw(server, "/api/v1/auth/login", json({ username: "nobody-xff", password: "wrong password" }, { "x-forwarded-for": "203.0.113.66, 198.51.100.23" }));
    expect(failed.status).toBe(401);
    const audit = await raw(server, "/api/v1/admin/audit?event=sign_in_failed", { headers: bearer(server.token) });
    const row = audit.body.events.find((e: Json) => e.subject === "nobody-xff");
    expect([row?.ip, row?.event]).toEqual(["198.51.100.23", "sign_in_failed"]);
  });
});

describe("protected address ranges are read strictly", () => {
  const hint = "must be an address or CIDR range like 10.0.0.0/8";
  it.each([
    ["010.0.0.0/8", `${hint}: write it without leading zeros, e.g. 10.0.0.0 (leading zeros are read as octal by some tools)`],
    ["10.0.0.010", `${hint}: write it without leading zeros, e.g. 10.0.0.10 (leading zeros are read as octal by some tools)`],
    ["10.1", `${hint}: write an IPv4 address as four decimal numbers, a.b.c.d (no short, octal or hex forms)`],
    ["167772160", `${hint}: write an IPv4 address as four decimal numbers, a.b.c.d (no short, octal or hex forms)`],
    ["0x0a.0.0.0/8", `${hint}: write an IPv4 address as four decimal numbers, a.b.c.d (no short, octal or hex forms)`],
    ["10.0.0.0/08", hint],
    ["::ffff:10.0.0.1", "is an IPv4-mapped IPv6 address: did you mean 10.0.0.1?"],
  ])("%s: 422 on pattern, nothing stored", async (pattern, message) => {
    const before = probe.count("protected_assets");
    const r = await raw(server, "/api/v1/mdr/protected-assets", json({ kind: "ip_range", pattern }, bearer(server.token)));
    expectProblemReply(r, invalidBody("pattern", message));
    expect(probe.count("protected_assets")).toBe(before);
  });

  it("a strictly written range is kept, normalised to its network", async () => {
    const r = await raw(server, "/api/v1/mdr/protected-assets", json({ kind: "ip_range", pattern: "10.1.2.3/8" }, bearer(server.token)));
    expect([r.status, r.body.pattern]).toEqual([201, "10.0.0.0/8"]);
  });
});

describe("free text refuses control and bidi formatting characters", () => {
  const BIDI = "must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)";
  it("a reason with U+202E (right-to-left override): 422 naming reason, nothing recorded", async () => {
    const before = probe.count("actions");
    const r = await raw(server, "/api/v1/mdr/block-ip", json({ ip: freshIps(1)[0], reason: "INC-4712 \u202Egnp.exe" }, bearer(server.token)));
    expectProblemReply(r, invalidBody("reason", BIDI));
    const lf = await raw(server, "/api/v1/mdr/isolate", json({ hostname: "ws-0142", reason: "INC-1\n[mdr] forged line" }, bearer(server.token)));
    expectProblemReply(lf, invalidBody("reason", "must not contain control characters"));
    expect(probe.count("actions")).toBe(before);
  });

  it("a sign-in username with CR/LF or U+202E: 422 naming username; no sign_in_failed row carries it", async () => {
    const before = probe.count("audit_events");
    const forged = await raw(server, "/api/v1/auth/login", json({ username: "admin\r\n[mdr] sign_in admin", password: "x" }));
    expectProblemReply(forged, invalidBody("username", "must not contain control characters"));
    const bidi = await raw(server, "/api/v1/auth/login", json({ username: "adm\u202Ein", password: "x" }));
    expectProblemReply(bidi, invalidBody("username", BIDI));
    expect(probe.count("audit_events")).toBe(before);
  });

  it("a protected asset's note with U+2066: 422 naming note", async () => {
    const r = await raw(server, "/api/v1/mdr/protected-assets", json({ kind: "hostname", pattern: "DC-*", note: "a\u2066b" }, bearer(server.token)));
    expectProblemReply(r, invalidBody("note", BIDI));
  });
});
