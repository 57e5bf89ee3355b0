// Answers a real tenant gives that are smaller than the emulator's full objects, against the
// emulator: each entity the live adapters read (machine, machine action from POST isolate, in the
// list, from GET by id, indicator, user, message) answered with the least the docs allow, and
// Defender's 403s that are about the tenant's settings rather than the app's permissions
// (common-errors.md: DisabledFeature, DisallowedOperation). The adapters require what an action
// needs (ids, status, what the code decides on) and tolerate the rest; a refusal says what to fix.
import { beforeEach, describe, expect, it } from "vitest";
import { TENANT_A } from "../emulator/fixtures";
import type { MachineActionState } from "../emulator/server";
import { type TestServer, eventually } from "../support/server";
import {
  GUID,
  type Json,
  anyActionId,
  anyIso,
  defenderSubmitted,
  detail,
  expectAction,
  expectProblem,
  get,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { apiCalls, arrived, expectIsolationSucceeded, freshLive, hold, liveAction, liveSetup, mark, releaseHeld, since } from "./live";

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const UPN = "alex.wilber@contoso.com";
const USER_PATH = `/v1.0/users/${encodeURIComponent(UPN)}`;
const VERIFIED = "Verified after a restart";

const live = liveSetup({ name: "live-tolerant" });
// Each test on a new database and a reset emulator: none depends on what another left.
beforeEach(() => freshLive(live));

const isolateRow = (target: string, parameters: Record<string, unknown>, over: Record<string, unknown>) =>
  liveAction({
    type: "isolate_endpoint",
    target,
    provider: "defender",
    parameters: { hostname: null, machine_id: null, isolation_type: "Full", ...parameters },
    ...over,
  });

/** The row once it is final (succeeded or failed): the poller has followed the machine action to its end. */
const finalRow = (server: TestServer, id: string): Promise<Json> =>
  eventually(
    async () => {
      const d = await detail(server, id);
      return d.status === "succeeded" || d.status === "failed" ? d : undefined;
    },
    20_000,
    `${id} to be final`,
  );

/** The one machine action Defender holds for the device. */
const machineActionOf = (machineId: string): MachineActionState => {
  const found = [...live().emu.tenant(TENANT_A).machineActions.values()].filter((a) => a.machineId === machineId);
  if (found.length !== 1) throw new Error(`${found.length} machine actions for ${machineId}`);
  return found[0]!;
};

/** [method, path, status] of the calls to the APIs after `from`, the poll's path by the machine action's id. */
const calls = (from: number) => apiCalls(live().emu, from).map((c) => [c.method, c.path, c.status]);

/** What the answer to the first request matching `path` after `from` was. */
const answered = (from: number, method: string, path: string) => since(live().emu, from, { method, path })[0]?.responseBody;

describe("the smallest answers the docs allow", () => {
  it("a machine with only id and computerDnsName (no osPlatform, lastSeen, healthStatus): resolved and isolated", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    emu.setFault({
      match: /^GET \/api\/machines$/,
      reshape: (b) => ({ value: (b.value as Json[]).map((m) => ({ id: m.id, computerDnsName: m.computerDnsName })) }),
    });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com", reason: "INC-1" });
    expectAction(
      r,
      202,
      isolateRow(
        "ws-0142.contoso.com",
        { hostname: "ws-0142.contoso.com" },
        {
          status: "in_progress",
          reason: "INC-1",
          provider_ref: expect.stringMatching(GUID),
          result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com", machine_action_status: "Pending" },
        },
      ),
    );
    const ref = r.body.provider_ref;
    expect(answered(from, "GET", "/api/machines")).toEqual({ value: [{ id: ws.id, computerDnsName: "ws-0142.contoso.com" }] });
    const done = await finalRow(server, r.body.id);
    expectIsolationSucceeded(done, r.body, { id: ws.id, dnsName: "ws-0142.contoso.com" }, ref);
    expect(calls(from)).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 201],
      ["GET", `/api/machineactions/${ref}`, 200],
      ["GET", `/api/machineactions/${ref}`, 200],
    ]);
    expect(ws.isolated).toBe(true);
  });

  it("POST isolate (UnManagedDevice) answered with only id, status and a type other than Isolate: accepted, followed to Succeeded", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    // isolate-machine.md: on an unmanaged device the call "triggers the contain device from the
    // network action"; machineaction.md lists no type for it. The action was sent whatever its
    // type is called: this answer names it otherwise, and carries nothing else the docs list.
    emu.setFault({ match: "POST /isolate", reshape: (b) => ({ id: b.id, type: "ContainDevice", status: b.status }) });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { machine_id: ws.id, isolation_type: "UnManagedDevice", reason: "rogue" });
    expectAction(
      r,
      202,
      isolateRow(
        ws.id,
        { machine_id: ws.id, isolation_type: "UnManagedDevice" },
        {
          status: "in_progress",
          reason: "rogue",
          provider_ref: expect.stringMatching(GUID),
          result: { machine_id: ws.id, computer_dns_name: "ws-0143.contoso.com", machine_action_status: "Pending" },
        },
      ),
    );
    const ref = r.body.provider_ref;
    expect(answered(from, "POST", "/isolate")).toEqual({ id: ref, type: "ContainDevice", status: "Pending" });
    expect(since(emu, from, { method: "POST" }).map((c) => c.body)).toEqual([
      { Comment: `MDR ${r.body.id} by token:tests: rogue`, IsolationType: "UnManagedDevice" },
    ]);
    const done = await finalRow(server, r.body.id);
    expectIsolationSucceeded(done, r.body, { id: ws.id, dnsName: "ws-0143.contoso.com" }, ref);
    expect(calls(from)).toEqual([
      ["GET", `/api/machines/${ws.id}`, 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 201],
      ["GET", `/api/machineactions/${ref}`, 200],
      ["GET", `/api/machineactions/${ref}`, 200],
    ]);
    expect(machineActionOf(ws.id)).toMatchObject({ id: ref, scope: "UnManagedDevice", status: "Succeeded" });
  });

  it("GET machineactions/{id} answered with only id and status: the poller still follows it to Succeeded", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "o'brien-pc.contoso.com");
    emu.setFault({ match: /^GET \/api\/machineactions\/.+/, times: Infinity, reshape: (b) => ({ id: b.id, status: b.status }) });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { machine_id: ws.id });
    expect({ status: r.status, row: r.body.status }).toEqual({ status: 202, row: "in_progress" });
    const ref = r.body.provider_ref;
    const done = await finalRow(server, r.body.id);
    expect(withoutTimeline(done)).toEqual(
      isolateRow(
        ws.id,
        { machine_id: ws.id },
        {
          id: r.body.id,
          status: "succeeded",
          provider_ref: ref,
          result: { machine_id: ws.id, computer_dns_name: "o'brien-pc.contoso.com", machine_action_status: "Succeeded" },
          active: true,
          completed_at: done.updated_at,
        },
      ),
    );
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (o'brien-pc.contoso.com)`],
      ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: isolation Succeeded"],
    ]);
    const polls = since(emu, from, { path: `/api/machineactions/${ref}` });
    expect(polls.map((p) => [p.method, p.status, p.responseBody])).toEqual([
      ["GET", 200, { id: ref, status: "InProgress" }],
      ["GET", 200, { id: ref, status: "Succeeded" }],
    ]);
    expect(ws.isolated).toBe(true);
  });

  it.each([
    { isolation: "Full", type: (t: string) => t, what: "an isolation" },
    // The containment an UnManagedDevice isolation triggers, listed under another type than Isolate.
    { isolation: "UnManagedDevice", type: () => "ContainDevice", what: "a containment listed as ContainDevice" },
  ])("the machine action list as its docs page shows it (lastUpdateTimeUtc): $what cut off by a crash is found by its Comment and settled", async ({
    isolation,
    type,
  }) => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "srv-db01.contoso.com");
    const release = hold(emu, "POST /isolate");
    const from = mark(emu);
    const cut = post(server, ISOLATE, { hostname: "srv-db01.contoso.com", isolation_type: isolation, reason: "INC-9" }).catch(
      (err: unknown) => err,
    );
    const orphan = await eventually(
      async () => (await get(server, "/api/v1/mdr/actions?type=isolate_endpoint&status=pending")).body.actions[0] as Json,
      5000,
      "the pending isolation",
    );
    await arrived(emu, from, "POST", "/isolate");
    await server.stop("SIGKILL");
    expect(await cut).toBeInstanceOf(Error);
    await releaseHeld(release);
    const sent = machineActionOf(ws.id);
    expect(sent.status).toBe("Pending");
    // get-machineactions-collection.md's example items, field for field: `lastUpdateTimeUtc`, no
    // `lastUpdateDateTimeUtc`. Every answer of the list, so that no second try sees another shape.
    emu.setFault({
      match: /^GET \/api\/machineactions$/,
      times: Infinity,
      reshape: (b) => ({
        "@odata.context": b["@odata.context"],
        value: (b.value as Json[]).map((a) => ({
          id: a.id,
          type: type(a.type),
          scope: a.scope,
          requestor: a.requestor,
          requestorComment: a.requestorComment,
          status: a.status,
          machineId: a.machineId,
          computerDnsName: a.computerDnsName,
          creationDateTimeUtc: a.creationDateTimeUtc,
          lastUpdateTimeUtc: a.lastUpdateDateTimeUtc,
          relatedFileInfo: null,
        })),
      }),
    });

    const restart = mark(emu);
    await server.restart();
    const done = await finalRow(server, orphan.id);
    expect(withoutTimeline(done)).toEqual({
      ...withoutTimeline(orphan),
      status: "succeeded",
      provider_ref: sent.id,
      result: { machine_id: ws.id, computer_dns_name: "srv-db01.contoso.com", machine_action_status: "Succeeded" },
      active: true,
      completed_at: anyIso(),
      updated_at: done.completed_at,
    });
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (srv-db01.contoso.com)`],
      ["in_progress", `${VERIFIED}: Defender machine action ${sent.id} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: isolation Succeeded"],
    ]);
    const list = since(emu, restart, { path: "/api/machineactions" })[0]!;
    expect({ query: list.query, status: list.status }).toEqual({ query: { $filter: `machineId eq '${ws.id}'` }, status: 200 });
    expect((list.responseBody as Json).value).toEqual([
      expect.objectContaining({ id: sent.id, type: type("Isolate"), lastUpdateTimeUtc: expect.any(String) }),
    ]);
    expect((list.responseBody as Json).value[0]).not.toHaveProperty("lastUpdateDateTimeUtc");
    // At start (beside the health checks' probes): the list, then the polls of the action it found.
    expect(apiCalls(emu, restart, { path: "/api/machineactions" }).map((c) => [c.method, c.path, c.status])).toEqual([
      ["GET", "/api/machineactions", 200],
      ["GET", `/api/machineactions/${sent.id}`, 200],
      ["GET", `/api/machineactions/${sent.id}`, 200],
    ]);
    // Nothing sent again in its name.
    expect(since(emu, restart, { service: "defender", method: "POST" })).toEqual([]);
    expect(ws.isolated).toBe(true);
  }, 60_000);

  it("an indicator answered with only its id: the block succeeds with it, and its unblock deletes that id", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /api/indicators", reshape: (b) => ({ id: b.id }) });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.34", reason: "Tor exit node" });
    const indicator = [...emu.tenant(TENANT_A).indicators.values()][0]!;
    expectAction(
      r,
      201,
      liveAction({
        type: "block_ip",
        status: "succeeded",
        target: "185.220.101.34",
        provider: "defender",
        parameters: { ip: "185.220.101.34", firewall_type: "defender", priority: null, duration_hours: 24 },
        reason: "Tor exit node",
        provider_ref: indicator.id,
        result: { indicator_id: indicator.id, expiration_time: r.body.expires_at },
        active: true,
        completed_at: anyIso(),
        expires_at: anyIso(),
      }),
    );
    expect(answered(from, "POST", "/api/indicators")).toEqual({ id: indicator.id });
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", defenderSubmitted("185.220.101.34", indicator.id, r.body.expires_at)],
    ]);
    const undo = await post(server, `/api/v1/mdr/actions/${r.body.id}/revert`, { reason: "done" });
    expect({ status: undo.status, row: undo.body.status }).toEqual({ status: 201, row: "succeeded" });
    expect(calls(from)).toEqual([
      ["GET", "/api/indicators", 200],
      ["POST", "/api/indicators", 200],
      ["DELETE", `/api/indicators/${indicator.id}`, 204],
    ]);
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
  });

  it("a user with only id and accountEnabled (no userPrincipalName, no displayName): disabled and revoked", async () => {
    const { emu, server } = live();
    const u = emu.user(TENANT_A, UPN);
    emu.setFault({ match: `GET ${USER_PATH}`, reshape: (b) => ({ id: b.id, accountEnabled: b.accountEnabled }) });
    const from = mark(emu);
    const r = await post(server, DISABLE, { upn: UPN, reason: "token theft" });
    expectAction(
      r,
      201,
      liveAction({
        type: "disable_user",
        status: "succeeded",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, revoke_sessions: true },
        reason: "token theft",
        provider_ref: u.id,
        result: { user_id: u.id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(answered(from, "GET", USER_PATH)).toEqual({ id: u.id, accountEnabled: true });
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["succeeded", "Account disabled and sign-in sessions revoked"],
    ]);
    expect(calls(from)).toEqual([
      ["GET", USER_PATH, 200],
      ["PATCH", USER_PATH, 204],
      ["POST", `${USER_PATH}/revokeSignInSessions`, 200],
    ]);
    expect({ enabled: u.accountEnabled, revocations: u.sessionsRevokedAt.length }).toEqual({ enabled: false, revocations: 1 });
  });

  it("messages with only their id (found by internetMessageId, and the moved copy): quarantined, the new id kept", async () => {
    const { emu, server } = live();
    const box = emu.mailbox(TENANT_A, UPN);
    const phish = [...box.messages.values()].find((m) => m.internetMessageId === "<phish-1@evil.example>")!;
    const oldId = phish.id;
    // The id is already known from the lookup: nothing else of the message is needed.
    emu.setFault({ match: `GET ${USER_PATH}/messages`, reshape: (b) => ({ value: (b.value as Json[]).map((m) => ({ id: m.id })) }) });
    emu.setFault({ match: "POST /move", reshape: (b) => ({ id: b.id }) });
    const from = mark(emu);
    const r = await post(server, QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN, reason: "phish" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const moved = [...box.messages.values()].find((m) => m.internetMessageId === "<phish-1@evil.example>")!;
    // The move gave it a new id, as Exchange does.
    expect(moved.id).not.toBe(oldId);
    expect(moved.previousIds).toEqual([oldId]);
    expectAction(
      r,
      201,
      liveAction({
        type: "quarantine_email",
        status: "succeeded",
        target: "<phish-1@evil.example>",
        provider: "graph",
        parameters: { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "softDelete" },
        reason: "phish",
        provider_ref: moved.id,
        result: { messages: [{ id: oldId, new_id: moved.id, subject: "" }], folder: "recoverableitemsdeletions" },
        active: true,
        completed_at: anyIso(),
      }),
    );
    expect(answered(from, "GET", `${USER_PATH}/messages`)).toEqual({ value: [{ id: oldId }] });
    expect(answered(from, "POST", "/move")).toEqual({ id: moved.id });
    expect(steps(await detail(server, r.body.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", 'Moved "" to recoverableitemsdeletions'],
      ["succeeded", "Moved 1 message(s) to recoverableitemsdeletions"],
    ]);
    expect(calls(from)).toEqual([
      ["GET", `${USER_PATH}/messages`, 200],
      ["POST", `${USER_PATH}/messages/${encodeURIComponent(oldId)}/move`, 201],
    ]);
    expect(moved.folder).toBe("recoverableitemsdeletions");
  });
});

describe("Defender's 403s that are not about permissions", () => {
  /** Never a "grant this permission" answer to a refusal no grant would change. */
  const notAboutPermissions = (message: string) => expect(message).not.toMatch(/grant|needs the .*permission/i);

  it("isolate answered 403 DisabledFeature: 502 saying the feature is off in the tenant's Defender settings, Defender's message kept; recorded failed, not retried", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    emu.setFault({ match: "POST /isolate", status: 403, code: "DisabledFeature", message: "Tenant feature isn't enabled." });
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0142.contoso.com" });
    const message =
      `[Defender] 403 DisabledFeature on POST /api/machines/${ws.id}/isolate: a feature this call needs is turned off in the tenant's ` +
      "Defender settings (Settings > Endpoints > Advanced features in the Microsoft Defender portal); a tenant administrator " +
      "must turn it on. Tenant feature isn't enabled.";
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    notAboutPermissions(r.body.detail);
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow(
        "ws-0142.contoso.com",
        { hostname: "ws-0142.contoso.com" },
        {
          id: r.body.action_id,
          status: "failed",
          result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com" },
          error: message,
          completed_at: d.updated_at,
        },
      ),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-0142.contoso.com)`],
      ["failed", message],
    ]);
    const refused = since(emu, from, { method: "POST" })[0]!;
    expect(refused.responseBody).toEqual({ error: { code: "DisabledFeature", message: "Tenant feature isn't enabled.", target: expect.stringMatching(GUID) } });
    expect(calls(from)).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 403],
    ]);
    expect(emu.tenant(TENANT_A).machineActions.size).toBe(0);
  });

  it("block answered 403 DisallowedOperation: 502 saying Defender disallows it in this tenant, with Defender's reason; recorded failed, nothing blocked", async () => {
    const { emu, server } = live();
    const reason = "Creating IP indicators is not allowed: Custom network indicators is turned off.";
    emu.setFault({ match: "POST /api/indicators", status: 403, code: "DisallowedOperation", message: reason });
    const from = mark(emu);
    const r = await post(server, BLOCK, { ip: "185.220.101.35" });
    const message = `[Defender] 403 DisallowedOperation on POST /api/indicators: Defender disallows this operation in the tenant (its settings or the target's state). ${reason}`;
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    notAboutPermissions(r.body.detail);
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "block_ip",
        status: "failed",
        target: "185.220.101.35",
        provider: "defender",
        parameters: { ip: "185.220.101.35", firewall_type: "defender", priority: null, duration_hours: 24 },
        error: message,
        completed_at: d.updated_at,
        expires_at: anyIso(),
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    const refused = since(emu, from, { method: "POST" })[0]!;
    expect(refused.responseBody).toEqual({ error: { code: "DisallowedOperation", message: reason, target: expect.stringMatching(GUID) } });
    expect(calls(from)).toEqual([
      ["GET", "/api/indicators", 200],
      ["POST", "/api/indicators", 403],
    ]);
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
  });
});
