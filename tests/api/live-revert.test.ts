// POST /api/v1/mdr/actions/{id}/revert in live mode, against the emulator: the exact calls each
// provider receives to undo an action (Defender unisolate and the machine action polled to its end,
// the indicator deleted, the NSG rule and the network ACL entry removed, the account enabled, the
// email moved back), what the rows say afterwards, a provider failing on the reverse call, a restore
// that failed part way, a revert meeting the expiry sweep, and a reverse action cut off by a crash.
import { beforeEach, describe, expect, it } from "vitest";
import { ACL_A, AWS_KEY, CLIENT_A, exampleSeed, RESOURCE_GROUP, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import type { RecordedRequest } from "../emulator/server";
import { type TestServer, eventually } from "../support/server";
import {
  GUID,
  type Json,
  type Reply,
  anyActionId,
  anyIso,
  call,
  detail,
  expectAction,
  expectProblem,
  get,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { AUDIENCE, REGION, apiCalls, bearer, expireSoon, freshLive, liveAction, liveSetup, mark, nsgPath, since } from "./live";

const seed = exampleSeed();
// ACL: inbound rule 1 taken, so a block gets 2; an outbound entry also numbered 2 must survive the unblock.
seed.networkAcls![0]!.entries!.push(
  { ruleNumber: 1, egress: false, ruleAction: "deny", cidrBlock: "192.0.2.0/24" },
  { ruleNumber: 2, egress: true, ruleAction: "deny", cidrBlock: "192.0.2.0/24" },
);
// A second copy of a message, in another folder.
seed.tenants[0]!.users![0]!.messages!.push(
  { internetMessageId: "<dup@x.example>", subject: "Copy 1", folder: "inbox" },
  { internetMessageId: "<dup@x.example>", subject: "Copy 2", folder: "inbox" },
);

// Machine actions move one step per GET of the action (Pending -> InProgress -> Succeeded),
// so every step is seen by exactly one poll of the background poller.
const live = liveSetup({
  name: "live-revert",
  emulator: { ...seed, defender: { actionProgress: { mode: "polls", pollsPerStep: 1 } } },
});
beforeEach(() => freshLive(live));

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const UPN = "alex.wilber@contoso.com";
const USER_PATH = "/v1.0/users/alex.wilber%40contoso.com";
const API_VERSION = { "api-version": "2025-05-01" };
const OPERATION = new RegExp(
  `^/subscriptions/${SUBSCRIPTION_A}/providers/Microsoft\\.Network/locations/westeurope/operation(s|Results)/[0-9a-f-]{36}$`,
);
const SIGV4 = { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: REGION, service: "ec2" };

const revertPath = (id: string) => `/api/v1/mdr/actions/${id}/revert`;

/** POST .../revert: without any body when `body` is left out, else as JSON. */
function revert(id: string, body?: unknown, server: TestServer = live().server): Promise<Reply> {
  return body === undefined ? call(server, revertPath(id), { method: "POST" }) : post(server, revertPath(id), body);
}

async function make(pathname: string, body: unknown, status: number): Promise<Json> {
  const r = await post(live().server, pathname, body);
  expect(r.status, `${pathname}: ${JSON.stringify(r.body)}`).toBe(status);
  return r.body;
}

/** The action's detail once it has reached `status`. */
function reach(id: string, status: string): Promise<Json> {
  return eventually(
    async () => {
      const d = await detail(live().server, id);
      return d.status === status ? d : undefined;
    },
    10_000,
    `action ${id} to be ${status}`,
  );
}

/** The original after its reverse action `reverse` succeeded. */
function expectReverted(original: Json, after: Json, reverse: Json): void {
  expect(withoutTimeline(after)).toEqual({
    ...withoutTimeline(original),
    active: false,
    reverted_by: reverse.id,
    updated_at: reverse.completed_at,
  });
  expect(after.timeline).toEqual([
    ...original.timeline,
    // The original keeps its status; so does the entry saying it was reverted.
    { at: reverse.completed_at, status: original.status, message: `Reverted by ${reverse.id}` },
  ]);
}

const ec2 = (r: RecordedRequest) => ({ action: r.action, body: r.body, status: r.status });

describe("live revert: Defender release", () => {
  it("POST unisolate with a Comment naming the release, its requester and reason; the poller follows the machine action to Succeeded; the isolation is reverted", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    const isolation = await make(ISOLATE, { hostname: "ws-0142", reason: "C2 beacon" }, 202);
    const iso = await reach(isolation.id, "succeeded");
    expect(ws.isolated).toBe(true);

    const from = mark(emu);
    const r = await revert(iso.id, { reason: "False positive, INC-4711" });
    expectAction(
      r,
      202,
      liveAction({
        type: "release_endpoint",
        status: "in_progress",
        target: "ws-0142",
        provider: "defender",
        parameters: { machine_id: ws.id, isolation_action_id: iso.id },
        reason: "False positive, INC-4711",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, machine_action_status: "Pending" },
        reverts: iso.id,
      }),
    );
    const { id, provider_ref: ref } = r.body;
    const comment = `MDR ${id} by token:tests: False positive, INC-4711`;
    expect(apiCalls(emu, from, { method: "POST" })).toEqual([
      { method: "POST", path: `/api/machines/${ws.id}/unisolate`, query: {}, body: { Comment: comment }, status: 201 },
    ]);
    const created = since(emu, from, { method: "POST", path: "/unisolate" })[0]!;
    expect(created.responseBody).toMatchObject({ id: ref, type: "Unisolate", status: "Pending", machineId: ws.id, requestorComment: comment });
    expect(emu.tenant(TENANT_A).machineActions.get(ref)).toMatchObject({ requestor: CLIENT_A.clientId, scope: null });

    const done = await reach(id, "succeeded");
    expect(withoutTimeline(done)).toEqual({
      ...r.body,
      status: "succeeded",
      result: { machine_id: ws.id, machine_action_status: "Succeeded" },
      updated_at: done.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["in_progress", `Defender accepted the release: machine action ${ref} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: release Succeeded"],
    ]);
    expectReverted(iso, await detail(server, iso.id), done);
    expect(ws.isolated).toBe(false);

    // Everything Defender received: the unisolate, then one poll per step and no more.
    expect(apiCalls(emu, from)).toEqual([
      { method: "POST", path: `/api/machines/${ws.id}/unisolate`, query: {}, body: { Comment: comment }, status: 201 },
      { method: "GET", path: `/api/machineactions/${ref}`, query: {}, body: undefined, status: 200 },
      { method: "GET", path: `/api/machineactions/${ref}`, query: {}, body: undefined, status: 200 },
    ]);
    expect(since(emu, from, { path: `/api/machineactions/${ref}` }).map((p) => (p.responseBody as { status: string }).status)).toEqual([
      "InProgress",
      "Succeeded",
    ]);
    for (const req of since(emu, from, { service: "defender" })) expect(req.auth).toEqual(bearer(AUDIENCE.defender));
  });

  it("no body: the Comment says no reason was given", async () => {
    const { emu } = live();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    const iso = await make(ISOLATE, { hostname: "ws-0143.contoso.com" }, 202);
    await reach(iso.id, "succeeded");
    const from = mark(emu);
    const r = await revert(iso.id);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.reason).toBeNull();
    expect(apiCalls(emu, from, { method: "POST" })).toEqual([
      {
        method: "POST",
        path: `/api/machines/${ws.id}/unisolate`,
        query: {},
        body: { Comment: `MDR ${r.body.id} by token:tests: no reason given` },
        status: 201,
      },
    ]);
    await reach(r.body.id, "succeeded");
    expect(ws.isolated).toBe(false);
  });

  it("unisolate fails (503): 503 with the action id, the release failed, the isolation still active; a second revert succeeds", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "srv-db01.contoso.com");
    const isolation = await make(ISOLATE, { hostname: "srv-db01" }, 202);
    const iso = await reach(isolation.id, "succeeded");

    const fault = emu.setFault({ match: "POST /unisolate", status: 503 });
    const from = mark(emu);
    const r = await revert(iso.id, { reason: "first try" });
    const message = `[Defender] 503 ServiceUnavailable on POST /api/machines/${ws.id}/unisolate: Injected fault: ServiceUnavailable.`;
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    // A POST that may have been acted on is not repeated: one call.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.status])).toEqual([["POST", `/api/machines/${ws.id}/unisolate`, 503]]);
    expect(fault.hits).toBe(1);
    const failed = await detail(server, r.body.action_id);
    expect(withoutTimeline(failed)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "release_endpoint",
        status: "failed",
        target: "srv-db01",
        provider: "defender",
        parameters: { machine_id: ws.id, isolation_action_id: iso.id },
        reason: "first try",
        error: message,
        completed_at: failed.updated_at,
        reverts: iso.id,
      }),
    );
    expect(steps(failed)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(await detail(server, iso.id)).toEqual(iso);
    expect(ws.isolated).toBe(true);

    const second = await revert(iso.id, { reason: "second try" });
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    expect(second.body).toMatchObject({ type: "release_endpoint", status: "in_progress", reverts: iso.id });
    const done = await reach(second.body.id, "succeeded");
    expectReverted(iso, await detail(server, iso.id), done);
    expect(ws.isolated).toBe(false);
  });

  it("an isolation still pending (Defender has not answered yet): 409, nothing sent", async () => {
    const { emu, server } = live();
    emu.setFault({ match: "POST /isolate", delayMs: 1500 });
    const isolating = post(server, ISOLATE, { hostname: "ws-0142.contoso.com" });
    const pending: Json = await eventually(
      async () => {
        const r = await get(server, "/api/v1/mdr/actions?type=isolate_endpoint&status=pending");
        return r.body.actions[0];
      },
      5000,
      "the isolation to be recorded pending",
    );
    const from = mark(emu);
    expectProblem(
      await revert(pending.id),
      problem("conflict", `Action ${pending.id} cannot be reverted: the action is still pending; wait until it has finished.`),
    );
    expect(apiCalls(emu, from, { path: "/unisolate" })).toEqual([]);
    const accepted = await isolating;
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body.id).toBe(pending.id);
    await reach(pending.id, "succeeded");
  });
});

describe("live revert: unblocking", () => {
  /** The unblock row of `block`, as the revert answers it. */
  const unblockRow = (block: Json, over: Record<string, unknown> = {}) =>
    liveAction({
      type: "unblock_ip",
      status: "succeeded",
      target: block.target,
      provider: block.provider,
      parameters: { ip: block.target, firewall_type: block.provider, block_action_id: block.id, rule: block.provider_ref },
      provider_ref: block.provider_ref,
      result: { already_absent: false },
      completed_at: anyIso(),
      reverts: block.id,
      ...over,
    });

  it("Defender indicator: DELETE /api/indicators/{id}; the address can be blocked again", async () => {
    const { emu, server } = live();
    const block = await make(BLOCK, { ip: "185.220.101.34", reason: "Tor exit node" }, 201);
    const blockDetail = await detail(server, block.id);
    expect(emu.tenant(TENANT_A).indicators.has(block.provider_ref)).toBe(true);

    const from = mark(emu);
    const r = await revert(block.id, { reason: "Shared egress, INC-4712" });
    expectAction(r, 201, unblockRow(block, { reason: "Shared egress, INC-4712" }));
    expect(apiCalls(emu, from)).toEqual([
      { method: "DELETE", path: `/api/indicators/${block.provider_ref}`, query: {}, body: undefined, status: 204 },
    ]);
    for (const req of since(emu, from, { service: "defender" })) expect(req.auth).toEqual(bearer(AUDIENCE.defender));
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
    const unblock = await detail(server, r.body.id);
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Removed rule ${block.provider_ref} from Defender for Endpoint (IP indicator)`],
    ]);
    expectReverted(blockDetail, await detail(server, block.id), unblock);

    // Before the revert the address had an indicator and a block was refused; now it is taken.
    const again = await make(BLOCK, { ip: "185.220.101.34" }, 201);
    expect(emu.tenant(TENANT_A).indicators.get(again.provider_ref)).toMatchObject({ indicatorValue: "185.220.101.34", action: "Block" });
  });

  it("Azure NSG: GET the rule, then DELETE mdr-block-{id} and follow the long-running operation", async () => {
    const { emu, server } = live();
    const block = await make(BLOCK, { ip: "203.0.113.0/24", firewall_type: "azure_nsg" }, 201);
    const rule = `mdr-block-${block.id}`;
    expect(block.provider_ref).toBe(rule);
    const blockDetail = await detail(server, block.id);
    const nsg = () => emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, "nsg-edge");
    expect(nsg().rules.has(rule.toLowerCase())).toBe(true);

    const from = mark(emu);
    const r = await revert(block.id);
    expectAction(r, 201, unblockRow(block));
    const calls = apiCalls(emu, from);
    expect(calls.slice(0, 2)).toEqual([
      { method: "GET", path: nsgPath(SUBSCRIPTION_A, rule), query: API_VERSION, body: undefined, status: 200 },
      { method: "DELETE", path: nsgPath(SUBSCRIPTION_A, rule), query: API_VERSION, body: undefined, status: 202 },
    ]);
    // Then the operation, polled until it is done.
    expect(calls.length).toBeGreaterThan(2);
    for (const c of calls.slice(2)) {
      expect(c).toEqual({ method: "GET", path: expect.stringMatching(OPERATION), query: API_VERSION, body: undefined, status: 200 });
    }
    expect(since(emu, from, { path: "/operations/" }).at(-1)?.responseBody).toEqual({ status: "Succeeded" });
    for (const req of since(emu, from, { service: "arm" })) expect(req.auth).toEqual(bearer(AUDIENCE.arm));
    expect([...nsg().rules.keys()]).toEqual(["allow-https-in"]);
    const unblock = await detail(server, r.body.id);
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Removed rule ${rule} from Azure network security group`],
    ]);
    expectReverted(blockDetail, await detail(server, block.id), unblock);
  });

  it("Azure NSG: a rule that now denies another address is left in place: 409 with the action id, the block still active", async () => {
    const { emu, server } = live();
    const block = await make(BLOCK, { ip: "203.0.113.7", firewall_type: "azure_nsg" }, 201);
    const before = await detail(server, block.id);
    const rule = emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, "nsg-edge").rules.get(block.provider_ref.toLowerCase())!;
    rule.properties.sourceAddressPrefix = "203.0.113.8";
    const from = mark(emu);
    const r = await revert(block.id);
    const message = `[Azure NSG] rule ${block.provider_ref} no longer denies 203.0.113.7 (it now Deny 203.0.113.8); left in place`;
    expectProblem(r, problem("conflict", message, { action_id: anyActionId(), action_status: "rejected" }));
    const refused = await detail(server, r.body.action_id);
    expect(withoutTimeline(refused)).toEqual(
      unblockRow(block, { id: r.body.action_id, status: "rejected", provider_ref: null, result: null, error: message, completed_at: refused.updated_at }),
    );
    expect(apiCalls(emu, from).map((c) => [c.method, c.path])).toEqual([["GET", nsgPath(SUBSCRIPTION_A, block.provider_ref)]]);
    expect(await detail(server, block.id)).toEqual(before);
  });

  it("AWS network ACL: DescribeNetworkAcls, then DeleteNetworkAclEntry of that inbound rule number only", async () => {
    const { emu, server } = live();
    const block = await make(BLOCK, { ip: "198.51.100.0/24", firewall_type: "aws_sg" }, 201);
    expect(block.result).toEqual({ network_acl_id: ACL_A, rule_number: 2, cidr: "198.51.100.0/24" });
    const blockDetail = await detail(server, block.id);

    const from = mark(emu);
    const r = await revert(block.id, {});
    expectAction(r, 201, unblockRow(block));
    const calls = since(emu, from, { service: "ec2" });
    expect(calls.map(ec2)).toEqual([
      { action: "DescribeNetworkAcls", body: { Action: "DescribeNetworkAcls", Version: "2016-11-15", "NetworkAclId.1": ACL_A }, status: 200 },
      {
        action: "DeleteNetworkAclEntry",
        body: { Action: "DeleteNetworkAclEntry", Version: "2016-11-15", NetworkAclId: ACL_A, RuleNumber: "2", Egress: "false" },
        status: 200,
      },
    ]);
    expect(apiCalls(emu, from).length).toBe(2);
    for (const c of calls) expect(c.auth).toEqual(SIGV4);
    // The inbound entry 2 is gone; the outbound entry 2 and everything else stay.
    expect(emu.acl(ACL_A).entries.map((e) => [e.ruleNumber, e.egress, e.cidrBlock])).toEqual([
      [100, false, "0.0.0.0/0"],
      [100, true, "0.0.0.0/0"],
      [1, false, "192.0.2.0/24"],
      [2, true, "192.0.2.0/24"],
      [32767, true, "0.0.0.0/0"],
      [32767, false, "0.0.0.0/0"],
    ]);
    const unblock = await detail(server, r.body.id);
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", "Removed rule 2 from AWS network ACL"],
    ]);
    expectReverted(blockDetail, await detail(server, block.id), unblock);
  });
});

describe("live revert: Graph", () => {
  it("enable: PATCH /v1.0/users/{upn} {accountEnabled: true}, nothing else", async () => {
    const { emu, server } = live();
    const u = emu.user(TENANT_A, UPN);
    const disabled = await make(DISABLE, { upn: UPN, reason: "credential phishing" }, 201);
    const disabledDetail = await detail(server, disabled.id);
    expect(u.accountEnabled).toBe(false);

    const from = mark(emu);
    const r = await revert(disabled.id, { reason: "Password reset done" });
    expectAction(
      r,
      201,
      liveAction({
        type: "enable_user",
        status: "succeeded",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, disable_action_id: disabled.id },
        reason: "Password reset done",
        provider_ref: u.id,
        completed_at: anyIso(),
        reverts: disabled.id,
      }),
    );
    expect(apiCalls(emu, from)).toEqual([{ method: "PATCH", path: USER_PATH, query: {}, body: { accountEnabled: true }, status: 204 }]);
    for (const req of since(emu, from, { service: "graph" })) expect(req.auth).toEqual(bearer(AUDIENCE.graph));
    expect(u.accountEnabled).toBe(true);
    const enable = await detail(server, r.body.id);
    expect(steps(enable)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", "Account enabled (accountEnabled=true); the user signs in again with their credentials"],
    ]);
    expectReverted(disabledDetail, await detail(server, disabled.id), enable);
  });

  it("a disable whose session revocation failed (failed but active) is undone: the account enabled", async () => {
    const { emu, server } = live();
    const u = emu.user(TENANT_A, UPN);
    emu.setFault({ match: "POST /revokeSignInSessions", status: 503, times: Infinity });
    const r = await post(server, DISABLE, { upn: UPN });
    expect(r.status).toBe(503);
    emu.clearFaults();
    const partial = await detail(server, r.body.action_id);
    expect(partial).toMatchObject({ status: "failed", active: true });
    expect(u.accountEnabled).toBe(false);

    const from = mark(emu);
    const e = await revert(partial.id);
    expect(e.status, JSON.stringify(e.body)).toBe(201);
    expect(e.body).toMatchObject({ type: "enable_user", status: "succeeded", reverts: partial.id });
    expect(apiCalls(emu, from)).toEqual([{ method: "PATCH", path: USER_PATH, query: {}, body: { accountEnabled: true }, status: 204 }]);
    expect(u.accountEnabled).toBe(true);
    const after = await detail(server, partial.id);
    expectReverted(partial, after, await detail(server, e.body.id));
    // Still the failed action it was: reverted, not succeeded.
    expect(after.status).toBe("failed");
    expect(steps(after).at(-1)).toEqual(["failed", `Reverted by ${e.body.id}`]);
  });

  it("enable fails (503 three times): 503, the enable failed, the disable still active; a second revert succeeds", async () => {
    const { emu, server } = live();
    const u = emu.user(TENANT_A, UPN);
    const disabled = await make(DISABLE, { upn: UPN }, 201);
    const disabledDetail = await detail(server, disabled.id);
    const fault = emu.setFault({ match: "PATCH /v1.0/users/", status: 503, times: Infinity });
    const from = mark(emu);
    const r = await revert(disabled.id);
    const message = `[Graph] 503 serviceNotAvailable on PATCH /users/${UPN}: Injected fault: ServiceUnavailable.`;
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    // Setting accountEnabled is safe to repeat: three tries.
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.body, c.status])).toEqual([
      ["PATCH", USER_PATH, { accountEnabled: true }, 503],
      ["PATCH", USER_PATH, { accountEnabled: true }, 503],
      ["PATCH", USER_PATH, { accountEnabled: true }, 503],
    ]);
    const failed = await detail(server, r.body.action_id);
    expect(withoutTimeline(failed)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "enable_user",
        status: "failed",
        target: UPN,
        provider: "graph",
        parameters: { upn: UPN, disable_action_id: disabled.id },
        error: message,
        completed_at: failed.updated_at,
        reverts: disabled.id,
      }),
    );
    expect(steps(failed)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(await detail(server, disabled.id)).toEqual(disabledDetail);
    expect(u.accountEnabled).toBe(false);

    fault.clear();
    const second = await revert(disabled.id);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expectReverted(disabledDetail, await detail(server, disabled.id), await detail(server, second.body.id));
    expect(u.accountEnabled).toBe(true);
  });

  it("restore: POST .../messages/{newId}/move {destinationId: inbox} for the moved copy; the restore keeps the id it got", async () => {
    const { emu, server } = live();
    const mailbox = emu.mailbox(TENANT_A, UPN);
    const m = [...mailbox.messages.values()].find((x) => x.internetMessageId === "<phish-1@evil.example>")!;
    const seededId = m.id;
    const q = await make(QUARANTINE, { message_id: "<phish-1@evil.example>", user_principal_name: UPN, reason: "phish" }, 201);
    const quarantinedId = m.id;
    expect(q.result).toEqual({
      messages: [{ id: seededId, new_id: quarantinedId, subject: "Invoice overdue" }],
      folder: "recoverableitemsdeletions",
    });
    const qDetail = await detail(server, q.id);

    const from = mark(emu);
    const r = await revert(q.id, { reason: "Not phishing after all" });
    expect(m.folder).toBe("inbox");
    expect(m.previousIds).toEqual([seededId, quarantinedId]);
    expectAction(
      r,
      201,
      liveAction({
        type: "restore_email",
        status: "succeeded",
        target: "<phish-1@evil.example>",
        provider: "graph",
        parameters: { message_id: "<phish-1@evil.example>", user_principal_name: UPN, quarantine_action_id: q.id },
        reason: "Not phishing after all",
        provider_ref: m.id,
        result: { messages: [{ id: quarantinedId, new_id: m.id, subject: "Invoice overdue" }] },
        completed_at: anyIso(),
        reverts: q.id,
      }),
    );
    expect(apiCalls(emu, from)).toEqual([
      {
        method: "POST",
        path: `${USER_PATH}/messages/${encodeURIComponent(quarantinedId)}/move`,
        query: {},
        body: { destinationId: "inbox" },
        status: 201,
      },
    ]);
    for (const req of since(emu, from, { service: "graph" })) expect(req.auth).toEqual(bearer(AUDIENCE.graph));
    const restore = await detail(server, r.body.id);
    expect(steps(restore)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", 'Moved "Invoice overdue" back to inbox'],
      ["succeeded", "Moved 1 message(s) back to inbox"],
    ]);
    expectReverted(qDetail, await detail(server, q.id), restore);
  });

  it("restore of two copies: each moved back by its own new id", async () => {
    const { emu, server } = live();
    const copies = [...emu.mailbox(TENANT_A, UPN).messages.values()].filter((x) => x.internetMessageId === "<dup@x.example>");
    const q = await make(QUARANTINE, { message_id: "<dup@x.example>", user_principal_name: UPN, action: "moveToJunk" }, 201);
    expect(copies.map((c) => c.folder)).toEqual(["junkemail", "junkemail"]);
    const junkIds = q.result.messages.map((x: Json) => x.new_id);
    const from = mark(emu);
    const r = await revert(q.id);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(apiCalls(emu, from)).toEqual(
      junkIds.map((id: string) => ({
        method: "POST",
        path: `${USER_PATH}/messages/${encodeURIComponent(id)}/move`,
        query: {},
        body: { destinationId: "inbox" },
        status: 201,
      })),
    );
    expect(copies.map((c) => c.folder)).toEqual(["inbox", "inbox"]);
    expect(r.body.result).toEqual({
      messages: q.result.messages.map((x: Json) => ({ id: x.new_id, new_id: copies.find((c) => c.subject === x.subject)!.id, subject: x.subject })),
    });
    expect(steps(await detail(server, r.body.id)).at(-1)).toEqual(["succeeded", "Moved 2 message(s) back to inbox"]);
    expect((await detail(server, q.id)).reverted_by).toBe(r.body.id);
  });
});

describe("live revert: a block expiring while it is being unblocked", () => {
  // Blocks are made for an hour; their end is moved to a few seconds from now (PATCH) once the
  // scene is set, and the sweep (every 250 ms) is seen to have run by a second block it ended.
  const unblocksOf = async (blockId: string): Promise<Json[]> => {
    const r = await get(live().server, "/api/v1/mdr/actions?type=unblock_ip&limit=200");
    expect(r.status).toBe(200);
    return r.body.actions.filter((a: Json) => a.reverts === blockId).reverse();
  };

  it("a revert running when the block expires: the sweep leaves it to finish (one unblock, one delete)", async () => {
    const { emu, server } = live();
    const block = await make(BLOCK, { ip: "198.51.100.21", firewall_type: "aws_sg", duration_hours: 1 }, 201);
    const later = await make(BLOCK, { ip: "203.0.113.0/24", firewall_type: "azure_nsg", duration_hours: 1 }, 201);
    // The delete of the revert is held until the block has expired and a sweep has run since.
    let release = () => {};
    const held = emu.setFault({ match: "ec2:DeleteNetworkAclEntry", until: new Promise<void>((res) => (release = res)) });
    const expiresAt = await expireSoon(server, block.id, 3000);
    const blockDetail = await detail(server, block.id);
    const from = mark(emu);
    const running = revert(block.id, { reason: "manual" }).finally(() => release());
    await eventually(async () => (held.hits === 1 ? true : undefined), 10_000, "the revert's delete to reach EC2");
    // The other block expires after this one: once the sweep has ended it, it has seen this one due.
    await expireSoon(server, later.id, Math.max(500, Date.parse(expiresAt) - Date.now() + 100));
    await eventually(async () => ((await detail(server, later.id)).reverted_by ? true : undefined), 15_000, "the sweep to end the other block");
    expect(Date.now()).toBeGreaterThan(Date.parse(expiresAt));
    expect((await unblocksOf(block.id)).map((a) => a.requested_by)).toEqual(["token:tests"]);
    release();
    const r = await running;
    expectAction(
      r,
      201,
      liveAction({
        type: "unblock_ip",
        status: "succeeded",
        target: "198.51.100.21",
        provider: "aws_sg",
        parameters: { ip: "198.51.100.21", firewall_type: "aws_sg", block_action_id: block.id, rule: block.provider_ref },
        reason: "manual",
        provider_ref: block.provider_ref,
        result: { already_absent: false },
        completed_at: anyIso(),
        reverts: block.id,
      }),
    );
    // And a sweep after the revert ended: still the one unblock (a third block ended by it).
    const last = await make(BLOCK, { ip: "203.0.113.77", firewall_type: "azure_nsg", duration_hours: 1 }, 201);
    await expireSoon(server, last.id);
    await eventually(async () => ((await detail(server, last.id)).reverted_by ? true : undefined), 15_000, "the sweep to end the third block");
    expect((await unblocksOf(block.id)).map((a) => [a.id, a.requested_by, a.status])).toEqual([[r.body.id, "token:tests", "succeeded"]]);
    expect(since(emu, from, { service: "ec2" }).map((c) => [c.action, c.status])).toEqual([
      ["DescribeNetworkAcls", 200],
      ["DeleteNetworkAclEntry", 200],
    ]);
    expectReverted(blockDetail, await detail(server, block.id), await detail(server, r.body.id));
  });

  it("the sweep's unblock running: a revert is refused with 409 naming it", async () => {
    const { emu, server } = live();
    // The sweep's delete is held until the revert has had its answer.
    let release = () => {};
    const held = emu.setFault({ match: "ec2:DeleteNetworkAclEntry", until: new Promise<void>((res) => (release = res)) });
    try {
      const block = await make(BLOCK, { ip: "198.51.100.22", firewall_type: "aws_sg", duration_hours: 1 }, 201);
      await expireSoon(server, block.id);
      await eventually(async () => (held.hits === 1 ? true : undefined), 15_000, "the sweep's delete to reach EC2");
      const running: Json = (await unblocksOf(block.id)).find((a) => a.status === "pending");
      expect(running).toMatchObject({ requested_by: "system", reverts: block.id });
      expectProblem(
        await revert(block.id),
        problem("conflict", `Action ${block.id} is already being reverted by ${running.id}.`, { reverted_by: running.id }),
      );
      release();
      const done = await reach(running.id, "succeeded");
      expect((await detail(server, block.id)).reverted_by).toBe(done.id);
      expect((await unblocksOf(block.id)).map((a) => a.id)).toEqual([running.id]);
    } finally {
      release();
    }
  });
});

describe("live revert: a reverse action cut off by a crash", () => {
  const crashed = liveSetup({ name: "live-revert-crash" });

  const pendingOf = (type: string, reverts: string): Promise<Json> =>
    eventually(
      async () => {
        const r = await get(crashed().server, `/api/v1/mdr/actions?type=${type}&status=pending`);
        return r.body.actions.find((a: Json) => a.reverts === reverts);
      },
      5000,
      `a pending ${type}`,
    );

  it("a revert left pending by a killed server is settled at start from what Graph says: the account is enabled, so it succeeded", async () => {
    const { emu, server } = crashed();
    const u = emu.user(TENANT_A, UPN);
    const disabled = (await post(server, DISABLE, { upn: UPN })).body;
    expect(disabled).toMatchObject({ status: "succeeded", active: true });
    // The enable never gets its answer: the server is killed while Graph holds the PATCH, which
    // Graph then carries out.
    emu.setFault({ match: "PATCH /v1.0/users/", delayMs: 1500 });
    const cut = revert(disabled.id, undefined, server).catch((err: unknown) => err);
    const orphan = await pendingOf("enable_user", disabled.id);
    await server.stop("SIGKILL");
    expect(await cut).toBeInstanceOf(Error);
    // Graph carries it out once its hold ends.
    await eventually(async () => (u.accountEnabled ? true : undefined), 10_000, "Graph to carry out the held PATCH");
    const from = mark(emu);
    await server.restart();

    const settled = await eventually(
      async () => {
        const d = await detail(server, orphan.id);
        return d.status === "pending" ? undefined : d;
      },
      10_000,
      "the orphan to be settled",
    );
    expect(withoutTimeline(settled)).toEqual({ ...withoutTimeline(orphan), status: "succeeded", provider_ref: u.id, completed_at: anyIso(), updated_at: settled.completed_at });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", "Verified after a restart: the account is enabled"],
    ]);
    // Graph was asked (besides the start's health probes), nothing was sent again.
    expect(apiCalls(emu, from, { path: "/users/" })).toEqual([
      { method: "GET", path: USER_PATH, query: { $select: "id,userPrincipalName,displayName,accountEnabled" }, body: undefined, status: 200 },
    ]);
    expect(await detail(server, disabled.id)).toMatchObject({ active: false, reverted_by: orphan.id });
    expectProblem(
      await revert(disabled.id, undefined, server),
      problem("conflict", `Action ${disabled.id} cannot be reverted: already reverted by ${orphan.id}.`, { reverted_by: orphan.id }),
    );
  });

  it("an expiry unblock left pending by a killed server: the rule is still there, so it failed (verified); the sweep ends the block with a new one", async () => {
    const { emu, server } = crashed();
    emu.setFault({ match: "ec2:DeleteNetworkAclEntry", delayMs: 15_000 });
    const block = (await post(server, BLOCK, { ip: "198.51.100.31", firewall_type: "aws_sg", duration_hours: 0.0002 })).body;
    expect(block).toMatchObject({ status: "succeeded", active: true });
    const orphan = await pendingOf("unblock_ip", block.id);
    expect(orphan.requested_by).toBe("system");
    await server.stop("SIGKILL");
    emu.clearFaults();
    await server.restart();

    const ended: Json = await eventually(
      async () => {
        const d = await detail(server, block.id);
        return d.reverted_by ? d : undefined;
      },
      15_000,
      "the restarted sweep to end the block",
    );
    const message = `Verified after a restart: rule ${block.provider_ref} is still on AWS network ACL; nothing was removed`;
    expect(await detail(server, orphan.id)).toMatchObject({ status: "failed", error: message, active: false });
    const unblock = await detail(server, ended.reverted_by);
    expect(unblock).toMatchObject({ type: "unblock_ip", status: "succeeded", requested_by: "system", result: { already_absent: false } });
    expect(unblock.id).not.toBe(orphan.id);
    expect(emu.acl(ACL_A).entries.some((e) => e.cidrBlock === "198.51.100.31/32")).toBe(false);
  });
});

describe("live revert: a restore that failed part way", () => {
  it("the second copy's move back fails: 503 saying one of two is back; a second revert moves only the other one", async () => {
    const { emu, server } = live();
    const copies = [...emu.mailbox(TENANT_A, UPN).messages.values()].filter((x) => x.internetMessageId === "<dup@x.example>");
    const q = await make(QUARANTINE, { message_id: "<dup@x.example>", user_principal_name: UPN }, 201);
    const qDetail = await detail(server, q.id);
    const [first, second] = q.result.messages as { id: string; new_id: string; subject: string }[];

    let moves = 0;
    emu.setFault({ match: (req) => req.method === "POST" && req.path.endsWith("/move") && ++moves === 2, status: 503 });
    const from = mark(emu);
    const r = await revert(q.id, { reason: "not phishing" });
    const message = `Partial failure: 1 of 2 message(s) were moved back to the inbox, then: [Graph] 503 serviceNotAvailable on POST /users/${UPN}/messages/{id}/move: Injected fault: ServiceUnavailable.`;
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.status])).toEqual([
      ["POST", `${USER_PATH}/messages/${encodeURIComponent(first!.new_id)}/move`, 201],
      ["POST", `${USER_PATH}/messages/${encodeURIComponent(second!.new_id)}/move`, 503],
    ]);
    const back = copies.find((c) => c.subject === first!.subject)!;
    const failed = await detail(server, r.body.action_id);
    expect(withoutTimeline(failed)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "restore_email",
        status: "failed",
        target: "<dup@x.example>",
        provider: "graph",
        parameters: { message_id: "<dup@x.example>", user_principal_name: UPN, quarantine_action_id: q.id },
        reason: "not phishing",
        result: { messages: [{ id: first!.new_id, new_id: back.id, subject: first!.subject }] },
        error: message,
        completed_at: failed.updated_at,
        reverts: q.id,
      }),
    );
    expect(steps(failed)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "${first!.subject}" back to inbox`],
      ["failed", message],
    ]);
    // Part of it is still in quarantine: the quarantine stays active, not reverted.
    expect(await detail(server, q.id)).toEqual(qDetail);
    expect(copies.map((c) => [c.subject, c.folder]).sort()).toEqual([
      [first!.subject, "inbox"],
      [second!.subject, "recoverableitemsdeletions"],
    ].sort());

    // Again: only the copy still in quarantine is moved; the one already back is not asked for by its old id.
    const again = mark(emu);
    const retry = await revert(q.id);
    const stillOut = copies.find((c) => c.subject === second!.subject)!;
    expectAction(
      retry,
      201,
      liveAction({
        type: "restore_email",
        status: "succeeded",
        target: "<dup@x.example>",
        provider: "graph",
        parameters: { message_id: "<dup@x.example>", user_principal_name: UPN, quarantine_action_id: q.id },
        provider_ref: stillOut.id,
        result: { messages: [{ id: second!.new_id, new_id: stillOut.id, subject: second!.subject }] },
        completed_at: anyIso(),
        reverts: q.id,
      }),
    );
    expect(apiCalls(emu, again)).toEqual([
      {
        method: "POST",
        path: `${USER_PATH}/messages/${encodeURIComponent(second!.new_id)}/move`,
        query: {},
        body: { destinationId: "inbox" },
        status: 201,
      },
    ]);
    const restore = await detail(server, retry.body.id);
    expect(steps(restore)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "${second!.subject}" back to inbox`],
      ["succeeded", `Moved 1 message(s) back to inbox; 1 had been moved back by ${failed.id}`],
    ]);
    expect(copies.map((c) => c.folder)).toEqual(["inbox", "inbox"]);
    expectReverted(qDetail, await detail(server, q.id), restore);
  });
});

describe("live revert: Defender ends the release Failed", () => {
  // Machine actions move only when the test says so.
  const manual = liveSetup({
    name: "live-revert-manual",
    emulator: { ...exampleSeed(), defender: { actionProgress: { mode: "manual" } } },
  });

  const reachIn = (id: string, status: string): Promise<Json> =>
    eventually(
      async () => {
        const d = await detail(manual().server, id);
        return d.status === status ? d : undefined;
      },
      10_000,
      `action ${id} to be ${status}`,
    );

  it("the release row ends failed, the isolation stays active and unreverted; a second release then succeeds", async () => {
    const { emu, server } = manual();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    const isolation = (await post(server, ISOLATE, { hostname: "ws-0142" })).body;
    emu.setMachineActionStatus(isolation.provider_ref, "Succeeded");
    const iso = await reachIn(isolation.id, "succeeded");

    const r = await revert(iso.id, undefined, server);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const ref = r.body.provider_ref as string;
    emu.setMachineActionStatus(ref, "Failed");
    const failed = await reachIn(r.body.id, "failed");
    expect(withoutTimeline(failed)).toEqual({
      ...r.body,
      status: "failed",
      result: { machine_id: ws.id, machine_action_status: "Failed" },
      error: `[Defender] machine action ${ref} ended Failed`,
      updated_at: failed.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(failed)).toEqual([
      ["pending", "Requested by token:tests"],
      ["in_progress", `Defender accepted the release: machine action ${ref} is Pending`],
      ["failed", "Defender: machine action ended Failed"],
    ]);
    expect(await detail(server, iso.id)).toEqual(iso);
    expect(ws.isolated).toBe(true);

    const second = await revert(iso.id, { reason: "again" }, server);
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    expect(second.body).toMatchObject({ type: "release_endpoint", status: "in_progress", reverts: iso.id, reason: "again" });
    emu.setMachineActionStatus(second.body.provider_ref, "Succeeded");
    const done = await reachIn(second.body.id, "succeeded");
    expectReverted(iso, await detail(server, iso.id), done);
    expect(ws.isolated).toBe(false);
  });
});
