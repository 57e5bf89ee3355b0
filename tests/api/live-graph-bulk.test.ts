// Graph bulks on the live adapter, against the emulator: many users disabled (sessions revoked) and
// one phishing message pulled out of many mailboxes through JSON $batch, 20 operations a request.
// Counted: the HTTP requests Graph received (token calls are Entra's, apart) and the operations
// inside them; each row's body and timeline; only the throttled operations sent again; an unknown
// UPN and a privileged account answered on their own, as single requests would be; the bulks' reverts.
import { beforeEach, describe, expect, it } from "vitest";
import { exampleSeed, TENANT_A } from "../emulator/fixtures";
import type { Emulator, RecordedRequest } from "../emulator/server";
import { type Json, anyActionId, detail, get, post, steps, withoutTimeline } from "./helpers";
import { freshLive, liveAction, liveSetup, mark, since } from "./live";

const USERS = Array.from({ length: 100 }, (_, i) => `staff-${String(i + 1).padStart(3, "0")}@contoso.com`);
const PHISH = "<wave-3@evil.example>";
const MAILBOXES = USERS.slice(0, 30);

function seed() {
  const s = exampleSeed();
  s.tenants[0]!.users!.push(
    ...USERS.map((userPrincipalName, i) => ({
      userPrincipalName,
      displayName: `Staff ${i + 1}`,
      messages: i < 30 ? [{ internetMessageId: PHISH, subject: `Payroll update ${i + 1}`, from: "hr@evil.example" }] : [],
    })),
  );
  return s;
}

const live = liveSetup({ name: "live-graph-bulk", emulator: seed(), env: { MDR_QUEUE_INTERVAL_MS: "200" } });
beforeEach(() => freshLive(live));

const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";

/** GET /bulk/{id} until nothing of it is queued or pending; the last answer. */
async function followBulk(id: string): Promise<Json> {
  const { server } = live();
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await get(server, `/api/v1/mdr/bulk/${id}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    if (!r.body.counts.queued && !r.body.counts.pending) return r.body;
    if (Date.now() > until) throw new Error(`bulk still running: ${JSON.stringify(r.body.counts)}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** The HTTP requests Graph received after `from` (the operations inside batches are not requests). */
const graphRequests = (emu: Emulator, from: number): RecordedRequest[] => since(emu, from, { service: "graph" }).filter((r) => !r.batch);
/** The operations Graph carried out inside batches after `from`, as "METHOD path". */
const operations = (emu: Emulator, from: number, method?: string): string[] =>
  since(emu, from, { service: "graph" })
    .filter((r) => r.batch && (!method || r.method === method))
    .map((r) => `${r.method} ${decodeURIComponent(r.path)}`);

/** A bulk's row: its first step says it was queued as target i of n; then optionally taken from the queue. */
function expectQueuedFirst(d: Json, i: number, n: number, bulkId: string): [string, string][] {
  const st = steps(d);
  expect(st[0]).toEqual(["queued", `Requested by token:tests; target ${i + 1} of ${n} of bulk ${bulkId}; queued`]);
  return st.slice(1).filter(([, m]) => !/^Taken from the queue after \d+\.\d s$/.test(m));
}

describe("live Graph bulks through JSON $batch", () => {
  it("100 users disabled with sessions revoked in at most 20 requests to Graph, each once; the bulk's revert enables all 100", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, DISABLE, { upns: USERS, reason: "token theft wave, INC-5100" });
    expect([202, 207], JSON.stringify(r.body)).toContain(r.status);
    expect(r.headers.get("location")).toBe(`/api/v1/mdr/bulk/${r.body.bulk_id}`);
    const done = await followBulk(r.body.bulk_id);
    expect(done).toMatchObject({ type: "disable_user", provider: "graph", total: 100, counts: { succeeded: 100 }, estimated_done_at: null });
    expect(done.results.map((x: Json) => [x.target, x.status, x.active, x.error])).toEqual(USERS.map((u) => [u, "succeeded", true, null]));

    // The floor: three operations a user (read, disable, revoke), twenty a request: 15 requests.
    const requests = graphRequests(emu, from);
    expect(requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual(Array(15).fill("POST /v1.0/$batch 200"));
    expect(requests.length).toBeLessThanOrEqual(20);
    // Every user read, disabled and revoked exactly once; the revoke after the disable.
    expect(operations(emu, from, "GET").sort()).toEqual(USERS.map((u) => `GET /v1.0/users/${u}`));
    expect(operations(emu, from, "PATCH").sort()).toEqual(USERS.map((u) => `PATCH /v1.0/users/${u}`));
    expect(operations(emu, from, "POST").sort()).toEqual(USERS.map((u) => `POST /v1.0/users/${u}/revokeSignInSessions`));
    for (const u of USERS) {
      const ops = since(emu, from, { service: "graph" }).filter((q) => q.batch && decodeURIComponent(q.path).startsWith(`/v1.0/users/${u}`));
      expect(ops.map((q) => [q.method, q.status])).toEqual([["GET", 200], ["PATCH", 204], ["POST", 200]]);
      expect(emu.user(TENANT_A, u)).toMatchObject({ accountEnabled: false, sessionsRevokedAt: [expect.any(String)] });
    }

    // Each row as a single request would have left it, and its timeline.
    for (const [i, x] of done.results.entries()) {
      const d = await detail(server, x.id);
      const userId = emu.user(TENANT_A, USERS[i]!).id;
      expect(withoutTimeline(d)).toEqual(
        liveAction({
          id: x.id,
          type: "disable_user",
          status: "succeeded",
          target: USERS[i],
          provider: "graph",
          parameters: { upn: USERS[i], revoke_sessions: true, bulk_id: r.body.bulk_id },
          reason: "token theft wave, INC-5100",
          provider_ref: userId,
          result: { user_id: userId, was_enabled: true, sessions_revoked: true },
          active: true,
          completed_at: d.updated_at,
        }),
      );
      expect(expectQueuedFirst(d, i, 100, r.body.bulk_id)).toEqual([
        ["pending", "Account disabled (accountEnabled=false)"],
        ["succeeded", "Account disabled and sign-in sessions revoked"],
      ]);
    }

    // The bulk's revert: 100 enables, five requests of twenty PATCHes.
    const mid = mark(emu);
    const undo = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, { reason: "wave contained" });
    expect([202, 207], JSON.stringify(undo.body)).toContain(undo.status);
    const reverted = await followBulk(undo.body.bulk_id);
    expect(reverted).toMatchObject({ type: "enable_user", total: 100, reverts: r.body.bulk_id, counts: { succeeded: 100 } });
    expect(graphRequests(emu, mid).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual(Array(5).fill("POST /v1.0/$batch 200"));
    expect(operations(emu, mid).sort()).toEqual(USERS.map((u) => `PATCH /v1.0/users/${u}`));
    for (const u of USERS) expect(emu.user(TENANT_A, u).accountEnabled).toBe(true);
    const first = await detail(server, reverted.results[0].id);
    expect(withoutTimeline(first)).toEqual(
      liveAction({
        id: reverted.results[0].id,
        type: "enable_user",
        status: "succeeded",
        target: USERS[0],
        provider: "graph",
        parameters: { upn: USERS[0], disable_action_id: done.results[0].id, bulk_id: undo.body.bulk_id },
        reason: "wave contained",
        provider_ref: emu.user(TENANT_A, USERS[0]!).id,
        reverts: done.results[0].id,
        completed_at: first.updated_at,
      }),
    );
    expect((await detail(server, done.results[0].id)).reverted_by).toBe(reverted.results[0].id);
  }, 120_000);

  it("throttled operations inside the batches are sent again alone, after their Retry-After; an unknown UPN and a privileged account are their own results", async () => {
    const { emu, server } = live();
    const targets = [...USERS.slice(0, 20), "ghost@contoso.com", "admin@contoso.com"];
    const throttledUsers = USERS.slice(3, 8);
    const fault = emu.setFault({
      match: (q) => q.method === "PATCH" && throttledUsers.some((u) => decodeURIComponent(q.path) === `/v1.0/users/${u}`),
      status: 429,
      retryAfter: 1,
      times: throttledUsers.length,
    });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upns: targets, reason: "INC-5101" });
    const done = r.status === 207 ? { results: r.body.results } : await followBulk(r.body.bulk_id);
    expect(fault.hits).toBe(5);
    const byTarget = new Map<string, Json>(done.results.map((x: Json) => [x.target, x]));
    for (const u of USERS.slice(0, 20)) expect(byTarget.get(u)).toMatchObject({ status: "succeeded" });
    // As single requests: an unknown account is rejected 404, a privileged one failed (Graph's 403).
    const ghostError =
      "[Graph] 404 Request_ResourceNotFound on GET /users/ghost@contoso.com: Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.";
    const adminError =
      "[Graph] 403 Authorization_RequestDenied on PATCH /users/admin@contoso.com: the app registration needs User.EnableDisableAccount.All (administrators also need the Privileged Authentication Administrator role). Insufficient privileges to complete the operation.";
    if (r.status === 207) {
      expect(r.body.results.slice(20)).toEqual([
        {
          target: "ghost@contoso.com",
          id: anyActionId(),
          status: "rejected",
          http_status: 404,
          error: { type: "urn:mdr:problem:not-found", title: "Not found", detail: ghostError, errors: [] },
        },
        {
          target: "admin@contoso.com",
          id: anyActionId(),
          status: "failed",
          http_status: 502,
          error: { type: "urn:mdr:problem:provider-error", title: "Provider error", detail: adminError, errors: [] },
        },
      ]);
    }
    const ghost = await detail(server, byTarget.get("ghost@contoso.com").id);
    expect(withoutTimeline(ghost)).toEqual(
      liveAction({
        id: ghost.id,
        type: "disable_user",
        status: "rejected",
        target: "ghost@contoso.com",
        provider: "graph",
        parameters: { upn: "ghost@contoso.com", revoke_sessions: true, bulk_id: r.body.bulk_id },
        reason: "INC-5101",
        error: ghostError,
        completed_at: ghost.updated_at,
      }),
    );
    expect(expectQueuedFirst(ghost, 20, 22, r.body.bulk_id)).toEqual([["rejected", ghostError]]);
    const admin = await detail(server, byTarget.get("admin@contoso.com").id);
    expect(admin).toMatchObject({ status: "failed", error: adminError, active: false });
    expect(emu.user(TENANT_A, "admin@contoso.com").accountEnabled).toBe(true);

    // Only the five throttled PATCHes went again, in a request of their own, a second or more later.
    const patches = since(emu, from, { service: "graph", method: "PATCH" });
    expect(patches.filter((q) => q.status === 429).map((q) => decodeURIComponent(q.path))).toEqual(throttledUsers.map((u) => `/v1.0/users/${u}`));
    const retryBatch = patches.filter((q) => q.status === 429)[0]!;
    const again = patches.filter((q) => q.batch!.seq !== retryBatch.batch!.seq);
    const retried = again.filter((q) => throttledUsers.some((u) => decodeURIComponent(q.path) === `/v1.0/users/${u}`));
    expect(retried.map((q) => q.status)).toEqual([204, 204, 204, 204, 204]);
    expect(new Set(retried.map((q) => q.batch!.seq)).size).toBe(1);
    expect(since(emu, from, { service: "graph" }).filter((q) => q.batch?.seq === retried[0]!.batch!.seq).map((q) => decodeURIComponent(q.path))).toEqual(
      throttledUsers.map((u) => `/v1.0/users/${u}`),
    );
    const outer = (seq: number) => emu.requests.find((q) => q.seq === seq)!;
    expect(Date.parse(outer(retried[0]!.batch!.seq).at) - Date.parse(outer(retryBatch.batch!.seq).at)).toBeGreaterThanOrEqual(900);
    for (const u of USERS.slice(0, 20)) {
      expect(emu.user(TENANT_A, u)).toMatchObject({ accountEnabled: false, sessionsRevokedAt: [expect.any(String)] });
    }
    const requests = graphRequests(emu, from);
    expect(requests.every((q) => q.path === "/v1.0/$batch")).toBe(true);
    // The queue runs the list in units of 20: the first unit reads, disables (then its 5 throttled
    // ones again) and revokes in 4 requests; the other two targets (ghost, admin) take 2.
    expect(requests).toHaveLength(6);
  }, 120_000);

  it("one message quarantined in 30 mailboxes: found and moved in batches, each moved once; the bulk's revert moves all back", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: PHISH, upns: MAILBOXES, action: "softDelete", reason: "phishing wave, INC-5102" });
    expect([202, 207], JSON.stringify(r.body)).toContain(r.status);
    const done = await followBulk(r.body.bulk_id);
    expect(done).toMatchObject({ type: "quarantine_email", total: 30, counts: { succeeded: 30 } });
    // A bulk names each target by its mailbox (every row's target is the one Message-ID).
    expect(done.results.map((x: Json) => [x.target, x.status])).toEqual(MAILBOXES.map((m) => [m, "succeeded"]));
    expect(graphRequests(emu, from).map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual(Array(4).fill("POST /v1.0/$batch 200"));
    expect(operations(emu, from, "GET").sort()).toEqual(MAILBOXES.map((m) => `GET /v1.0/users/${m}/messages`));
    const moves = since(emu, from, { service: "graph", method: "POST" }).filter((q) => q.batch);
    expect(moves.map((q) => [q.status, q.body])).toEqual(Array(30).fill([201, { destinationId: "recoverableitemsdeletions" }]));
    for (const [i, m] of MAILBOXES.entries()) {
      const messages = [...emu.mailbox(TENANT_A, m).messages.values()];
      expect(messages.map((x) => [x.subject, x.folder, x.previousIds.length])).toEqual([[`Payroll update ${i + 1}`, "recoverableitemsdeletions", 1]]);
      const d = await detail(server, done.results[i].id);
      const [original] = messages[0]!.previousIds;
      expect(withoutTimeline(d)).toEqual(
        liveAction({
          id: d.id,
          type: "quarantine_email",
          status: "succeeded",
          target: PHISH,
          provider: "graph",
          parameters: { message_id: PHISH, user_principal_name: m, action: "softDelete", bulk_id: r.body.bulk_id },
          reason: "phishing wave, INC-5102",
          provider_ref: messages[0]!.id,
          result: { messages: [{ id: original, new_id: messages[0]!.id, subject: `Payroll update ${i + 1}` }], folder: "recoverableitemsdeletions" },
          active: true,
          completed_at: d.updated_at,
        }),
      );
      expect(expectQueuedFirst(d, i, 30, r.body.bulk_id)).toEqual([
        ["pending", `Moved "Payroll update ${i + 1}" to recoverableitemsdeletions`],
        ["succeeded", "Moved 1 message(s) to recoverableitemsdeletions"],
      ]);
    }

    const mid = mark(emu);
    const undo = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, { reason: "false positive" });
    const reverted = await followBulk(undo.body.bulk_id);
    expect(reverted).toMatchObject({ type: "restore_email", total: 30, counts: { succeeded: 30 } });
    expect(reverted.results.map((x: Json) => x.target)).toEqual(MAILBOXES);
    expect(graphRequests(emu, mid)).toHaveLength(2);
    for (const m of MAILBOXES) expect([...emu.mailbox(TENANT_A, m).messages.values()].map((x) => x.folder)).toEqual(["inbox"]);
    const back = await detail(server, reverted.results[0].id);
    expect(back).toMatchObject({ status: "succeeded", reverts: done.results[0].id, parameters: { user_principal_name: MAILBOXES[0], quarantine_action_id: done.results[0].id } });
    expect(steps(back).at(-1)).toEqual(["succeeded", "Moved 1 message(s) back to inbox"]);
  }, 120_000);
});
