// Idempotency-Key: a retry with the same key and body gets the first answer again and performs
// nothing; another body is refused; concurrent retries perform once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, eventually, startServer } from "../support/server";
import { type Reply, allActions, call, expectProblem, problem } from "./helpers";
import { liveSetup } from "./live";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({}, "idempotency");
});
afterAll(() => server.stop());

let n = 0;
const uniqueKey = () => `key-${Date.now().toString(36)}-${++n}`;
const ip = () => `185.220.${100 + (n % 100)}.${10 + (++n % 200)}`;

function send(path: string, body: unknown, key: string | null, raw?: string, to: TestServer = server): Promise<Reply> {
  return call(to, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { "idempotency-key": key }) },
    body: raw ?? JSON.stringify(body),
  });
}

const withReason = async (reason: string, on: TestServer = server) => (await allActions(on)).filter((a) => a.reason === reason);

const STILL_RUNNING = "A request with this Idempotency-Key is still being processed; retry shortly.";

describe("Idempotency-Key", () => {
  it("the same key and body again: the first answer, replayed; one action", async () => {
    const key = uniqueKey();
    const body = { ip: ip(), reason: `idem ${key}` };
    const first = await send("/api/v1/mdr/block-ip", body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // Other spacing and key order are the same body.
    const again = await send("/api/v1/mdr/block-ip", null, key, `{ "reason": ${JSON.stringify(body.reason)},  "ip": "${body.ip}" }`);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await withReason(body.reason)).toHaveLength(1);
  });

  it("the same key with another body: 422, nothing performed", async () => {
    const key = uniqueKey();
    const reason = `idem ${key}`;
    expect((await send("/api/v1/mdr/block-ip", { ip: ip(), reason }, key)).status).toBe(201);
    const other = await send("/api/v1/mdr/block-ip", { ip: ip(), reason }, key);
    expectProblem(
      other,
      problem("validation-failed", "The Idempotency-Key header was already used with a different body; send a new key for a new request.", {
        errors: [{ path: "headers.idempotency-key", message: "was already used with a different body; send a new key for a new request" }],
      }),
    );
    expect(await withReason(reason)).toHaveLength(1);
  });

  it("sent twice at once: performed once; the other is the replay or a 409 to retry", async () => {
    const key = uniqueKey();
    const body = { upn: "carol@contoso.com", reason: `idem ${key}`, revoke_sessions: false };
    const replies = await Promise.all([send("/api/v1/mdr/disable-user", body, key), send("/api/v1/mdr/disable-user", body, key)]);
    const rows = await withReason(body.reason);
    expect(rows).toHaveLength(1);
    // Which one comes second depends on timing; what each may answer does not. (The 409 itself is
    // provoked for certain below, with a provider call held in flight.)
    const seen = replies
      .map((r) => (r.status === 409 ? { status: 409, body: r.body, retryAfter: r.headers.get("retry-after") } : { status: r.status, id: r.body.id }))
      .sort((a, b) => a.status - b.status);
    const performed = { status: 201, id: rows[0].id };
    expect([
      [performed, performed],
      [performed, { status: 409, body: problem("conflict", STILL_RUNNING), retryAfter: "1" }],
    ]).toContainEqual(seen);
    // Once the first has finished, a retry gets its answer.
    const later = await send("/api/v1/mdr/disable-user", body, key);
    expect(later.status).toBe(201);
    expect(later.body.id).toBe(rows[0].id);
  });

  it("a refused action's problem is replayed too, with the same action id", async () => {
    const key = uniqueKey();
    const body = { hostname: "no-such-host", reason: `idem ${key}` };
    const first = await send("/api/v1/mdr/isolate", body, key);
    expect(first.status).toBe(404);
    const again = await send("/api/v1/mdr/isolate", body, key);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect(await withReason(body.reason)).toHaveLength(1);
  });

  it("a revert retried with its key replays the reverse action instead of answering 409", async () => {
    const block = await send("/api/v1/mdr/block-ip", { ip: ip() }, null);
    const key = uniqueKey();
    const path = `/api/v1/mdr/actions/${block.body.id}/revert`;
    const first = await send(path, { reason: "idem revert" }, key);
    expect(first.status).toBe(201);
    const again = await send(path, { reason: "idem revert" }, key);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect((await send(path, { reason: "idem revert" }, uniqueKey())).status).toBe(409);
  });

  it("the same key on another route is another key", async () => {
    const key = uniqueKey();
    const reason = `idem ${key}`;
    expect((await send("/api/v1/mdr/block-ip", { ip: ip(), reason }, key)).status).toBe(201);
    expect((await send("/api/v1/mdr/isolate", { hostname: "ws-0143", reason, isolation_type: "Selective" }, key)).status).toBe(202);
    expect(await withReason(reason)).toHaveLength(2);
  });

  it.each([
    ["has a space", "a key"],
    ["is too long", "k".repeat(256)],
  ])("a key that %s: 422", async (_what, key) => {
    const reason = `idem bad ${key.length}`;
    expectProblem(
      await send("/api/v1/mdr/block-ip", { ip: ip(), reason }, key),
      problem("validation-failed", "The Idempotency-Key header must be 1-255 visible ASCII characters.", {
        errors: [{ path: "headers.idempotency-key", message: "must be 1-255 visible ASCII characters" }],
      }),
    );
    expect(await withReason(reason)).toHaveLength(0);
  });
});

describe("Idempotency-Key while the first request is still running", () => {
  // Live mode against the emulator, whose Graph holds the first request's PATCH until the second
  // request has had its answer: the first is provably still running when the second arrives.
  const live = liveSetup({ name: "idempotency-live" });

  it("the second gets 409 with Retry-After: 1 and nothing performed; the first 201; a later retry the replay", async () => {
    const { emu, server: liveServer } = live();
    let release = () => {};
    const held = emu.setFault({ match: "PATCH /v1.0/users/", until: new Promise<void>((r) => (release = r)) });
    try {
      const key = uniqueKey();
      const body = { upn: "alex.wilber@contoso.com", reason: `idem ${key}`, revoke_sessions: false };
      const first = send("/api/v1/mdr/disable-user", body, key, undefined, liveServer);
      await eventually(async () => (held.hits === 1 ? true : undefined), 15_000, "the first request's PATCH to reach Graph");
      const second = await send("/api/v1/mdr/disable-user", body, key, undefined, liveServer);
      release();
      const done = await first;

      expectProblem(second, problem("conflict", STILL_RUNNING));
      expect(second.headers.get("retry-after")).toBe("1");
      expect(done.status, JSON.stringify(done.body)).toBe(201);
      expect(done.headers.get("idempotent-replayed")).toBeNull();
      const rows = await withReason(body.reason, liveServer);
      expect(rows.map((a) => [a.id, a.status])).toEqual([[done.body.id, "succeeded"]]);
      expect(emu.find({ method: "PATCH", path: "/v1.0/users/" })).toHaveLength(1);

      const again = await send("/api/v1/mdr/disable-user", body, key, undefined, liveServer);
      expect({ status: again.status, body: again.body, replayed: again.headers.get("idempotent-replayed") }).toEqual({
        status: 201,
        body: done.body,
        replayed: "true",
      });
      expect(emu.find({ method: "PATCH", path: "/v1.0/users/" })).toHaveLength(1);
    } finally {
      release();
    }
  });
});
