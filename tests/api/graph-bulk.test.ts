// The Graph bulks in simulation, through HTTP against the production server: POST /disable-user
// with `upns` and POST /quarantine-email with `upns` and one `message_id`. Whole answers (207, each
// target as its single request would have answered), the rows they leave, the refusals per target
// (a protected account, an unknown one, a duplicate), the list validated whole, the per-caller
// charge per target, Idempotency-Key replaying the whole answer, and the bulks' reverts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_MAILBOXES, SIM_PHISHING_MESSAGE, SIM_USERS } from "@/lib/mdr/providers/simulation";
import { type TestServer, startServer } from "../support/server";
import { type Json, action, anyActionId, anyIso, call, countActions, detail, expectProblem, get, invalidBody, post, problem, steps, withoutTimeline } from "./helpers";

const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const MSG = SIM_PHISHING_MESSAGE.internetMessageId;

const seedFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-graph-bulk-")), "protected.json");
fs.writeFileSync(seedFile, JSON.stringify({ assets: [{ kind: "upn", pattern: "breakglass-*@contoso.com", note: "break-glass accounts" }] }));

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MDR_PROTECTED_ASSETS_FILE: seedFile, MDR_ACTOR_RATE_LIMIT: "30" }, "graph-bulk");
});
afterAll(async () => {
  await server?.stop();
  fs.rmSync(path.dirname(seedFile), { recursive: true, force: true });
});

const user = (upn: string) => SIM_USERS.find((u) => u.userPrincipalName === upn)!;
const bulkRow = (over: Record<string, unknown>) => action({ type: "disable_user", provider: "graph", ...over });

describe("POST /disable-user with upns (simulation)", () => {
  let first: Json;

  it("each account as its single request: disabled, protected (403), unknown (404), already disabled outside the app (kept, was_enabled false)", async () => {
    const upns = ["alice@contoso.com", "Bob@Contoso.com", "breakglass-01@contoso.com", "nobody@contoso.com", "former.employee@contoso.com"];
    const r = await post(server, DISABLE, { upns, reason: "INC-6000" });
    expect(r.status, JSON.stringify(r.body)).toBe(207);
    first = r.body;
    const protectedMessage = (rule: Json) =>
      `breakglass-01@contoso.com is a protected asset (rule ${rule.id}: upn breakglass-*@contoso.com — break-glass accounts); nothing was done.`;
    const rule = r.body.results[2].error?.protected_asset;
    const notFound =
      "[Graph] Request_ResourceNotFound: Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present.";
    expect(r.body).toEqual({
      bulk_id: expect.stringMatching(/^blk_/),
      results: [
        { target: "alice@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
        { target: "bob@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
        {
          target: "breakglass-01@contoso.com",
          id: anyActionId(),
          status: "rejected",
          http_status: 403,
          error: {
            type: "urn:mdr:problem:protected-asset",
            title: "Protected asset",
            detail: protectedMessage(rule),
            errors: [{ path: "upn", message: "matches protected upn rule breakglass-*@contoso.com" }],
            protected_asset: { id: expect.any(String), kind: "upn", pattern: "breakglass-*@contoso.com", note: "break-glass accounts", source: expect.any(String), created_by: expect.any(String), created_at: anyIso() },
          },
        },
        {
          target: "nobody@contoso.com",
          id: anyActionId(),
          status: "rejected",
          http_status: 404,
          error: { type: "urn:mdr:problem:not-found", title: "Not found", detail: notFound, errors: [] },
        },
        { target: "former.employee@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
      ],
    });
    const bulkId = r.body.bulk_id;
    const alice = await detail(server, r.body.results[0].id);
    expect(withoutTimeline(alice)).toEqual(
      bulkRow({
        id: alice.id,
        status: "succeeded",
        target: "alice@contoso.com",
        parameters: { upn: "alice@contoso.com", revoke_sessions: true, bulk_id: bulkId },
        reason: "INC-6000",
        provider_ref: user("alice@contoso.com").id,
        result: { user_id: user("alice@contoso.com").id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: alice.updated_at,
      }),
    );
    expect(steps(alice)).toEqual([
      ["queued", `Requested by token:tests; target 1 of 5 of bulk ${bulkId}; queued`],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["succeeded", "Account disabled and sign-in sessions revoked"],
    ]);
    const guarded = await detail(server, r.body.results[2].id);
    expect(guarded).toMatchObject({ status: "rejected", error: protectedMessage(rule), active: false, provider_ref: null });
    expect(steps(guarded)).toEqual([
      ["queued", `Requested by token:tests; target 3 of 5 of bulk ${bulkId}; queued`],
      ["rejected", protectedMessage(rule)],
    ]);
    const nobody = await detail(server, r.body.results[3].id);
    expect(withoutTimeline(nobody)).toEqual(
      bulkRow({
        id: nobody.id,
        status: "rejected",
        target: "nobody@contoso.com",
        parameters: { upn: "nobody@contoso.com", revoke_sessions: true, bulk_id: bulkId },
        reason: "INC-6000",
        error: notFound,
        completed_at: nobody.updated_at,
      }),
    );
    const former = await detail(server, r.body.results[4].id);
    expect(former).toMatchObject({ status: "succeeded", result: { user_id: user("former.employee@contoso.com").id, was_enabled: false, sessions_revoked: true } });
    expect(steps(former).slice(1)).toEqual([
      ["pending", "Account was already disabled; kept disabled"],
      ["succeeded", "Account disabled and sign-in sessions revoked"],
    ]);

    const status = await get(server, `/api/v1/mdr/bulk/${bulkId}`);
    expect(status.body).toMatchObject({ id: bulkId, type: "disable_user", total: 5, counts: { succeeded: 3, rejected: 2 }, estimated_done_at: null });
  });

  it("a duplicate is refused on its own (409 naming the holder); revoke_sessions false applies to every account", async () => {
    const r = await post(server, DISABLE, { upns: ["alice@contoso.com", "carol@contoso.com"], revoke_sessions: false });
    expect(r.status).toBe(207);
    const held = `alice@contoso.com is already disabled by ${first.results[0].id}; nothing was sent to Graph`;
    expect(r.body.results).toEqual([
      {
        target: "alice@contoso.com",
        id: anyActionId(),
        status: "rejected",
        http_status: 409,
        error: { type: "urn:mdr:problem:conflict", title: "Conflict", detail: held, errors: [], holder_action_id: first.results[0].id },
      },
      { target: "carol@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
    ]);
    const carol = await detail(server, r.body.results[1].id);
    expect(carol).toMatchObject({ result: { was_enabled: true }, parameters: { upn: "carol@contoso.com", revoke_sessions: false } });
    expect(steps(carol).at(-1)).toEqual(["succeeded", "Account disabled; sign-in sessions were not revoked, as asked"]);
  });

  it("the bulk's revert enables the accounts it disabled, not the one that was disabled before it", async () => {
    const r = await post(server, `/api/v1/mdr/bulk/${first.bulk_id}/revert`, { reason: "false alarm" });
    expect(r.status, JSON.stringify(r.body)).toBe(207);
    expect(r.headers.get("location")).toBe(`/api/v1/mdr/bulk/${r.body.bulk_id}`);
    expect(r.body.results).toEqual([
      { target: "alice@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
      { target: "bob@contoso.com", id: anyActionId(), status: "succeeded", http_status: 201 },
    ]);
    const enabled = await detail(server, r.body.results[1].id);
    expect(withoutTimeline(enabled)).toEqual(
      action({
        id: enabled.id,
        type: "enable_user",
        status: "succeeded",
        target: "bob@contoso.com",
        provider: "graph",
        parameters: { upn: "bob@contoso.com", disable_action_id: first.results[1].id, bulk_id: r.body.bulk_id },
        reason: "false alarm",
        provider_ref: user("bob@contoso.com").id,
        reverts: first.results[1].id,
        completed_at: enabled.updated_at,
      }),
    );
    expect(steps(enabled).at(-1)).toEqual(["succeeded", "Account enabled (accountEnabled=true); the user signs in again with their credentials"]);
    expect(await detail(server, first.results[1].id)).toMatchObject({ active: false, reverted_by: enabled.id });
    // Enabled again: a new disable of bob goes through.
    const again = await post(server, DISABLE, { upn: "bob@contoso.com", revoke_sessions: false });
    expect(again.status).toBe(201);
  });

  it.each([
    [{ upns: ["dave@contoso.com", "DAVE@contoso.com"] }, "upns.1", "repeats upns.0 (dave@contoso.com); each target once"],
    [{ upns: ["dave@contoso.com", "not-an-upn"] }, "upns.1", "must be a user principal name like user@contoso.com"],
    [{ upns: [] }, "upns", "must name at least one target"],
    [{ upns: Array.from({ length: 501 }, (_, i) => `u${i}@contoso.com`) }, "upns", "must name at most 500 targets; split the list"],
    [{ upns: ["dave@contoso.com"], upn: "dave@contoso.com" }, "upns", "give either upn or upns, not both"],
  ])("refuses %j whole: 422 on %s, nothing recorded", async (body, at, message) => {
    const before = await countActions(server);
    const r = await post(server, DISABLE, body);
    if (message.startsWith("give either")) expectProblem(r, problem("validation-failed", `${at}: ${message}`, { errors: [{ path: at, message }] }));
    else expectProblem(r, invalidBody(at, message));
    expect(await countActions(server)).toBe(before);
  });

  it("costs one action per account from the caller's budget: a list over it is refused whole (429), nothing recorded", async () => {
    const before = await countActions(server);
    const upns = Array.from({ length: 31 }, (_, i) => `temp-${i}@contoso.com`);
    const r = await post(server, DISABLE, { upns });
    expectProblem(r, problem("rate-limited", "This request needs 31 actions; the limit is 30 per minute per caller."));
    expect(await countActions(server)).toBe(before);
  });

  it("Idempotency-Key replays the whole answer; nothing is done twice", async () => {
    const send = () =>
      call(server, DISABLE, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "graph-bulk-1" },
        body: JSON.stringify({ upns: ["dave@contoso.com", "jdoe@contoso.com"], reason: "INC-6001" }),
      });
    const r1 = await send();
    expect(r1.status).toBe(207);
    const before = await countActions(server);
    const r2 = await send();
    expect(r2.status).toBe(207);
    expect(r2.headers.get("idempotent-replayed")).toBe("true");
    expect(r2.body).toEqual(r1.body);
    expect(await countActions(server)).toBe(before);
  });
});

describe("POST /quarantine-email with upns (simulation)", () => {
  it("one message out of several mailboxes, each its own action named by its mailbox; a mailbox without it is 404; the bulk's revert moves them back", async () => {
    const mailboxes = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "svc-backup@contoso.com"];
    const r = await post(server, QUARANTINE, { message_id: MSG, upns: mailboxes, action: "moveToJunk", reason: "payroll phish wave" });
    expect(r.status, JSON.stringify(r.body)).toBe(207);
    const missing = `[Graph] No message ${MSG} in the mailbox of svc-backup@contoso.com`;
    expect(r.body.results).toEqual([
      ...mailboxes.slice(0, 3).map((m) => ({ target: m, id: anyActionId(), status: "succeeded", http_status: 201 })),
      {
        target: "svc-backup@contoso.com",
        id: anyActionId(),
        status: "rejected",
        http_status: 404,
        error: { type: "urn:mdr:problem:not-found", title: "Not found", detail: missing, errors: [] },
      },
    ]);
    for (const [i, m] of mailboxes.slice(0, 3).entries()) {
      const original = SIM_MAILBOXES[m]!.find((x) => x.internetMessageId === MSG)!;
      const d = await detail(server, r.body.results[i].id);
      const newId = d.result.messages[0].new_id;
      expect(withoutTimeline(d)).toEqual(
        action({
          id: d.id,
          type: "quarantine_email",
          status: "succeeded",
          target: MSG,
          provider: "graph",
          parameters: { message_id: MSG, user_principal_name: m, action: "moveToJunk", bulk_id: r.body.bulk_id },
          reason: "payroll phish wave",
          provider_ref: newId,
          result: { messages: [{ id: original.id, new_id: expect.stringMatching(/^AAMkA/), subject: SIM_PHISHING_MESSAGE.subject }], folder: "junkemail" },
          active: true,
          completed_at: d.updated_at,
        }),
      );
      expect(newId).not.toBe(original.id);
      expect(steps(d)).toEqual([
        ["queued", `Requested by token:tests; target ${i + 1} of 4 of bulk ${r.body.bulk_id}; queued`],
        ["pending", `Moved "${SIM_PHISHING_MESSAGE.subject}" from inbox to junkemail`],
        ["succeeded", "Moved 1 message(s) to junkemail"],
      ]);
    }
    const status = await get(server, `/api/v1/mdr/bulk/${r.body.bulk_id}`);
    expect(status.body.results.map((x: Json) => [x.target, x.status])).toEqual([...mailboxes.slice(0, 3).map((m) => [m, "succeeded"]), ["svc-backup@contoso.com", "rejected"]]);

    // In the same mailbox again: refused, naming the quarantine that holds it.
    const again = await post(server, QUARANTINE, { message_id: MSG, upns: ["alice@contoso.com"] });
    expect(again.body.results[0]).toMatchObject({ status: "rejected", http_status: 409, error: { holder_action_id: r.body.results[0].id } });

    const undo = await post(server, `/api/v1/mdr/bulk/${r.body.bulk_id}/revert`, {});
    expect(undo.status, JSON.stringify(undo.body)).toBe(207);
    expect(undo.body.results).toEqual(mailboxes.slice(0, 3).map((m) => ({ target: m, id: anyActionId(), status: "succeeded", http_status: 201 })));
    const restored = await detail(server, undo.body.results[0].id);
    expect(restored).toMatchObject({ type: "restore_email", reverts: r.body.results[0].id, parameters: { user_principal_name: "alice@contoso.com" } });
    expect(steps(restored).slice(1)).toEqual([
      ["pending", `Moved "${SIM_PHISHING_MESSAGE.subject}" back to inbox`],
      ["succeeded", "Moved 1 message(s) back to inbox"],
    ]);
  });

  it.each([
    [{ message_id: MSG, upns: ["alice@contoso.com", "alice@contoso.com"] }, "upns.1", "repeats upns.0 (alice@contoso.com); each target once"],
    [{ message_id: MSG, upns: ["alice@contoso.com"], user_principal_name: "alice@contoso.com" }, "upns", "give either user_principal_name or upns, not both"],
    [{ upns: ["alice@contoso.com"] }, "message_id", "is required"],
  ])("refuses %j whole: 422 on %s", async (body, at, message) => {
    const before = await countActions(server);
    const r = await post(server, QUARANTINE, body);
    if (message.startsWith("give either")) expectProblem(r, problem("validation-failed", `${at}: ${message}`, { errors: [{ path: at, message }] }));
    else expectProblem(r, invalidBody(at, message));
    expect(await countActions(server)).toBe(before);
  });
});
