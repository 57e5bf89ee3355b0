// Answers the live adapters did not expect, against the emulator: 2xx bodies that are not what the
// API documents (empty objects, not JSON at all), Defender's 404 for "nothing matches", an
// isolation Defender answers as already Succeeded or Failed, and a connection reset in the middle of
// a write. Never a 500, never a lie: each ends as a row that says what is known, and an unsafe write
// is not sent twice.
import { beforeEach, describe, expect, it } from "vitest";
import { TENANT_A } from "../emulator/fixtures";
import { eventually } from "../support/server";
import { anyActionId, detail, expectAction, expectProblem, post, problem, steps, withoutTimeline } from "./helpers";
import { type Live, apiCalls, freshLive, isolateRow, liveAction, liveSetup, mark, since } from "./live";

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const UPN = "alex.wilber@contoso.com";
const USER_SELECT = { $select: "id,userPrincipalName,displayName,accountEnabled" };

const live = liveSetup({ name: "live-malformed" });
// Each test on a new database and a reset emulator: none depends on what another left.
beforeEach(() => freshLive(live));

/**
 * Proves the machine action poller has run since now: an isolation of another device, Pending at
 * Defender, is polled (Pending -> InProgress -> Succeeded) to its end. Returns the request number
 * before it, so that what came before can be told apart from the marker's own calls.
 */
async function afterPollRounds({ emu, server }: Live, hostname = "srv-db01.contoso.com"): Promise<number> {
  const upto = mark(emu);
  const marker = await post(server, ISOLATE, { hostname, reason: "marker" });
  expect(marker.status).toBe(202);
  await eventually(
    async () => ((await detail(server, marker.body.id)).status === "succeeded" ? true : undefined),
    20_000,
    "the poller to follow a later isolation to its end",
  );
  return upto;
}

describe("malformed 2xx answers", () => {

  it("Defender answers POST isolate 200 with {}: 502 saying the answer was unexpected and the outcome unknown, recorded failed, not sent again", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    emu.setFault({ match: "POST /isolate", status: 200, body: {} });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com" });
    const message = `[Defender] unexpected answer to POST /api/machines/${ws.id}/isolate (HTTP 200): id: Invalid input: expected string, received undefined; the outcome is unknown`;
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("ws-0142.contoso.com", {
        id: r.body.action_id,
        status: "failed",
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-0142.contoso.com)`],
      ["failed", message],
    ]);
    // Every try of a request is made before its answer: what was sent is complete now.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.status])).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 200],
    ]);
  });

  it("Defender answers the machine lookup 200 with text that is not JSON: 502 'not JSON', not read as 'cannot reach' and not retried", async () => {
    const { emu, server } = live();
    emu.setFault({ match: /^GET \/api\/machines$/, status: 200, body: "<html><body>Service maintenance</body></html>" });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0143.contoso.com" });
    const message = "[Defender] unexpected answer to GET /api/machines (HTTP 200): not JSON (<html><body>Service maintenance</body></html>)";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("ws-0143.contoso.com", { id: r.body.action_id, status: "failed", error: message, completed_at: d.updated_at }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    // One lookup: a service that answered is not "unreachable", and asking again would not help.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.query.$filter, c.status])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'ws-0143.contoso.com'", 200],
    ]);
    expect(emu.device(TENANT_A, "ws-0143.contoso.com").isolated).toBe(false);
  });

  it("Defender answers POST indicators 200 with text that is not JSON: 502, the outcome unknown, one POST", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /api/indicators", status: 200, body: "OK" });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.90" });
    const message = "[Defender] unexpected answer to POST /api/indicators (HTTP 200): not JSON (OK); the outcome is unknown";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(withoutTimeline(await detail(server, r.body.action_id))).toMatchObject({ status: "failed", error: message, active: false, provider_ref: null });
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.status])).toEqual([
      ["GET", "/api/indicators", 200],
      ["POST", "/api/indicators", 200],
    ]);
  });

  it("Graph answers GET user 200 with garbage: 502 naming what was wrong, nothing written to the account", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "GET /v1.0/users/", status: 200, body: { "@odata.context": "x", surprise: true } });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN });
    const message = "[Graph] unexpected user in Graph's answer: id: Invalid input: expected string, received undefined";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "disable_user",
        status: "failed",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: true },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(apiCalls(emu, from)).toEqual([
      { method: "GET", path: `/v1.0/users/${encodeURIComponent(UPN)}`, query: USER_SELECT, body: undefined, status: 200 },
    ]);
    expect(emu.user(TENANT_A, UPN).accountEnabled).toBe(true);
  });

  it("Graph answers GET user 200 with text: 502, not retried, nothing written", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "GET /v1.0/users/", status: 200, body: "<!DOCTYPE html><title>Sign in</title>" });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN });
    const message = "[Graph] unexpected user in Graph's answer: Invalid input: expected object, received string";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(apiCalls(emu, from).map((c) => [c.method, c.status])).toEqual([["GET", 200]]);
    expect(emu.user(TENANT_A, UPN).accountEnabled).toBe(true);
  });

  it("Graph answers the message move 200 with {}: 502, the outcome unknown is said, the move not sent again", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /move", status: 200, body: {} });
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN });
    const message =
      "[Graph] unexpected moved message in Graph's answer: id: Invalid input: expected string, received undefined; the outcome is unknown";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(withoutTimeline(await detail(server, r.body.action_id))).toMatchObject({ status: "failed", error: message, active: false });
    expect(apiCalls(emu, from).map((c) => [c.method, c.path.replace(/messages\/[^/]+/, "messages/{id}"), c.status])).toEqual([
      ["GET", `/v1.0/users/${encodeURIComponent(UPN)}/messages`, 200],
      ["POST", `/v1.0/users/${encodeURIComponent(UPN)}/messages/{id}/move`, 200],
    ]);
  });
});

describe("Defender's 404 when nothing matches", () => {
  // get-machines.md: "If no recent machines - 404 Not Found"; get-machine-by-id.md: 404 when no
  // machine has that id. The emulator answers both that way here.
  const live404 = liveSetup({ name: "live-404", emulator: { defender: { emptyListStatus: 404 } } });

  it("a short name no device has: both lookups answer 404; the action is 404 not-found, recorded rejected, nothing isolated", async () => {
    const { emu, server } = live404();
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ghost-pc" });
    const message = "No device named ghost-pc is known to Defender for Endpoint";
    expectProblem(r, problem("not-found", `[Defender] ${message}`, { action_id: anyActionId(), action_status: "rejected" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("ghost-pc", { id: r.body.action_id, status: "rejected", error: `[Defender] ${message}`, completed_at: d.updated_at }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["rejected", `[Defender] ${message}`],
    ]);
    // 404 is an answer, not a failure: no retry, and no write.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.query.$filter, c.status])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'ghost-pc'", 404],
      ["GET", "/api/machines", "startswith(computerDnsName,'ghost-pc.')", 404],
    ]);
  });

  it("an FQDN no device has: one lookup (404), 404 not-found", async () => {
    const { emu, server } = live404();
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ghost-pc.contoso.com" });
    expectProblem(
      r,
      problem("not-found", "[Defender] No device named ghost-pc.contoso.com is known to Defender for Endpoint", {
        action_id: anyActionId(),
        action_status: "rejected",
      }),
    );
    expect(apiCalls(emu, from).map((c) => [c.method, c.query.$filter, c.status])).toEqual([
      ["GET", "computerDnsName eq 'ghost-pc.contoso.com'", 404],
    ]);
  });

  it("a machine id no device has: GET /api/machines/{id} 404, the action 404, no isolate sent", async () => {
    const { emu, server } = live404();
    const id = "ab".repeat(20);
    const from = mark(emu);
    const r = await post(server, ISOLATE, { machine_id: id });
    const message = `[Defender] 404 ResourceNotFound on GET /api/machines/${id}: Machine ${id} was not found`;
    expectProblem(r, problem("not-found", message, { action_id: anyActionId(), action_status: "rejected" }));
    expect(apiCalls(emu, from)).toEqual([{ method: "GET", path: `/api/machines/${id}`, query: {}, body: undefined, status: 404 }]);
  });
});

describe("an isolation Defender answers as already final", () => {

  it("Succeeded at once: 201 succeeded and active, the device isolated, and no poll of the machine action", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    emu.startNextMachineActionAs("Succeeded");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com", reason: "INC-1" });
    const ref = [...emu.tenant(TENANT_A).machineActions.values()].find((a) => a.machineId === ws.id)!.id;
    expectAction(
      r,
      201,
      isolateRow("ws-0142.contoso.com", {
        status: "succeeded",
        reason: "INC-1",
        provider_ref: ref,
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com", machine_action_status: "Succeeded" },
        active: true,
        completed_at: r.body.updated_at,
      }),
    );
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-0142.contoso.com)`],
      ["succeeded", `Defender isolated the device (${ref})`],
    ]);
    expect(ws.isolated).toBe(true);
    // The poller has run since, and never asked about it.
    const upto = await afterPollRounds(live());
    expect(
      since(emu, from)
        .filter((r) => r.service !== "entra" && r.seq <= upto)
        .map((c) => [c.method, c.path, c.status]),
    ).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 201],
    ]);
    expect(since(emu, from, { path: ref })).toEqual([]);
  });

  it("Failed at once: 502 naming the machine action, recorded failed with its id and status, not active, no poll", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    emu.startNextMachineActionAs("Failed");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0143.contoso.com" });
    const ref = [...emu.tenant(TENANT_A).machineActions.values()].find((a) => a.machineId === ws.id)!.id;
    const message = `[Defender] machine action ${ref} ended Failed`;
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("ws-0143.contoso.com", {
        id: r.body.action_id,
        status: "failed",
        provider_ref: ref,
        result: { machine_id: ws.id, computer_dns_name: "ws-0143.contoso.com", machine_action_status: "Failed" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-0143.contoso.com)`],
      ["failed", message],
    ]);
    expect(ws.isolated).toBe(false);
    // The poller has run since, and never asked about it.
    const upto = await afterPollRounds(live());
    expect(
      since(emu, from)
        .filter((r) => r.service !== "entra" && r.seq <= upto)
        .map((c) => [c.method, c.path, c.status]),
    ).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 201],
    ]);
    expect(since(emu, from, { path: ref })).toEqual([]);
    // The device is not held by a failed isolation: a new one may be sent.
    emu.startNextMachineActionAs("Succeeded");
    const again = await post(server, ISOLATE, { hostname: "ws-0143.contoso.com" });
    expect({ status: again.status, row: again.body.status }).toEqual({ status: 201, row: "succeeded" });
    expect(ws.isolated).toBe(true);
  });
  it("a release answered Failed at once: 502 naming the machine action, the release failed with it, the isolation still active", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "o'brien-pc.contoso.com");
    emu.startNextMachineActionAs("Succeeded");
    const isolation = (await post(server, ISOLATE, { machine_id: ws.id })).body;
    expect(isolation).toMatchObject({ status: "succeeded", active: true });
    emu.startNextMachineActionAs("Failed");
    const from = mark(emu);
    const r = await post(server, `/api/v1/mdr/actions/${isolation.id}/revert`, { reason: "done" });
    const release = [...emu.tenant(TENANT_A).machineActions.values()].find((a) => a.machineId === ws.id && a.type === "Unisolate")!;
    const message = `[Defender] machine action ${release.id} ended Failed`;
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "release_endpoint",
        status: "failed",
        target: ws.id,
        provider: "defender",
        parameters: { machine_id: ws.id, isolation_action_id: isolation.id },
        reason: "done",
        provider_ref: release.id,
        result: { machine_id: ws.id, machine_action_status: "Failed" },
        error: message,
        completed_at: d.updated_at,
        reverts: isolation.id,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(withoutTimeline(await detail(server, isolation.id))).toMatchObject({ active: true, reverted_by: null });
    expect(ws.isolated).toBe(true);
    // The poller has run since, and never asked about the release.
    const upto = await afterPollRounds(live());
    expect(
      since(emu, from)
        .filter((r) => r.service !== "entra" && r.seq <= upto)
        .map((c) => [c.method, c.path, c.status]),
    ).toEqual([["POST", `/api/machines/${ws.id}/unisolate`, 201]]);
    expect(since(emu, from, { path: release.id })).toEqual([]);
  });
});

describe("a connection reset in the middle of a write", () => {

  it("POST isolate reset before any answer: 503, recorded failed saying the outcome is unknown; not sent again", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "srv-db01.contoso.com");
    emu.setFault({ match: "POST /isolate", dropConnection: true });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "srv-db01.contoso.com" });
    const message = "[Defender] the connection was closed before an answer (UND_ERR_SOCKET); the outcome is unknown";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("srv-db01.contoso.com", {
        id: r.body.action_id,
        status: "failed",
        result: { machine_id: ws.id, computer_dns_name: "srv-db01.contoso.com" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (srv-db01.contoso.com)`],
      ["failed", message],
    ]);
    // Every try of a request is made before its answer: what was sent is complete now.
    expect(since(emu, from).map((c) => [c.method, c.path, c.status ?? "reset"])).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, "reset"],
    ]);
  });

  it("POST indicators reset: the same; the indicator POST is not repeated", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /api/indicators", dropConnection: true });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.91" });
    const message = "[Defender] the connection was closed before an answer (UND_ERR_SOCKET); the outcome is unknown";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    // Every try of a request is made before its answer: what was sent is complete now.
    expect(since(emu, from).map((c) => [c.method, c.path, c.status ?? "reset"])).toEqual([
      ["GET", "/api/indicators", 200],
      ["POST", "/api/indicators", "reset"],
    ]);
  });

  it("a Graph message move reset: not repeated (a moved message has a new id); 503, the outcome unknown", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /move", dropConnection: true });
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN });
    // The Graph client keeps no cause of a network error: which one it was cannot be told, only
    // that no answer came to a write.
    const message = "[Graph] the request failed without an answer (fetch failed); the outcome is unknown";
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(withoutTimeline(await detail(server, r.body.action_id))).toMatchObject({ status: "failed", error: message, active: false });
    // Every try of a request is made before its answer: what was sent is complete now.
    expect(since(emu, from, { method: "POST" }).map((c) => c.status ?? "reset")).toEqual(["reset"]);
  });

  it("an idempotent Graph PATCH reset: tried again, the account disabled (the row succeeds)", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "PATCH /v1.0/users/", dropConnection: true });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN, revoke_sessions: false });
    expect({ status: r.status, row: r.body.status }).toEqual({ status: 201, row: "succeeded" });
    expect(since(emu, from, { method: "PATCH" }).map((c) => c.status ?? "reset")).toEqual(["reset", 204]);
    await eventually(async () => (emu.user(TENANT_A, UPN).accountEnabled ? undefined : true), 2000);
  });
});
