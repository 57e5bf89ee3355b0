// POST /api/v1/mdr/actions/{id}/revert through HTTP against the production server, in simulation:
// each of the four reversals end to end (the reverse row, the original afterwards, and the effect
// seen through the simulated tenant), every refusal, the optional body, concurrent reverts,
// provider failures on the reverse call, and what the metrics count as contained.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_DEVICES, SIM_MAILBOXES, SIM_NACL, SIM_PHISHING_MESSAGE, SIM_USERS } from "@/lib/mdr/providers/simulation";
import { type TestServer, eventually, startServer } from "../support/server";
import {
  GUID,
  type Json,
  type Reply,
  action,
  allActions,
  anyActionId,
  anyIso,
  call,
  countActions,
  detail,
  expectAction,
  expectProblem,
  get,
  invalidBody,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";

// Isolations and releases stay Pending for one step and InProgress for another: long enough that
// a request made right after a 202 still meets the machine action running.
const STEP_MS = 1000;

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";
const QUARANTINE = "/api/v1/mdr/quarantine-email";
const MSG = SIM_PHISHING_MESSAGE.internetMessageId;
const SUBJECT = SIM_PHISHING_MESSAGE.subject;
const ACL = SIM_NACL.networkAclId;
/** A message only in dave's mailbox. */
const DAVE_INVOICE = SIM_MAILBOXES["dave@contoso.com"]![0]!.internetMessageId;
const GRAPH_MESSAGE_ID = /^AAMkA[A-Za-z0-9_-]+AAA=$/;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ MDR_SIM_STEP_MS: String(STEP_MS) }, "revert");
});
afterAll(async () => {
  await server?.stop();
});

const revertPath = (id: string) => `/api/v1/mdr/actions/${id}/revert`;

/** POST .../revert: without any body or content type when `body` is left out, else as JSON. */
function revert(id: string, body?: unknown, s: TestServer = server): Promise<Reply> {
  return body === undefined ? call(s, revertPath(id), { method: "POST" }) : post(s, revertPath(id), body);
}

/** Makes an action and checks the answer's status; returns the answer's body. */
async function make(pathname: string, body: unknown, status: number, s: TestServer = server): Promise<Json> {
  const r = await post(s, pathname, body);
  expect(r.status, `${pathname} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`).toBe(status);
  return r.body;
}

/** The action's detail once it has reached `status`. */
function reach(id: string, status: string, s: TestServer = server): Promise<Json> {
  return eventually(
    async () => {
      const d = await detail(s, id);
      return d.status === status ? d : undefined;
    },
    15_000,
    `action ${id} to be ${status}`,
  );
}

/** Isolates a device and waits until Defender has done it; the isolation's detail. */
async function isolated(hostname: string, s: TestServer = server): Promise<Json> {
  const r = await make(ISOLATE, { hostname }, 202, s);
  const d = await reach(r.id, "succeeded", s);
  expect(d.active).toBe(true);
  return d;
}

const device = (name: string) => {
  const d = SIM_DEVICES.find((x) => x.computerDnsName === name);
  if (!d) throw new Error(`no seeded device ${name}`);
  return d;
};
const user = (upn: string) => {
  const u = SIM_USERS.find((x) => x.userPrincipalName === upn);
  if (!u) throw new Error(`no seeded user ${upn}`);
  return u;
};
const phishIn = (mailbox: string) => {
  const m = SIM_MAILBOXES[mailbox]?.find((x) => x.internetMessageId === MSG);
  if (!m) throw new Error(`no phishing message in ${mailbox}`);
  return m;
};

/** The reverse action of `original` as it ends: what the answer and the detail show. */
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

/** A 409 for `id` with nothing written: the whole problem, the original as it was, no new row. */
async function expectRefused(id: string, why: string, extra: Record<string, unknown> = {}, body?: unknown): Promise<void> {
  const before = await detail(server, id);
  const count = await countActions(server);
  expectProblem(await revert(id, body), problem("conflict", `Action ${id} cannot be reverted: ${why}.`, extra));
  expect(await detail(server, id)).toEqual(before);
  expect(await countActions(server)).toBe(count);
}

const reverseOnly = (type: string) =>
  `${type} undoes another action; to return to the earlier state, run that action again`;

describe("revert an isolation: release_endpoint", () => {
  it("202 in progress; the poller completes the release, the isolation is reverted, and the device can be isolated again", async () => {
    const ws = device("ws-0142.corp.contoso.com");
    const iso = await isolated("ws-0142");

    // Isolated: a second isolation is refused, naming the one that holds the device.
    const refused = await post(server, ISOLATE, { hostname: "ws-0142" });
    expectProblem(
      refused,
      problem("conflict", `ws-0142 is already isolated by ${iso.id}; nothing was sent to Defender`, {
        holder_action_id: iso.id,
        action_id: anyActionId(),
        action_status: "rejected",
      }),
    );

    const r = await revert(iso.id, { reason: "False positive, INC-4711" });
    expectAction(
      r,
      202,
      action({
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
    const release = r.body;
    expect(withoutTimeline(await detail(server, release.id))).toEqual(release);
    // While Defender runs the release, the isolation is in place and not yet reverted.
    expect(await detail(server, iso.id)).toEqual(iso);

    const done = await reach(release.id, "succeeded");
    expect(withoutTimeline(done)).toEqual({
      ...release,
      status: "succeeded",
      result: { machine_id: ws.id, machine_action_status: "Succeeded" },
      updated_at: done.completed_at,
      completed_at: anyIso(),
    });
    expect(Date.parse(done.completed_at) - Date.parse(release.created_at)).toBeGreaterThanOrEqual(2 * STEP_MS);
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["in_progress", `Defender accepted the release: machine action ${release.provider_ref} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["succeeded", "Defender: release Succeeded"],
    ]);
    expect(done.timeline[0].at).toBe(release.created_at);
    expectReverted(iso, await detail(server, iso.id), done);

    // Released: Defender isolates it again.
    const again = await post(server, ISOLATE, { hostname: "ws-0142" });
    expectAction(
      again,
      202,
      action({
        type: "isolate_endpoint",
        status: "in_progress",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: ws.computerDnsName, machine_action_status: "Pending" },
      }),
    );

    // The release itself is not undone by a revert, and the isolation cannot be reverted twice.
    await expectRefused(release.id, reverseOnly("release_endpoint"));
    await expectRefused(iso.id, `already reverted by ${release.id}`, { reverted_by: release.id });
    await reach(again.body.id, "succeeded");
  });
});

describe("revert a block: unblock_ip", () => {
  // While a block is in effect the same address on the same firewall is refused from the audit
  // log (the NSG's own priority check still refuses a priority its rule holds).
  const held = (label: string) => (block: Json) =>
    `${block.target} is already blocked on ${label} by ${block.id} until ${block.expires_at}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${block.id})`;
  const cases = [
    {
      firewall: "defender",
      ip: "185.220.101.34",
      label: "Defender for Endpoint (IP indicator)",
      again: (_block: Json) => ({ ip: "185.220.101.34" }),
      refusal: held("Defender for Endpoint (IP indicator)"),
    },
    {
      firewall: "azure_nsg",
      ip: "45.155.205.0/24",
      label: "Azure network security group",
      again: (block: Json) => ({ ip: "45.155.205.0/24", firewall_type: "azure_nsg", priority: block.result.priority }),
      refusal: held("Azure network security group"),
    },
    {
      firewall: "aws_sg",
      ip: "194.26.192.0/24",
      label: "AWS network ACL",
      again: (_block: Json) => ({ ip: "194.26.192.0/24", firewall_type: "aws_sg" }),
      refusal: held("AWS network ACL"),
    },
  ] as const;

  it.each(cases)("$firewall: 201, the rule removed, the block reverted; blocking again works where it was a 409", async ({
    firewall,
    ip,
    label,
    again,
    refusal,
  }) => {
    const block = await make(BLOCK, { ip, firewall_type: firewall, reason: "scanner" }, 201);
    const blockDetail = await detail(server, block.id);

    // While the rule is there, the same block is refused.
    const before = await post(server, BLOCK, again(block));
    expectProblem(
      before,
      problem("conflict", refusal(block), { holder_action_id: block.id, action_id: anyActionId(), action_status: "rejected" }),
    );

    const r = await revert(block.id, { reason: "Blocked in error, INC-4712" });
    expectAction(
      r,
      201,
      action({
        type: "unblock_ip",
        status: "succeeded",
        target: ip,
        provider: firewall,
        parameters: { ip, firewall_type: firewall, block_action_id: block.id, rule: block.provider_ref },
        reason: "Blocked in error, INC-4712",
        provider_ref: block.provider_ref,
        result: { already_absent: false },
        completed_at: anyIso(),
        reverts: block.id,
      }),
    );
    const unblock = await detail(server, r.body.id);
    expect(withoutTimeline(unblock)).toEqual(r.body);
    expect(unblock.updated_at).toBe(unblock.completed_at);
    expect(steps(unblock)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `Removed rule ${block.provider_ref} from ${label}`],
    ]);
    const after = await detail(server, block.id);
    expectReverted(blockDetail, after, unblock);
    expect(after.expires_at).toBe(block.expires_at);

    // The rule is gone: the same block is taken now.
    const now = await post(server, BLOCK, again(block));
    expect(now.status, JSON.stringify(now.body)).toBe(201);
    expect(now.body).toMatchObject({ type: "block_ip", status: "succeeded", target: ip, provider: firewall, active: true });
    if (firewall === "azure_nsg") {
      expect(now.body.result).toEqual({ rule_name: `mdr-block-${now.body.id}`, priority: block.result.priority });
    } else if (firewall === "aws_sg") {
      // The freed rule number is the lowest free one again.
      expect(now.body.result).toEqual({ network_acl_id: ACL, rule_number: block.result.rule_number, cidr: ip });
    } else {
      expect(now.body.result).toEqual({ indicator_id: now.body.provider_ref, expiration_time: now.body.expires_at });
      expect(now.body.provider_ref).not.toBe(block.provider_ref);
    }

    await expectRefused(unblock.id, reverseOnly("unblock_ip"));
    await expectRefused(block.id, `already reverted by ${unblock.id}`, { reverted_by: unblock.id });
  });

  it("a block the expiry sweep already ended: 409 naming the sweep's unblock", async () => {
    const block = await make(BLOCK, { ip: "45.95.168.0/24", firewall_type: "aws_sg", duration_hours: 0.0002 }, 201);
    const ended = await eventually(
      async () => {
        const d = await detail(server, block.id);
        return d.reverted_by ? d : undefined;
      },
      10_000,
      "the sweep to end the block",
    );
    const unblock = await detail(server, ended.reverted_by);
    expect(unblock).toMatchObject({ type: "unblock_ip", status: "succeeded", requested_by: "system", reverts: block.id });
    await expectRefused(block.id, `already reverted by ${unblock.id}`, { reverted_by: unblock.id });
  });
});

describe("revert a disable: enable_user", () => {
  it("201; the account enabled, the disable reverted; disabling again finds the account enabled", async () => {
    const bob = user("bob@contoso.com");
    const disabled = await make(DISABLE, { upn: "bob@contoso.com", reason: "impossible travel" }, 201);
    const disabledDetail = await detail(server, disabled.id);

    const r = await revert(disabled.id, { reason: "Travel confirmed, INC-4713" });
    expectAction(
      r,
      201,
      action({
        type: "enable_user",
        status: "succeeded",
        target: "bob@contoso.com",
        provider: "graph",
        parameters: { upn: "bob@contoso.com", disable_action_id: disabled.id },
        reason: "Travel confirmed, INC-4713",
        provider_ref: bob.id,
        completed_at: anyIso(),
        reverts: disabled.id,
      }),
    );
    const enable = await detail(server, r.body.id);
    expect(withoutTimeline(enable)).toEqual(r.body);
    expect(enable.updated_at).toBe(enable.completed_at);
    expect(steps(enable)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", "Account enabled (accountEnabled=true); the user signs in again with their credentials"],
    ]);
    expectReverted(disabledDetail, await detail(server, disabled.id), enable);

    // Enabled: a new disable finds the account enabled (and so can itself be undone).
    const again = await make(DISABLE, { upn: "bob@contoso.com" }, 201);
    expect(again.result).toEqual({ user_id: bob.id, was_enabled: true, sessions_revoked: true });
    expect(steps(await detail(server, again.id))[1]).toEqual(["pending", "Account disabled (accountEnabled=false)"]);
    const second = await revert(again.id);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body).toMatchObject({ type: "enable_user", status: "succeeded", reverts: again.id, reason: null });

    await expectRefused(enable.id, reverseOnly("enable_user"));
    await expectRefused(disabled.id, `already reverted by ${enable.id}`, { reverted_by: enable.id });
  });
});

describe("revert a quarantine: restore_email", () => {
  const cases = [
    { mailbox: "alice@contoso.com", act: "softDelete", folder: "recoverableitemsdeletions" },
    { mailbox: "bob@contoso.com", act: "moveToJunk", folder: "junkemail" },
  ] as const;

  it.each(cases)("$act: 201, the message moved back to the inbox by its new id; quarantining again finds it there", async ({
    mailbox,
    act,
    folder,
  }) => {
    const seeded = phishIn(mailbox);
    const q = await make(QUARANTINE, { message_id: MSG, user_principal_name: mailbox, action: act }, 201);
    const quarantined = q.result.messages[0].new_id as string;
    expect(q.result).toEqual({ messages: [{ id: seeded.id, new_id: quarantined, subject: SUBJECT }], folder });
    const qDetail = await detail(server, q.id);

    const r = await revert(q.id, {});
    expectAction(
      r,
      201,
      action({
        type: "restore_email",
        status: "succeeded",
        target: MSG,
        provider: "graph",
        parameters: { message_id: MSG, user_principal_name: mailbox, quarantine_action_id: q.id },
        provider_ref: expect.stringMatching(GRAPH_MESSAGE_ID),
        result: { messages: [{ id: quarantined, new_id: expect.stringMatching(GRAPH_MESSAGE_ID), subject: SUBJECT }] },
        completed_at: anyIso(),
        reverts: q.id,
      }),
    );
    const restored = r.body.result.messages[0].new_id as string;
    expect(r.body.provider_ref).toBe(restored);
    expect(new Set([seeded.id, quarantined, restored]).size).toBe(3);
    const restore = await detail(server, r.body.id);
    expect(withoutTimeline(restore)).toEqual(r.body);
    expect(steps(restore)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "${SUBJECT}" back to inbox`],
      ["succeeded", "Moved 1 message(s) back to inbox"],
    ]);
    expectReverted(qDetail, await detail(server, q.id), restore);

    // The id it had in quarantine no longer names it (it was moved again) ...
    const byOld = await post(server, QUARANTINE, { message_id: quarantined, user_principal_name: mailbox });
    expectProblem(
      byOld,
      problem("not-found", `[Graph] No message ${quarantined} in the mailbox of ${mailbox}`, {
        action_id: anyActionId(),
        action_status: "rejected",
      }),
    );
    // ... and the Message-ID finds it, in the inbox, under the id the restore recorded.
    const again = await make(QUARANTINE, { message_id: MSG, user_principal_name: mailbox, action: act }, 201);
    expect(again.result).toEqual({
      messages: [{ id: restored, new_id: expect.stringMatching(GRAPH_MESSAGE_ID), subject: SUBJECT }],
      folder,
    });
    expect(steps(await detail(server, again.id))).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Moved "${SUBJECT}" from inbox to ${folder}`],
      ["succeeded", `Moved 1 message(s) to ${folder}`],
    ]);

    await expectRefused(restore.id, reverseOnly("restore_email"));
    await expectRefused(q.id, `already reverted by ${restore.id}`, { reverted_by: restore.id });
  });
});

describe("what cannot be reverted: 409, nothing written", () => {
  it("a revert already running: 409 naming it; once it is done, 409 already reverted", async () => {
    const iso = await isolated("ws-0143");
    const r = await revert(iso.id);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const release = r.body;

    const count = await countActions(server);
    const busy = await revert(iso.id, { reason: "again" });
    expectProblem(
      busy,
      problem("conflict", `Action ${iso.id} is already being reverted by ${release.id}.`, { reverted_by: release.id }),
    );
    expect(await countActions(server)).toBe(count);
    expect(await detail(server, iso.id)).toEqual(iso);

    const done = await reach(release.id, "succeeded");
    expectReverted(iso, await detail(server, iso.id), done);
    await expectRefused(iso.id, `already reverted by ${release.id}`, { reverted_by: release.id });
  });

  it("a hardDelete: it cannot be undone", async () => {
    const q = await make(QUARANTINE, { message_id: MSG, user_principal_name: "carol@contoso.com", action: "hardDelete" }, 201);
    expect(q).toMatchObject({ status: "succeeded", active: true });
    await expectRefused(q.id, "a hardDelete permanently deleted the message: it cannot be undone");
  });

  it("an isolation still in progress (an offline device): wait until it has finished", async () => {
    const iso = await make(ISOLATE, { hostname: "ws-0157" }, 202);
    expect(iso).toMatchObject({ status: "in_progress", active: false, result: { machine_action_status: "Pending" } });
    await expectRefused(iso.id, "the action is still in progress; wait until it has finished", {}, { reason: "x" });
  });

  it("a rejected isolation (unknown host): nothing of it is in effect", async () => {
    const r = await post(server, ISOLATE, { hostname: "ws-9999" });
    expect(r.status).toBe(404);
    await expectRefused(r.body.action_id, "nothing of it is in effect (status rejected): there is nothing to undo");
  });

  it("a rejected block (a duplicate): nothing of it is in effect", async () => {
    const r = await post(server, BLOCK, { ip: "198.51.100.0/24", firewall_type: "aws_sg" });
    expect(r.status).toBe(409);
    await expectRefused(r.body.action_id, "nothing of it is in effect (status rejected): there is nothing to undo");
  });

  it("a disable of an account that was already disabled: enabling it would undo more than the action did", async () => {
    const d = await make(DISABLE, { upn: "former.employee@contoso.com" }, 201);
    expect(d).toMatchObject({ status: "succeeded", active: true, result: { was_enabled: false } });
    await expectRefused(
      d.id,
      "the account was already disabled before this action: enabling it would undo more than this action did",
    );
  });
});

describe("the request", () => {
  it("an unknown action id: 404, nothing written", async () => {
    const count = await countActions(server);
    for (const id of [`act_${"0".repeat(26)}`, "act_01ARZ3NDEKTSV4RRFFQ69G5FAV", `act_7${"Z".repeat(25)}`]) {
      expectProblem(await revert(id), problem("not-found", `No action ${id}.`));
      expectProblem(await revert(id, { reason: "x" }), problem("not-found", `No action ${id}.`));
    }
    expect(await countActions(server)).toBe(count);
  });

  it.each([
    ["too short", "act_123"],
    ["no prefix", "01ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["lower case", "act_01arz3ndektsv4rrffq69g5fav"],
    ["past the 48-bit time", "act_81ARZ3NDEKTSV4RRFFQ69G5FAV"],
    ["a letter outside Crockford base 32", "act_01ARZ3NDEKTSV4RRFFQ69G5FAU"],
    ["something else", "ws-0142"],
  ])("a malformed id (%s): 422 naming id, nothing written", async (_name, id) => {
    const count = await countActions(server);
    const invalid = problem("validation-failed", "id: must be an action id like act_01J...", {
      errors: [{ path: "id", message: "must be an action id like act_01J..." }],
    });
    expectProblem(await revert(id), invalid);
    // The id is read before the body.
    expectProblem(await revert(id, { reasn: "x" }), invalid);
    expect(await countActions(server)).toBe(count);
  });

  it.each([
    ["GET", 1],
    ["PUT", 2],
    ["PATCH", 3],
    ["DELETE", 4],
  ] as const)("%s: 405 with Allow: POST, nothing reverted", async (method, n) => {
    const block = await make(BLOCK, { ip: `45.95.170.${n}`, firewall_type: "aws_sg" }, 201);
    const before = await detail(server, block.id);
    const r = await call(server, revertPath(block.id), { method });
    expectProblem(r, problem("method-not-allowed", `${method} is not allowed here; use POST.`));
    expect(r.headers.get("allow")).toBe("POST");
    expect(await detail(server, block.id)).toEqual(before);
  });

  const accepted: [string, number, (id: string) => Promise<Reply>, string | null][] = [
    ["no body and no content type", 1, (id) => revert(id), null],
    ["{}", 2, (id) => revert(id, {}), null],
    ['{"reason": "x"}', 3, (id) => revert(id, { reason: "x" }), "x"],
    ["a reason with spaces around it", 4, (id) => revert(id, { reason: "  Blocked in error  " }), "Blocked in error"],
    ["a blank reason", 5, (id) => revert(id, { reason: "   " }), null],
    ["a null reason", 6, (id) => revert(id, { reason: null }), null],
    [
      "application/json; charset=utf-8",
      7,
      (id) =>
        call(server, revertPath(id), {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8" },
          body: JSON.stringify({ reason: "charset" }),
        }),
      "charset",
    ],
  ];
  it.each(accepted)("%s: 201, the reason recorded as given", async (_name, n, send, reason) => {
    const ip = `45.95.171.${n}`;
    const block = await make(BLOCK, { ip, firewall_type: "aws_sg" }, 201);
    const r = await send(block.id);
    expectAction(
      r,
      201,
      action({
        type: "unblock_ip",
        status: "succeeded",
        target: ip,
        provider: "aws_sg",
        parameters: { ip, firewall_type: "aws_sg", block_action_id: block.id, rule: block.provider_ref },
        reason,
        provider_ref: block.provider_ref,
        result: { already_absent: false },
        completed_at: anyIso(),
        reverts: block.id,
      }),
    );
    expect((await detail(server, block.id)).reverted_by).toBe(r.body.id);
  });

  describe("a body it cannot use: refused before anything is done", () => {
    let block: Json;
    beforeAll(async () => {
      block = await make(BLOCK, { ip: "45.95.172.1", firewall_type: "aws_sg" }, 201);
    });

    const json = (body: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body });
    const parseError = (text: string) => {
      try {
        JSON.parse(text);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error(`${text} is valid JSON`);
    };
    const notAnObject = problem("validation-failed", "The request body must be a JSON object.", {
      errors: [{ path: "", message: "must be a JSON object" }],
    });
    const refusals: [string, RequestInit, Record<string, unknown>][] = [
      ["an unknown field", json('{"reasn": "typo"}'), invalidBody("reasn", "is not a known field")],
      [
        "a reason and an unknown field",
        json('{"reason": "x", "dry_run": true}'),
        invalidBody("dry_run", "is not a known field"),
      ],
      ["a reason over 1000 characters", json(JSON.stringify({ reason: "x".repeat(1001) })), invalidBody("reason", "must be at most 1000 characters")],
      ["a reason that is a number", json('{"reason": 42}'), invalidBody("reason", "Invalid input: expected string, received number")],
      ["a reason with a control character", json(JSON.stringify({ reason: "a\u0007b" })), invalidBody("reason", "must not contain control characters")],
      ["a JSON array", json("[]"), notAnObject],
      ["JSON null", json("null"), notAnObject],
      ["malformed JSON", json("{"), problem("malformed-json", `The body is not valid JSON: ${parseError("{")}`)],
      ["a JSON content type with an empty body", json(""), problem("malformed-json", `The body is not valid JSON: ${parseError("")}`)],
      [
        "text/plain",
        { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" },
        problem("unsupported-media-type", 'Send the body as JSON with Content-Type: application/json (got "text/plain").'),
      ],
      [
        "a body without a content type",
        { method: "POST", body: new TextEncoder().encode('{"reason": "x"}') },
        problem("unsupported-media-type", "Send the body as JSON with Content-Type: application/json (got none)."),
      ],
      [
        "over 64 KiB",
        json(JSON.stringify({ reason: "x".repeat(64 * 1024) })),
        problem("payload-too-large", "The body is larger than 64 KiB."),
      ],
    ];
    it.each(refusals)("%s", async (_name, init, expected) => {
      const before = await detail(server, block.id);
      const count = await countActions(server);
      expectProblem(await call(server, revertPath(block.id), init), expected);
      expect(await detail(server, block.id)).toEqual(before);
      expect(await countActions(server)).toBe(count);
    });

    it("after all of them the block is still revertible", async () => {
      const r = await revert(block.id);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body).toMatchObject({ type: "unblock_ip", reverts: block.id });
    });
  });
});

describe("two reverts at once", () => {
  /** The reverse actions recorded for `id`. */
  const reversesOf = async (id: string) => (await allActions(server)).filter((a: Json) => a.reverts === id);

  it("of an isolation: one release (202), one 409 naming it", async () => {
    const iso = await isolated("laptop-jdoe");
    const replies = await Promise.all([revert(iso.id), revert(iso.id, { reason: "second" })]);
    const won = replies.find((r) => r.status === 202);
    const lost = replies.find((r) => r.status !== 202);
    expect(replies.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(won!.body).toMatchObject({ type: "release_endpoint", status: "in_progress", reverts: iso.id });
    expectProblem(
      lost!,
      problem("conflict", `Action ${iso.id} is already being reverted by ${won!.body.id}.`, { reverted_by: won!.body.id }),
    );
    expect((await reversesOf(iso.id)).map((a: Json) => a.id)).toEqual([won!.body.id]);
    const done = await reach(won!.body.id, "succeeded");
    expectReverted(iso, await detail(server, iso.id), done);
  });

  it.each([
    { name: "a disable", make: () => make(DISABLE, { upn: "dave@contoso.com" }, 201), type: "enable_user" },
    { name: "a block", make: () => make(BLOCK, { ip: "45.95.173.0/24", firewall_type: "aws_sg" }, 201), type: "unblock_ip" },
    {
      name: "a quarantine",
      make: () => make(QUARANTINE, { message_id: DAVE_INVOICE, user_principal_name: "dave@contoso.com" }, 201),
      type: "restore_email",
    },
  ])("of $name: one $type (201), one 409 naming it", async ({ make: doIt, type }) => {
    const original = await doIt();
    const before = await detail(server, original.id);
    const replies = await Promise.all([revert(original.id), revert(original.id, {})]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
    const won = replies.find((r) => r.status === 201)!;
    const lost = replies.find((r) => r.status === 409)!;
    expect(won.body).toMatchObject({ type, status: "succeeded", reverts: original.id });
    // The first finished within its request: the second finds the action reverted.
    expectProblem(
      lost,
      problem("conflict", `Action ${original.id} cannot be reverted: already reverted by ${won.body.id}.`, {
        reverted_by: won.body.id,
      }),
    );
    expect((await reversesOf(original.id)).map((a: Json) => a.id)).toEqual([won.body.id]);
    expectReverted(before, await detail(server, original.id), await detail(server, won.body.id));
  });
});

describe("metrics: contained_now after reverts", () => {
  let metricsServer: TestServer;
  beforeAll(async () => {
    metricsServer = await startServer({ MDR_SIM_STEP_MS: String(STEP_MS) }, "revert-metrics");
  });
  afterAll(async () => {
    await metricsServer?.stop();
  });

  async function metrics(): Promise<Json> {
    const r = await get(metricsServer, "/api/v1/mdr/metrics");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  }
  const types = (counts: Record<string, number>) => ({
    isolate_endpoint: 0,
    release_endpoint: 0,
    block_ip: 0,
    unblock_ip: 0,
    change_expiry: 0,
    disable_user: 0,
    enable_user: 0,
    quarantine_email: 0,
    restore_email: 0,
    ...counts,
  });

  it("each revert takes its target out of what is contained; the reverse actions are counted as actions", async () => {
    const s = metricsServer;
    const iso = await isolated("srv-web-01", s);
    const blocks = [
      await make(BLOCK, { ip: "185.220.101.50" }, 201, s),
      await make(BLOCK, { ip: "194.26.192.0/24", firewall_type: "aws_sg" }, 201, s),
    ];
    const users = [
      await make(DISABLE, { upn: "alice@contoso.com" }, 201, s),
      await make(DISABLE, { upn: "carol@contoso.com" }, 201, s),
    ];
    let m = await metrics();
    expect(m.contained_now).toEqual({ isolated_endpoints: 1, active_ip_blocks: 2, disabled_users: 2 });
    expect(m.by_type).toEqual(types({ isolate_endpoint: 1, block_ip: 2, disable_user: 2 }));

    const release = await revert(iso.id, undefined, s);
    expect(release.status, JSON.stringify(release.body)).toBe(202);
    // Still isolated until Defender has released it.
    expect((await metrics()).contained_now).toEqual({ isolated_endpoints: 1, active_ip_blocks: 2, disabled_users: 2 });
    await reach(release.body.id, "succeeded", s);
    expect((await revert(blocks[0].id, undefined, s)).status).toBe(201);
    expect((await revert(users[0].id, undefined, s)).status).toBe(201);
    m = await metrics();
    expect(m.contained_now).toEqual({ isolated_endpoints: 0, active_ip_blocks: 1, disabled_users: 1 });
    expect(m.by_type).toEqual(
      types({ isolate_endpoint: 1, release_endpoint: 1, block_ip: 2, unblock_ip: 1, disable_user: 2, enable_user: 1 }),
    );
    expect(m.by_status).toEqual({ queued: 0, pending: 0, in_progress: 0, succeeded: 8, failed: 0, rejected: 0 });

    expect((await revert(blocks[1].id, undefined, s)).status).toBe(201);
    expect((await revert(users[1].id, undefined, s)).status).toBe(201);
    m = await metrics();
    expect(m.contained_now).toEqual({ isolated_endpoints: 0, active_ip_blocks: 0, disabled_users: 0 });
    expect(m.total).toBe(10);
  });
});

describe("a provider failing on the reverse call (MDR_SIM_FAULTS)", () => {
  let faulty: TestServer;
  beforeAll(async () => {
    faulty = await startServer(
      { MDR_SIM_FAULTS: "aws.block=503,graph.enableUser=503,azure_nsg.unblock=503" },
      "revert-faults",
    );
  });
  afterAll(async () => {
    await faulty?.stop();
  });

  /** A failed reverse call: the whole problem, the failed reverse row; the original as it was. */
  async function expectFailedRevert(original: Json, type: string, message: string, parameters: Record<string, unknown>) {
    const before = await detail(faulty, original.id);
    const r = await revert(original.id, { reason: "undo" }, faulty);
    expectProblem(r, problem("provider-unavailable", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(faulty, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      action({
        id: r.body.action_id,
        type,
        status: "failed",
        target: original.target,
        provider: original.provider,
        parameters,
        reason: "undo",
        error: message,
        completed_at: d.updated_at,
        reverts: original.id,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    // Still in effect, not reverted, its timeline untouched.
    expect(await detail(faulty, original.id)).toEqual(before);
    return d;
  }

  it("enable_user fails: 503 with the action id, the disable still active; a second attempt is not blocked by the failed one", async () => {
    const disabled = await make(DISABLE, { upn: "alice@contoso.com" }, 201, faulty);
    const message = "[Graph] 503 Service Unavailable (simulated fault on graph.enableUser)";
    const parameters = { upn: "alice@contoso.com", disable_action_id: disabled.id };
    const first = await expectFailedRevert(disabled, "enable_user", message, parameters);
    const second = await expectFailedRevert(disabled, "enable_user", message, parameters);
    expect(second.id > first.id).toBe(true);
    const m = await get(faulty, "/api/v1/mdr/metrics");
    expect(m.body.contained_now.disabled_users).toBe(1);
  });

  it("unblock_ip fails on the NSG: 503, the block still active", async () => {
    const block = await make(BLOCK, { ip: "45.155.205.0/24", firewall_type: "azure_nsg" }, 201, faulty);
    await expectFailedRevert(block, "unblock_ip", "[Azure NSG] 503 Service Unavailable (simulated fault on azure_nsg.unblock)", {
      ip: "45.155.205.0/24",
      firewall_type: "azure_nsg",
      block_action_id: block.id,
      rule: `mdr-block-${block.id}`,
    });
  });

  it("a block that failed: nothing of it is in effect, 409", async () => {
    const r = await post(faulty, BLOCK, { ip: "194.26.192.0/24", firewall_type: "aws_sg" });
    expect(r.status).toBe(503);
    const id = r.body.action_id;
    const before = await detail(faulty, id);
    expect(before).toMatchObject({ status: "failed", active: false });
    expectProblem(
      await revert(id, undefined, faulty),
      problem("conflict", `Action ${id} cannot be reverted: nothing of it is in effect (status failed): there is nothing to undo.`),
    );
    expect(await detail(faulty, id)).toEqual(before);
  });
});

describe("a disable that failed part way (MDR_SIM_FAULTS=graph.revokeSessions=503)", () => {
  let partialServer: TestServer;
  beforeAll(async () => {
    partialServer = await startServer({ MDR_SIM_FAULTS: "graph.revokeSessions=503" }, "revert-partial");
  });
  afterAll(async () => {
    await partialServer?.stop();
  });

  it("is failed but active, so it can be undone: the account enabled, the disable stays failed and says it was reverted", async () => {
    const s = partialServer;
    const jdoe = user("jdoe@contoso.com");
    const r = await post(s, DISABLE, { upn: "jdoe@contoso.com" });
    expect(r.status).toBe(503);
    const partial = await detail(s, r.body.action_id);
    expect(partial).toMatchObject({ status: "failed", active: true, result: { user_id: jdoe.id, was_enabled: true } });

    const e = await revert(partial.id, { reason: "sessions revoked by hand" }, s);
    expectAction(
      e,
      201,
      action({
        type: "enable_user",
        status: "succeeded",
        target: "jdoe@contoso.com",
        provider: "graph",
        parameters: { upn: "jdoe@contoso.com", disable_action_id: partial.id },
        reason: "sessions revoked by hand",
        provider_ref: jdoe.id,
        completed_at: anyIso(),
        reverts: partial.id,
      }),
    );
    const after = await detail(s, partial.id);
    expectReverted(partial, after, await detail(s, e.body.id));
    expect(steps(after)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", "Account disabled (accountEnabled=false)"],
      ["failed", partial.error],
      ["failed", `Reverted by ${e.body.id}`],
    ]);
    // Enabled: disabling again finds the account enabled.
    const again = await make(DISABLE, { upn: "jdoe@contoso.com", revoke_sessions: false }, 201, s);
    expect(again.result).toEqual({ user_id: jdoe.id, was_enabled: true });
  });
});
