// Graph's JSON batching, both ends: the emulator's POST /v1.0/$batch (json-batching.md: at most 20
// requests, each run through the same handlers as a direct call, dependsOn honoured, a failed
// dependency 424, each 429 with its own Retry-After, responses matched by id, every operation
// recorded), and the live Graph provider's batch forms against it, built as the server builds them.
import { createGate } from "@/lib/mdr/context";
import { emulatorEnv } from "../support/emulator-env";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { createLiveProviders } from "@/lib/mdr/providers/live";
import type { Providers } from "@/lib/mdr/providers/types";
import { certsFromEnv, processTrusts } from "../emulator/certs";
import { CLIENT_A, exampleSeed, TENANT_A } from "../emulator/fixtures";
import { type Emulator, type RecordedRequest, startEmulator } from "../emulator/server";

const PHISH = "<campaign-7@evil.example>";
const USERS = Array.from({ length: 45 }, (_, i) => `user-${String(i + 1).padStart(2, "0")}@contoso.com`);

let emu: Emulator;
beforeAll(async () => {
  const certs = certsFromEnv();
  if (!certs || !processTrusts(certs)) {
    throw new Error("this worker does not trust the emulator certificate: tests/emulator/global-setup.ts must be the vitest globalSetup");
  }
  const seed = exampleSeed();
  seed.tenants[0]!.users!.push(
    ...USERS.map((userPrincipalName, i) => ({
      userPrincipalName,
      messages: [{ internetMessageId: PHISH, subject: `Invoice ${i + 1}`, from: "billing@evil.example" }],
    })),
  );
  // Six copies of one message in one mailbox: more than Outlook's 4 concurrent requests per mailbox.
  seed.tenants[0]!.users!.find((u) => u.userPrincipalName === USERS[44])!.messages!.push(
    ...Array.from({ length: 6 }, (_, i) => ({ internetMessageId: "<six@x.example>", subject: `Copy ${i + 1}` })),
  );
  emu = await startEmulator({ ...seed, certs });
});
afterAll(() => emu?.close());
beforeEach(() => emu.reset());

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** POST /v1.0/$batch with a token of tenant A's app (every Graph permission). */
async function batch(body: unknown): Promise<{ status: number; body: Json }> {
  const token = emu.issueToken({ tenantId: TENANT_A, clientId: CLIENT_A.clientId, audience: "https://graph.microsoft.com" });
  const res = await fetch(`${emu.url}/v1.0/$batch`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const byId = (body: Json) => new Map((body.responses as Json[]).map((r) => [r.id as string, r]));
/** HTTP requests to Graph (not the operations inside batches), as "METHOD /path". */
const graphRequests = (from = 0) =>
  emu.requests.filter((r) => r.seq > from && r.service === "graph" && !r.batch).map((r) => `${r.method} ${r.path}`);
const operations = (from = 0): RecordedRequest[] => emu.requests.filter((r) => r.seq > from && r.service === "graph" && r.batch !== undefined);

describe("emulator: POST /v1.0/$batch", () => {
  it("runs each request as a direct call, records each with its batch, answers by id in another order", async () => {
    const r = await batch({
      requests: [
        { id: "a", method: "GET", url: "/users/user-01@contoso.com?$select=id,accountEnabled" },
        { id: "b", method: "PATCH", url: "/users/user-02%40contoso.com", body: { accountEnabled: false }, headers: { "Content-Type": "application/json" } },
        { id: "c", method: "POST", url: "users/user-02@contoso.com/revokeSignInSessions" },
        { id: "d", method: "GET", url: "/users/nobody@contoso.com" },
        { id: "e", method: "PATCH", url: "/users/admin@contoso.com", body: { accountEnabled: false }, headers: { "content-type": "application/json" } },
        { id: "f", method: "PATCH", url: "/users/user-03@contoso.com", body: { accountEnabled: false } },
      ],
    });
    expect(r.status).toBe(200);
    // Graph may answer in any order: clients match by id.
    expect(r.body.responses.map((x: Json) => x.id)).toEqual(["f", "e", "d", "c", "b", "a"]);
    const res = byId(r.body);
    expect(res.get("a")).toMatchObject({ status: 200, body: { id: emu.user(TENANT_A, "user-01@contoso.com").id, accountEnabled: true } });
    expect(res.get("b")).toEqual({ id: "b", status: 204, headers: { "request-id": expect.any(String) } });
    expect(res.get("c")).toMatchObject({ status: 200, body: { value: true } });
    expect(res.get("d")).toMatchObject({ status: 404, body: { error: { code: "Request_ResourceNotFound" } } });
    expect(res.get("e")).toMatchObject({ status: 403, body: { error: { code: "Authorization_RequestDenied" } } });
    // A body without its Content-Type is refused, that request only.
    expect(res.get("f")).toMatchObject({ status: 400, body: { error: { code: "BadRequest" } } });
    expect(emu.user(TENANT_A, "user-02@contoso.com")).toMatchObject({ accountEnabled: false, sessionsRevokedAt: [expect.any(String)] });
    expect(emu.user(TENANT_A, "user-03@contoso.com").accountEnabled).toBe(true);
    // One HTTP request, six operations recorded, each naming its batch.
    const outer = emu.requests.filter((x) => x.path === "/v1.0/$batch");
    expect(outer).toHaveLength(1);
    expect(operations().map((o) => [o.batch, o.method, o.path, o.status])).toEqual([
      [{ seq: outer[0]!.seq, id: "a" }, "GET", "/v1.0/users/user-01@contoso.com", 200],
      [{ seq: outer[0]!.seq, id: "b" }, "PATCH", "/v1.0/users/user-02%40contoso.com", 204],
      [{ seq: outer[0]!.seq, id: "c" }, "POST", "/v1.0/users/user-02@contoso.com/revokeSignInSessions", 200],
      [{ seq: outer[0]!.seq, id: "d" }, "GET", "/v1.0/users/nobody@contoso.com", 404],
      [{ seq: outer[0]!.seq, id: "e" }, "PATCH", "/v1.0/users/admin@contoso.com", 403],
      [{ seq: outer[0]!.seq, id: "f" }, "PATCH", "/v1.0/users/user-03@contoso.com", 400],
    ]);
  });

  it("refuses more than 20 requests whole (400 in Graph's error shape), and a malformed batch", async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: "GET", url: `/users/${USERS[i]}` }));
    const over = await batch({ requests });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      error: {
        code: "BadRequest",
        message: "Number of batch requests 21 exceeds the limit of 20.",
        innerError: { date: expect.any(String), "request-id": expect.any(String), "client-request-id": expect.any(String) },
      },
    });
    expect(operations()).toEqual([]);
    const twenty = await batch({ requests: requests.slice(0, 20) });
    expect(twenty.status).toBe(200);
    expect(operations()).toHaveLength(20);
    const dup = await batch({ requests: [requests[0], requests[0]] });
    expect(dup).toMatchObject({ status: 400, body: { error: { code: "BadRequest", message: "Request id '1' is duplicated: ids must be unique in the batch." } } });
  });

  it("honours dependsOn: runs in its order, and a request whose dependency failed is 424, not run", async () => {
    const r = await batch({
      requests: [
        { id: "3", dependsOn: ["2"], method: "POST", url: "/users/user-05@contoso.com/revokeSignInSessions" },
        { id: "2", dependsOn: ["1"], method: "PATCH", url: "/users/user-05@contoso.com", body: { accountEnabled: false }, headers: { "Content-Type": "application/json" } },
        { id: "1", method: "GET", url: "/users/user-05@contoso.com" },
        { id: "4", method: "PATCH", url: "/users/admin@contoso.com", body: { accountEnabled: false }, headers: { "Content-Type": "application/json" } },
        { id: "5", dependsOn: ["4"], method: "POST", url: "/users/admin@contoso.com/revokeSignInSessions" },
      ],
    });
    const res = byId(r.body);
    expect([...res.entries()].map(([id, x]) => [id, x.status]).sort()).toEqual([["1", 200], ["2", 204], ["3", 200], ["4", 403], ["5", 424]]);
    expect(operations().map((o) => o.batch!.id)).toEqual(["1", "2", "3", "4", "5"]);
    expect(emu.user(TENANT_A, "admin@contoso.com").sessionsRevokedAt).toEqual([]);
  });

  it("a 429 inside a batch carries its own Retry-After; more than 4 requests of one mailbox in a parallel batch are throttled (MailboxConcurrency)", async () => {
    const throttled = emu.setFault({ match: { method: "POST", path: "/revokeSignInSessions" }, status: 429, retryAfter: 3, times: 1 });
    const mailbox = (i: number) => ({ id: `m${i}`, method: "GET", url: `/users/user-09@contoso.com/messages?$top=1` });
    const r = await batch({
      requests: [
        { id: "r", method: "POST", url: "/users/user-06@contoso.com/revokeSignInSessions" },
        { id: "s", method: "POST", url: "/users/user-07@contoso.com/revokeSignInSessions" },
        ...[1, 2, 3, 4, 5].map(mailbox),
      ],
    });
    expect(throttled.hits).toBe(1);
    const res = byId(r.body);
    expect(res.get("r")).toMatchObject({ status: 429, headers: { "Retry-After": "3" }, body: { error: { code: "TooManyRequests" } } });
    expect(res.get("s")).toMatchObject({ status: 200 });
    expect([1, 2, 3, 4].map((i) => res.get(`m${i}`)!.status)).toEqual([200, 200, 200, 200]);
    expect(res.get("m5")).toMatchObject({ status: 429, headers: { "Retry-After": "1" }, body: { error: { code: "ApplicationThrottled" } } });
  });
});

/** The live providers as the server makes them, pointed at the emulator. */
function live(): Providers {
  const cfg = parseConfig({
    ...emulatorEnv(emu.url),
  });
  return createLiveProviders(cfg, createGate(cfg));
}

describe("live Graph provider: the batch forms", () => {
  it("45 users read, disabled and revoked in 3 batch requests each; an unknown UPN is its own not-found", async () => {
    const { identity } = live();
    const upns = [...USERS.slice(0, 44), "ghost@contoso.com"];
    const read = await identity.getUsers!(TENANT_A, upns);
    expect(read.slice(0, 44)).toEqual(
      USERS.slice(0, 44).map((u) => ({ ok: true, value: { id: emu.user(TENANT_A, u).id, userPrincipalName: u, displayName: expect.any(String), accountEnabled: true } })),
    );
    expect(read[44]).toMatchObject({ ok: false, error: { kind: "not_found", httpStatus: 404 } });
    expect(String((read[44] as { error: Error }).error.message)).toBe(
      "[Graph] 404 Request_ResourceNotFound on GET /users/ghost@contoso.com: Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
    const set = await identity.setAccountEnabledMany!(TENANT_A, USERS.slice(0, 44), false);
    expect(set.every((o) => o.ok)).toBe(true);
    const revoked = await identity.revokeSignInSessionsMany!(TENANT_A, USERS.slice(0, 44));
    expect(revoked.every((o) => o.ok)).toBe(true);
    expect(graphRequests()).toEqual(Array(9).fill("POST /v1.0/$batch"));
    expect(operations()).toHaveLength(45 + 44 + 44);
    for (const u of USERS.slice(0, 44)) expect(emu.user(TENANT_A, u)).toMatchObject({ accountEnabled: false, sessionsRevokedAt: [expect.any(String)] });
  });

  it("only the operations answered 429 are sent again, after their Retry-After", async () => {
    const { identity } = live();
    const fault = emu.setFault({ match: (r) => r.method === "PATCH" && /user-0[3-5]/.test(r.path), status: 429, retryAfter: 1, times: 3 });
    const started = Date.now();
    const set = await identity.setAccountEnabledMany!(TENANT_A, USERS.slice(0, 10), false);
    expect(set).toEqual(Array(10).fill({ ok: true, value: undefined }));
    expect(fault.hits).toBe(3);
    const batches = emu.requests.filter((r) => r.path === "/v1.0/$batch");
    expect(batches).toHaveLength(2);
    const second = operations().filter((o) => o.batch!.seq === batches[1]!.seq);
    expect(second.map((o) => [o.path, o.status])).toEqual(USERS.slice(2, 5).map((u) => [`/v1.0/users/${encodeURIComponent(u)}`, 204]));
    expect(Date.parse(batches[1]!.at) - Date.parse(batches[0]!.at)).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("one message found in 30 mailboxes and moved, in batches of 20; a missing mailbox is its own failure", async () => {
    const { mail } = live();
    const boxes = USERS.slice(0, 30);
    const found = await mail.findMessagesMany!(TENANT_A, [...boxes, "no.mailbox@contoso.com"].map((mailbox) => ({ mailbox, messageId: PHISH })));
    expect(found.slice(0, 30).map((f) => f.ok && f.value.map((m) => m.subject))).toEqual(boxes.map((_, i) => [`Invoice ${i + 1}`]));
    expect(found[30]).toMatchObject({ ok: false, error: { kind: "not_found", httpStatus: 404 } });
    const moved = await mail.moveMany!(
      TENANT_A,
      found.slice(0, 30).map((f, i) => ({ mailbox: boxes[i]!, id: (f as { value: { id: string }[] }).value[0]!.id, destination: "recoverableitemsdeletions" as const })),
    );
    expect(moved.every((m) => m.ok && m.value.parentFolderId !== "")).toBe(true);
    for (const b of boxes) expect([...emu.mailbox(TENANT_A, b).messages.values()].map((m) => m.folder)).toEqual(["recoverableitemsdeletions"]);
    // 31 finds and 30 moves: 2 + 2 requests of at most 20.
    expect(graphRequests()).toEqual(Array(4).fill("POST /v1.0/$batch"));
    expect(operations().filter((o) => o.path.endsWith("/move")).map((o) => o.status)).toEqual(Array(30).fill(201));
  });

  it("six copies in one mailbox are moved in two requests of at most 4 of that mailbox: Outlook never throttles them", async () => {
    const { mail } = live();
    const [found] = await mail.findMessagesMany!(TENANT_A, [{ mailbox: USERS[44]!, messageId: "<six@x.example>" }]);
    const copies = (found as { value: { id: string }[] }).value;
    expect(copies).toHaveLength(6);
    const from = emu.requests.at(-1)!.seq;
    const moved = await mail.moveMany!(TENANT_A, copies.map((c) => ({ mailbox: USERS[44]!, id: c.id, destination: "junkemail" as const })));
    expect(moved.every((m) => m.ok)).toBe(true);
    expect(operations(from).map((o) => o.status)).toEqual(Array(6).fill(201));
    const perRequest = new Map<number, number>();
    for (const o of operations(from)) perRequest.set(o.batch!.seq, (perRequest.get(o.batch!.seq) ?? 0) + 1);
    expect([...perRequest.values()]).toEqual([4, 2]);
  });
});
