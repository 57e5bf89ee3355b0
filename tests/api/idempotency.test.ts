// Idempotency-Key: a retry with the same key and body gets the first answer again and performs
// nothing; another body is refused; concurrent retries perform once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startServer } from "../support/server";
import { type Reply, allActions, call, expectProblem, problem } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({}, "idempotency");
});
afterAll(() => server.stop());

let n = 0;
const uniqueKey = () => `key-${Date.now().toString(36)}-${++n}`;
const ip = () => `185.220.${100 + (n % 100)}.${10 + (++n % 200)}`;

function send(path: string, body: unknown, key: string | null, raw?: string): Promise<Reply> {
  return call(server, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key === null ? {} : { "idempotency-key": key }) },
    body: raw ?? JSON.stringify(body),
  });
}

const withReason = async (reason: string) => (await allActions(server)).filter((a) => a.reason === reason);

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
    for (const r of replies) {
      if (r.status === 409) {
        expectProblem(r, problem("conflict", "A request with this Idempotency-Key is still being processed; retry shortly."));
        expect(r.headers.get("retry-after")).toBe("1");
      } else {
        expect(r.status).toBe(201);
        expect(r.body.id).toBe(rows[0].id);
      }
    }
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
