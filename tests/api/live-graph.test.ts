// Disabling users and quarantining mail through the live Microsoft Graph adapter, against the
// emulator: the calls received (order, paths, $filter, bodies), the rows and timelines, partial
// failures, and Message-IDs that need escaping or encoding.
import { beforeEach, describe, expect, it } from "vitest";
import { CLIENT_A, exampleSeed, TENANT_A } from "../emulator/fixtures";
import type { MessageState } from "../emulator/server";
import {
  type Json,
  type Reply,
  anyActionId,
  anyIso,
  detail,
  expectAction,
  expectProblem,
  post,
  problem,
  type ProblemType,
  steps,
  withoutTimeline,
} from "./helpers";
import { AUDIENCE, apiCalls, bearer, freshLive, liveAction, liveSetup, mark, since } from "./live";

const GRAPH_ID = "AAMkAD+graph/id=0123456789abcdef==";
const seed = exampleSeed();
seed.tenants[0]!.users![0]!.messages!.push(
  { internetMessageId: "<o'brien@host.example>", subject: "Quote" },
  { internetMessageId: "<a+b@x.example>", subject: "Plus" },
  // What "<a+b@...>" would read as if the '+' were not encoded: it must stay where it is.
  { internetMessageId: "<a b@x.example>", subject: "Decoy" },
  { internetMessageId: "<dup@x.example>", subject: "Copy 1", folder: "inbox" },
  { internetMessageId: "<dup@x.example>", subject: "Copy 2", folder: "archive" },
  { internetMessageId: "<by-id@x.example>", subject: "By id", id: GRAPH_ID },
  // More copies than Graph's default page of 10.
  ...Array.from({ length: 12 }, (_, i) => ({ internetMessageId: "<many@x.example>", subject: `Many ${i + 1}` })),
);

// Graph reads the permissions from the token: tokens shorter than MSAL's 5-minute renewal margin
// make the server fetch a new one for each call, so a setPermissions in a case reaches it.
const live = liveSetup({ name: "live-graph", emulator: { ...seed, tokenLifetimeSeconds: 240 } });
beforeEach(() => freshLive(live));

const UPN = "alex.wilber@contoso.com";
const USER_PATH = "/v1.0/users/alex.wilber%40contoso.com";
const USER_SELECT = { $select: "id,userPrincipalName,displayName,accountEnabled" };
const MESSAGE_SELECT = "id,internetMessageId,subject,from,receivedDateTime,parentFolderId";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";

const user = () => live().emu.user(TENANT_A, UPN);
const mailbox = () => live().emu.mailbox(TENANT_A, UPN);
const stored = (internetMessageId: string): MessageState => {
  const found = [...mailbox().messages.values()].filter((m) => m.internetMessageId === internetMessageId);
  if (found.length !== 1) throw new Error(`${found.length} messages ${internetMessageId}`);
  return found[0]!;
};

/** Asserts a failed or refused action: the whole problem, the row, the timeline. */
async function expectRecorded(
  reply: Reply,
  type: ProblemType,
  message: string,
  row: Record<string, unknown>,
  timeline: [string, string][],
): Promise<Json> {
  const { server } = live();
  expectProblem(reply, problem(type, message, { action_id: anyActionId(), action_status: row.status }));
  const d = await detail(server, reply.body.action_id);
  expect(withoutTimeline(d)).toEqual(liveAction({ id: reply.body.action_id, error: message, completed_at: d.updated_at, ...row }));
  expect(steps(d)).toEqual(timeline);
  return d;
}

describe("live disable-user", () => {
  it("GET the user, PATCH accountEnabled=false, then POST revokeSignInSessions — in that order", async () => {
    const { emu, server } = live();
    const u = user();
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: "Alex.Wilber@contoso.com", reason: "credential phishing" });
    expectAction(
      r,
      201,
      liveAction({
        type: "disable_user",
        status: "succeeded",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: true },
        reason: "credential phishing",
        provider_ref: u.id,
        result: { user_id: u.id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(apiCalls(emu, from)).toEqual([
      { method: "GET", path: USER_PATH, query: USER_SELECT, body: undefined, status: 200 },
      { method: "PATCH", path: USER_PATH, query: {}, body: { accountEnabled: false }, status: 204 },
      { method: "POST", path: `${USER_PATH}/revokeSignInSessions`, query: {}, body: undefined, status: 200 },
    ]);
    // No body at all, as the docs say: not even "{}".
    expect(since(emu, from, { service: "graph", method: "POST" }).map((q) => q.headers["content-length"] ?? "0")).toEqual(["0"]);
    for (const req of since(emu, from, { service: "graph" })) expect(req.auth).toEqual(bearer(AUDIENCE.graph));
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["succeeded", "Account disabled and sign-in sessions revoked"],
    ]);
    expect({ enabled: u.accountEnabled, revocations: u.sessionsRevokedAt.length }).toEqual({ enabled: false, revocations: 1 });
  });

  it("revoke_sessions false: no revoke call; an account already disabled is kept disabled", async () => {
    const { emu, server } = live();
    const u = user();
    u.accountEnabled = false;
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN, revoke_sessions: false });
    expectAction(
      r,
      201,
      liveAction({
        type: "disable_user",
        status: "succeeded",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: false },
        provider_ref: u.id,
        result: { user_id: u.id, was_enabled: false },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(apiCalls(emu, from).map((c) => [c.method, c.path])).toEqual([
      ["GET", USER_PATH],
      ["PATCH", USER_PATH],
    ]);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account was already disabled; kept disabled"],
      ["succeeded", "Account disabled; sign-in sessions were not revoked, as asked"],
    ]);
    expect(u.sessionsRevokedAt).toEqual([]);
  });

  it("revoking keeps failing (503): a partial failure — 503 with the action id, row failed but active, account disabled", async () => {
    const { emu, server } = live();
    const u = user();
    emu.setFault({ match: "POST /revokeSignInSessions", status: 503, times: Infinity });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN });
    const message = `Partial failure: the account is disabled, but revoking its sign-in sessions failed: [Graph] 503 serviceNotAvailable on POST /users/${UPN}/revokeSignInSessions: Injected fault: ServiceUnavailable.`;
    await expectRecorded(
      r,
      "provider-unavailable",
      message,
      {
        type: "disable_user",
        status: "failed",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: true },
        provider_ref: u.id,
        result: { user_id: u.id, was_enabled: true },
        active: true,
      },
      [
        ["pending", "Requested by token:tests"],
        ["pending", "Account disabled (accountEnabled=false)"],
        ["failed", message],
      ],
    );
    // Revoking is safe to repeat: three tries in all, after the one PATCH.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path.replace(USER_PATH, "~"), c.status])).toEqual([
      ["GET", "~", 200],
      ["PATCH", "~", 204],
      ["POST", "~/revokeSignInSessions", 503],
      ["POST", "~/revokeSignInSessions", 503],
      ["POST", "~/revokeSignInSessions", 503],
    ]);
    expect({ enabled: u.accountEnabled, revocations: u.sessionsRevokedAt.length }).toEqual({ enabled: false, revocations: 0 });
  });

  it("revoking refused (403): a partial failure — 502 naming User.RevokeSessions.All, row failed but active", async () => {
    const { emu, server } = live();
    const u = user();
    emu.setPermissions(CLIENT_A.clientId, ["User.Read.All", "User.EnableDisableAccount.All"]);
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN });
    const message = `Partial failure: the account is disabled, but revoking its sign-in sessions failed: [Graph] 403 Authorization_RequestDenied on POST /users/${UPN}/revokeSignInSessions: the app registration needs User.RevokeSessions.All. Insufficient privileges to complete the operation.`;
    await expectRecorded(
      r,
      "provider-error",
      message,
      {
        type: "disable_user",
        status: "failed",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: true },
        provider_ref: u.id,
        result: { user_id: u.id, was_enabled: true },
        active: true,
      },
      [
        ["pending", "Requested by token:tests"],
        ["pending", "Account disabled (accountEnabled=false)"],
        ["failed", message],
      ],
    );
    expect(apiCalls(emu, from).map((c) => [c.method, c.status])).toEqual([
      ["GET", 200],
      ["PATCH", 204],
      ["POST", 403],
    ]);
  });

  it("an administrator the app may not disable (403 on PATCH): 502 naming the permission and role, nothing revoked, not active", async () => {
    const { emu, server } = live();
    const admin = emu.user(TENANT_A, "admin@contoso.com");
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: "admin@contoso.com" });
    const message =
      "[Graph] 403 Authorization_RequestDenied on PATCH /users/admin@contoso.com: the app registration needs User.EnableDisableAccount.All (administrators also need the Privileged Authentication Administrator role). Insufficient privileges to complete the operation.";
    await expectRecorded(
      r,
      "provider-error",
      message,
      {
        type: "disable_user",
        status: "failed",
        target: "admin@contoso.com",
        provider: "graph",
        parameters: { upn: "admin@contoso.com", revoke_sessions: true },
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
    expect(apiCalls(emu, from).map((c) => [c.method, c.status])).toEqual([
      ["GET", 200],
      ["PATCH", 403],
    ]);
    expect(admin.accountEnabled).toBe(true);
  });

  it("an unknown user: 404, recorded rejected", async () => {
    const { server } = live();
    const r = await post(server, DISABLE, { upn: "ghost@contoso.com" });
    const message =
      "[Graph] 404 Request_ResourceNotFound on GET /users/ghost@contoso.com: Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.";
    await expectRecorded(
      r,
      "not-found",
      message,
      {
        type: "disable_user",
        status: "rejected",
        target: "ghost@contoso.com",
        provider: "graph",
        parameters: { upn: "ghost@contoso.com", revoke_sessions: true },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });
});

describe("live quarantine-email", () => {
  const filterOf = (id: string) => ({ $filter: `internetMessageId eq '${id.replaceAll("'", "''")}'`, $select: MESSAGE_SELECT, $top: "1000" });
  const encoded = (id: string) => encodeURIComponent(id);

  it.each([
    { action: "softDelete", folder: "recoverableitemsdeletions" },
    { action: "moveToJunk", folder: "junkemail" },
  ] as const)("$action: found by internetMessageId, moved to $folder; the new id is kept", async ({ action, folder }) => {
    const { emu, server } = live();
    const m = stored("<phish-1@evil.example>");
    const oldId = m.id;
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action, reason: "phish" });
    // The emulator gave the moved message a new id, as Exchange does.
    expect(m.id).not.toBe(oldId);
    expect({ folder: m.folder, previousIds: m.previousIds }).toEqual({ folder, previousIds: [oldId] });
    expectAction(
      r,
      201,
      liveAction({
        type: "quarantine_email",
        status: "succeeded",
        target: "<phish-1@evil.example>",
        provider: "graph",
        parameters: { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action },
        reason: "phish",
        provider_ref: m.id,
        result: { messages: [{ id: oldId, new_id: m.id, subject: "Invoice overdue" }], folder },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(apiCalls(emu, from)).toEqual([
      { method: "GET", path: `${USER_PATH}/messages`, query: filterOf("<phish-1@evil.example>"), body: undefined, status: 200 },
      { method: "POST", path: `${USER_PATH}/messages/${encoded(oldId)}/move`, query: {}, body: { destinationId: folder }, status: 201 },
    ]);
    for (const req of since(emu, from, { service: "graph" })) expect(req.auth).toEqual(bearer(AUDIENCE.graph));
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "Invoice overdue" to ${folder}`],
      ["succeeded", `Moved 1 message(s) to ${folder}`],
    ]);
  });

  it("hardDelete: POST permanentDelete; the message is gone for good", async () => {
    const { emu, server } = live();
    const m = stored("<phish-1@evil.example>");
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "hardDelete" });
    expectAction(
      r,
      201,
      liveAction({
        type: "quarantine_email",
        status: "succeeded",
        target: "<phish-1@evil.example>",
        provider: "graph",
        parameters: { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "hardDelete" },
        provider_ref: m.id,
        result: { messages: [{ id: m.id, new_id: null, subject: "Invoice overdue" }], folder: "deleted" },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(apiCalls(emu, from)).toEqual([
      { method: "GET", path: `${USER_PATH}/messages`, query: filterOf("<phish-1@evil.example>"), body: undefined, status: 200 },
      { method: "POST", path: `${USER_PATH}/messages/${encoded(m.id)}/permanentDelete`, query: {}, body: undefined, status: 204 },
    ]);
    expect(since(emu, from, { service: "graph", method: "POST" }).map((q) => q.headers["content-length"] ?? "0")).toEqual(["0"]);
    expect(mailbox().purged.map((p) => p.internetMessageId)).toEqual(["<phish-1@evil.example>"]);
    expect(mailbox().messages.has(m.id)).toBe(false);
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", 'Permanently deleted "Invoice overdue"'],
      ["succeeded", "Permanently deleted 1 message(s)"],
    ]);
  });

  it("a Graph message id is used directly: GET messages/{id} (encoded), then the move", async () => {
    const { emu, server } = live();
    const m = stored("<by-id@x.example>");
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: GRAPH_ID, user_principal_name: UPN });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      target: GRAPH_ID,
      provider_ref: m.id,
      result: { messages: [{ id: GRAPH_ID, new_id: m.id, subject: "By id" }], folder: "recoverableitemsdeletions" },
    });
    expect(apiCalls(emu, from)).toEqual([
      { method: "GET", path: `${USER_PATH}/messages/${encoded(GRAPH_ID)}`, query: { $select: MESSAGE_SELECT }, body: undefined, status: 200 },
      {
        method: "POST",
        path: `${USER_PATH}/messages/${encoded(GRAPH_ID)}/move`,
        query: {},
        body: { destinationId: "recoverableitemsdeletions" },
        status: 201,
      },
    ]);
  });

  it("a quote in a Message-ID is doubled in the OData literal; a '+' arrives intact (not read as a space)", async () => {
    const { emu, server } = live();
    const quote = stored("<o'brien@host.example>");
    const plus = stored("<a+b@x.example>");
    const decoy = stored("<a b@x.example>");
    const decoyId = decoy.id;
    const from = mark(emu);
    const q = await post(server, QUARANTINE, { message_id: "<o'brien@host.example>", user_principal_name: UPN });
    const p = await post(server, QUARANTINE, { message_id: "<a+b@x.example>", user_principal_name: UPN });
    expect([q.status, p.status]).toEqual([201, 201]);
    const lists = since(emu, from, { method: "GET", path: "/messages" });
    expect(lists.map((l) => l.query)).toEqual([filterOf("<o'brien@host.example>"), filterOf("<a+b@x.example>")]);
    expect(lists[0]!.query.$filter).toBe("internetMessageId eq '<o''brien@host.example>'");
    expect(lists.map((l) => (l.responseBody as { value: { subject: string }[] }).value.map((v) => v.subject))).toEqual([["Quote"], ["Plus"]]);
    expect([quote.folder, plus.folder, decoy.folder, decoy.id]).toEqual(["recoverableitemsdeletions", "recoverableitemsdeletions", "inbox", decoyId]);
    expect(q.body.result.messages[0].subject).toBe("Quote");
    expect(p.body.result.messages[0].subject).toBe("Plus");
  });

  it("every copy with that Message-ID in the mailbox is moved; each new id kept", async () => {
    const { emu, server } = live();
    const copies = [...mailbox().messages.values()].filter((m) => m.internetMessageId === "<dup@x.example>");
    const before = new Map(copies.map((c) => [c.subject, c.id]));
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<dup@x.example>", user_principal_name: UPN, action: "moveToJunk" });
    expect(r.status).toBe(201);
    const moved = since(emu, from, { method: "POST", path: "/move" });
    expect(moved).toHaveLength(2);
    const bySubject = (s: string) => copies.find((c) => c.subject === s)!;
    expect(r.body.result.messages).toEqual(
      expect.arrayContaining([
        { id: before.get("Copy 1"), new_id: bySubject("Copy 1").id, subject: "Copy 1" },
        { id: before.get("Copy 2"), new_id: bySubject("Copy 2").id, subject: "Copy 2" },
      ]),
    );
    expect(r.body.result.messages).toHaveLength(2);
    expect(r.body.provider_ref).toBe(r.body.result.messages[0].new_id);
    expect(copies.map((c) => c.folder)).toEqual(["junkemail", "junkemail"]);
    expect(steps(await detail(server, r.body.id)).at(-1)).toEqual(["succeeded", "Moved 2 message(s) to junkemail"]);
  });

  it("more copies than one default page (12 > 10): all of them moved", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<many@x.example>", user_principal_name: UPN, action: "moveToJunk" });
    expect(r.status).toBe(201);
    expect(r.body.result.messages).toHaveLength(12);
    expect(since(emu, from, { method: "POST", path: "/move" })).toHaveLength(12);
    expect([...mailbox().messages.values()].filter((m) => m.internetMessageId === "<many@x.example>").map((m) => m.folder)).toEqual(
      Array.from({ length: 12 }, () => "junkemail"),
    );
  });

  it("the second copy's move fails: a partial failure — 503 saying one of two was moved, row failed but active", async () => {
    const { emu, server } = live();
    let moves = 0;
    emu.setFault({ match: (req) => req.method === "POST" && req.path.endsWith("/move") && ++moves === 2, status: 503 });
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<dup@x.example>", user_principal_name: UPN, action: "moveToJunk" });
    const [first, second] = since(emu, from, { method: "POST", path: "/move" });
    expect([first!.status, second!.status]).toEqual([201, 503]);
    const moved = [...mailbox().messages.values()].find((m) => m.id === (first!.responseBody as { id: string }).id)!;
    const oldId = moved.previousIds[0]!;
    const message = `Partial failure: 1 of 2 message(s) were moved to junkemail, then: [Graph] 503 serviceNotAvailable on POST /users/${UPN}/messages/{id}/move: Injected fault: ServiceUnavailable.`;
    const d = await expectRecorded(
      r,
      "provider-unavailable",
      message,
      {
        type: "quarantine_email",
        status: "failed",
        target: "<dup@x.example>",
        provider: "graph",
        parameters: { message_id: "<dup@x.example>", user_principal_name: UPN, action: "moveToJunk" },
        result: { messages: [{ id: oldId, new_id: moved.id, subject: moved.subject }], folder: "junkemail" },
        active: true,
      },
      [
        ["pending", "Requested by token:tests"],
        ["pending", expect.stringMatching(new RegExp(`^Moved "${moved.subject}" to junkemail$`))],
        ["failed", message],
      ],
    );
    expect(d.provider_ref).toBeNull();
    expect([...mailbox().messages.values()].filter((m) => m.internetMessageId === "<dup@x.example>").map((m) => m.folder).sort()).toEqual(
      ["junkemail", moved.subject === "Copy 1" ? "archive" : "inbox"].sort(),
    );
  });

  it.each([
    {
      name: "an unknown Message-ID",
      body: { message_id: "<nope@x.example>", user_principal_name: UPN },
      detail: `[Graph] No message <nope@x.example> in the mailbox of ${UPN}`,
    },
    {
      name: "an unknown Graph message id",
      body: { message_id: "AAMkADnothingHere0000", user_principal_name: UPN },
      detail: `[Graph] No message AAMkADnothingHere0000 in the mailbox of ${UPN}`,
    },
    {
      name: "a user without a mailbox",
      body: { message_id: "<phish-1@evil.example>", user_principal_name: "no.mailbox@contoso.com" },
      detail:
        "[Graph] 404 MailboxNotEnabledForRESTAPI on GET /users/no.mailbox@contoso.com/messages: The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
    },
  ])("$name: 404, recorded rejected, nothing moved", async ({ body, detail: message }) => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, QUARANTINE, body);
    await expectRecorded(
      r,
      "not-found",
      message,
      {
        type: "quarantine_email",
        status: "rejected",
        target: body.message_id,
        provider: "graph",
        parameters: { ...body, action: "softDelete" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
    expect(apiCalls(emu, from).map((c) => c.method)).toEqual(["GET"]);
  });

  it("without Mail.ReadWrite: 502 naming the permission, recorded failed", async () => {
    const { emu, server } = live();
    emu.setPermissions(CLIENT_A.clientId, ["User.Read.All"]);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN });
    const message = `[Graph] 403 ErrorAccessDenied on GET /users/${UPN}/messages: the app registration needs Mail.ReadWrite. Access is denied. Check credentials and try again.`;
    await expectRecorded(
      r,
      "provider-error",
      message,
      {
        type: "quarantine_email",
        status: "failed",
        target: "<phish-1@evil.example>",
        provider: "graph",
        parameters: { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "softDelete" },
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
    expect(stored("<phish-1@evil.example>").folder).toBe("inbox");
  });
});
