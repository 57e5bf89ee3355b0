// Isolation through the live Defender for Endpoint adapter, against the emulator: how a hostname
// is resolved (the exact OData query received), the isolate call, the machine action mirrored onto
// the row by the background poller, and the refusals (ambiguous, unknown, already in progress).
import { describe, expect, it } from "vitest";
import { CLIENT_A, exampleSeed, TENANT_A } from "../emulator/fixtures";
import { eventually } from "../support/server";
import {
  GUID,
  anyActionId,
  anyIso,
  detail,
  expectAction,
  expectProblem,
  invalidBody,
  post,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { AUDIENCE, apiCalls, bearer, expectIsolationSucceeded, liveAction, liveSetup, mark, since } from "./live";

const seed = exampleSeed();
seed.tenants[0]!.devices!.push(
  // Two devices whose first label is the same: a short name cannot say which.
  { computerDnsName: "dup-host.contoso.com", lastSeen: "2026-03-02T10:00:00Z" },
  { computerDnsName: "dup-host.lab.contoso.com", lastSeen: "2026-02-01T09:30:00Z" },
  { computerDnsName: "ws-fail.contoso.com", failActions: true },
  { computerDnsName: "ws-stuck.contoso.com", offline: true },
  { computerDnsName: "kiosk-07.contoso.com", osPlatform: "Linux" },
  { computerDnsName: "ws-gone.contoso.com", offline: true },
);

// Machine actions move one step per GET of the action (Pending -> InProgress -> Succeeded),
// so every step is seen by exactly one poll of the background poller.
const live = liveSetup({
  name: "live-isolate",
  emulator: { ...seed, defender: { actionProgress: { mode: "polls", pollsPerStep: 1 } } },
});

const ISOLATE = "/api/v1/mdr/isolate";

async function settled(id: string): Promise<Record<string, unknown> & { timeline: { at: string; status: string; message: string }[] }> {
  const { server } = live();
  return eventually(
    async () => {
      const d = await detail(server, id);
      return d.status === "succeeded" || d.status === "failed" ? d : undefined;
    },
    10_000,
    `action ${id} to settle`,
  );
}

describe("live isolate: resolving the device", () => {
  it("a short name: exact computerDnsName filter, then startswith 'name.'; POST isolate with the comment; poller mirrors Pending -> InProgress -> Succeeded", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "WS-0142", reason: "C2 beacon to 185.220.101.34" });
    expectAction(
      r,
      202,
      liveAction({
        type: "isolate_endpoint",
        status: "in_progress",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        reason: "C2 beacon to 185.220.101.34",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com", machine_action_status: "Pending" },
      }),
    );
    const { id, provider_ref: ref } = r.body;
    const comment = `MDR ${id} by token:tests: C2 beacon to 185.220.101.34`;

    expect(apiCalls(emu, from, { path: "/api/machines" })).toEqual([
      { method: "GET", path: "/api/machines", query: { $filter: "computerDnsName eq 'ws-0142'" }, body: undefined, status: 200 },
      {
        method: "GET",
        path: "/api/machines",
        query: { $filter: "startswith(computerDnsName,'ws-0142.')" },
        body: undefined,
        status: 200,
      },
      { method: "POST", path: `/api/machines/${ws.id}/isolate`, query: {}, body: { Comment: comment, IsolationType: "Full" }, status: 201 },
    ]);
    // The MachineAction Defender made is the one the row refers to, with our comment.
    const created = since(emu, from, { method: "POST", path: "/isolate" })[0]!;
    expect(created.responseBody).toMatchObject({ id: ref, type: "Isolate", status: "Pending", machineId: ws.id, requestorComment: comment });
    expect(emu.tenant(TENANT_A).machineActions.get(ref)).toMatchObject({ requestor: CLIENT_A.clientId, scope: "Full" });

    const done = await settled(id);
    expectIsolationSucceeded(done, r.body, { id: ws.id, dnsName: "ws-0142.contoso.com" }, ref);
    // One poll per step, then no more: the row is final.
    const polls = since(emu, from, { path: `/api/machineactions/${ref}` });
    expect(polls.map((p) => [p.method, p.status, (p.responseBody as { status: string }).status])).toEqual([
      ["GET", 200, "InProgress"],
      ["GET", 200, "Succeeded"],
    ]);
    expect(emu.device(TENANT_A, ws.id).isolated).toBe(true);
    for (const req of since(emu, from, { service: "defender" })) expect(req.auth).toEqual(bearer(AUDIENCE.defender));
  });

  it("a fully qualified name: the exact filter only; Selective passed through", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-0143.contoso.com.", isolation_type: "Selective" });
    expectAction(
      r,
      202,
      liveAction({
        type: "isolate_endpoint",
        status: "in_progress",
        target: "ws-0143.contoso.com",
        provider: "defender",
        parameters: { hostname: "ws-0143.contoso.com", machine_id: null, isolation_type: "Selective" },
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: "ws-0143.contoso.com", machine_action_status: "Pending" },
      }),
    );
    expect(apiCalls(emu, from, { path: "/api/machines" })).toEqual([
      {
        method: "GET",
        path: "/api/machines",
        query: { $filter: "computerDnsName eq 'ws-0143.contoso.com'" },
        body: undefined,
        status: 200,
      },
      {
        method: "POST",
        path: `/api/machines/${ws.id}/isolate`,
        query: {},
        body: { Comment: `MDR ${r.body.id} by token:tests: no reason given`, IsolationType: "Selective" },
        status: 201,
      },
    ]);
    expect((await settled(r.body.id)).status).toBe("succeeded");
    expect(emu.tenant(TENANT_A).machineActions.get(r.body.provider_ref)?.scope).toBe("Selective");
  });

  it("by machine_id: GET /api/machines/{id}; UnManagedDevice passed through", async () => {
    const { emu, server } = live();
    const kiosk = emu.device(TENANT_A, "kiosk-07.contoso.com");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { machine_id: kiosk.id.toUpperCase(), isolation_type: "UnManagedDevice", reason: "rogue" });
    expectAction(
      r,
      202,
      liveAction({
        type: "isolate_endpoint",
        status: "in_progress",
        target: kiosk.id,
        provider: "defender",
        parameters: { hostname: null, machine_id: kiosk.id, isolation_type: "UnManagedDevice" },
        reason: "rogue",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: kiosk.id, computer_dns_name: "kiosk-07.contoso.com", machine_action_status: "Pending" },
      }),
    );
    expect(apiCalls(emu, from, { path: "/api/machines" })).toEqual([
      { method: "GET", path: `/api/machines/${kiosk.id}`, query: {}, body: undefined, status: 200 },
      {
        method: "POST",
        path: `/api/machines/${kiosk.id}/isolate`,
        query: {},
        body: { Comment: `MDR ${r.body.id} by token:tests: rogue`, IsolationType: "UnManagedDevice" },
        status: 201,
      },
    ]);
    expect((await settled(r.body.id)).status).toBe("succeeded");
  });

  it("a short name matching two devices: 409 with both candidates, nothing isolated, recorded rejected", async () => {
    const { emu, server } = live();
    const a = emu.device(TENANT_A, "dup-host.contoso.com");
    const b = emu.device(TENANT_A, "dup-host.lab.contoso.com");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "dup-host" });
    const message = "dup-host matches 2 devices; nothing was isolated. Choose one and send its machine_id.";
    expectProblem(
      r,
      problem("ambiguous-target", message, {
        action_id: anyActionId(),
        action_status: "rejected",
        candidates: [
          { id: a.id, name: "dup-host.contoso.com", last_seen: "2026-03-02T10:00:00Z" },
          { id: b.id, name: "dup-host.lab.contoso.com", last_seen: "2026-02-01T09:30:00Z" },
        ],
      }),
    );
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "isolate_endpoint",
        status: "rejected",
        target: "dup-host",
        provider: "defender",
        parameters: { hostname: "dup-host", machine_id: null, isolation_type: "Full" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["rejected", message],
    ]);
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.query.$filter])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'dup-host'"],
      ["GET", "/api/machines", "startswith(computerDnsName,'dup-host.')"],
    ]);
    expect([a.isolated, b.isolated]).toEqual([false, false]);
  });

  it.each([
    {
      name: "an unknown short name",
      body: { hostname: "ghost-pc" },
      detail: "[Defender] No device named ghost-pc is known to Defender for Endpoint",
      parameters: { hostname: "ghost-pc", machine_id: null, isolation_type: "Full" },
      target: "ghost-pc",
      calls: [
        ["GET", "/api/machines", "computerDnsName eq 'ghost-pc'", 200],
        ["GET", "/api/machines", "startswith(computerDnsName,'ghost-pc.')", 200],
      ],
    },
    {
      name: "an unknown fully qualified name",
      body: { hostname: "ghost-pc.contoso.com" },
      detail: "[Defender] No device named ghost-pc.contoso.com is known to Defender for Endpoint",
      parameters: { hostname: "ghost-pc.contoso.com", machine_id: null, isolation_type: "Full" },
      target: "ghost-pc.contoso.com",
      calls: [["GET", "/api/machines", "computerDnsName eq 'ghost-pc.contoso.com'", 200]],
    },
    {
      name: "an unknown machine_id",
      body: { machine_id: "ab".repeat(20) },
      detail: `[Defender] 404 ResourceNotFound on GET /api/machines/${"ab".repeat(20)}: Machine ${"ab".repeat(20)} was not found`,
      parameters: { hostname: null, machine_id: "ab".repeat(20), isolation_type: "Full" },
      target: "ab".repeat(20),
      calls: [["GET", `/api/machines/${"ab".repeat(20)}`, undefined, 404]],
    },
  ])("$name: 404, recorded rejected, nothing isolated", async ({ body, detail: message, parameters, target, calls }) => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, ISOLATE, body);
    expectProblem(r, problem("not-found", message, { action_id: anyActionId(), action_status: "rejected" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "isolate_endpoint",
        status: "rejected",
        target,
        provider: "defender",
        parameters,
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["rejected", message],
    ]);
    expect(apiCalls(emu, from).map((c) => [c.method, c.path, c.query.$filter, c.status])).toEqual(calls);
  });

  it("a hostname with a quote never reaches Defender: the schema refuses it (422, no row)", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "o'brien-pc" });
    expectProblem(r, invalidBody("hostname", "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63"));
    expect(apiCalls(emu, from)).toEqual([]);
  });
});

describe("live isolate: the machine action's end", () => {
  it("Failed: the row ends failed with the status in the timeline, not active", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-fail.contoso.com");
    const r = await post(server, ISOLATE, { hostname: "ws-fail.contoso.com" });
    expect(r.status).toBe(202);
    const ref = r.body.provider_ref as string;
    const done = await settled(r.body.id);
    expect(withoutTimeline(done)).toEqual({
      ...r.body,
      status: "failed",
      result: { machine_id: ws.id, computer_dns_name: "ws-fail.contoso.com", machine_action_status: "Failed" },
      error: `[Defender] machine action ${ref} ended Failed`,
      active: false,
      updated_at: done.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-fail.contoso.com)`],
      ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
      ["in_progress", "Defender: machine action is InProgress"],
      ["failed", "Defender: machine action ended Failed"],
    ]);
    expect(ws.isolated).toBe(false);
  });

  it("TimeOut: a device that never picks the action up stays in progress, then the row ends failed", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-stuck.contoso.com");
    const from = mark(emu);
    const r = await post(server, ISOLATE, { hostname: "ws-stuck" });
    expect(r.status).toBe(202);
    const ref = r.body.provider_ref as string;
    // Polled, still Pending: nothing changes on the row.
    await eventually(async () => (since(emu, from, { path: `/api/machineactions/${ref}` }).length >= 2 ? true : undefined), 5000, "two polls");
    const waiting = await detail(server, r.body.id);
    expect(withoutTimeline(waiting)).toEqual(r.body);
    expect(steps(waiting)).toHaveLength(3);

    emu.setMachineActionStatus(ref, "TimeOut");
    const done = await settled(r.body.id);
    expect(withoutTimeline(done)).toEqual({
      ...r.body,
      status: "failed",
      result: { machine_id: ws.id, computer_dns_name: "ws-stuck.contoso.com", machine_action_status: "TimeOut" },
      error: `[Defender] machine action ${ref} ended TimeOut`,
      updated_at: done.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-stuck.contoso.com)`],
      ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
      ["failed", "Defender: machine action ended TimeOut"],
    ]);
  });

  it("a machine action Defender no longer knows (404 on the poll): the row ends failed saying so", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-gone.contoso.com");
    const r = await post(server, ISOLATE, { hostname: "ws-gone.contoso.com" });
    expect(r.status).toBe(202);
    const ref = r.body.provider_ref as string;
    emu.tenant(TENANT_A).machineActions.delete(ref);
    const done = await settled(r.body.id);
    expect(withoutTimeline(done)).toEqual({
      ...r.body,
      status: "failed",
      error: `[Defender] 404 ResourceNotFound on GET /api/machineactions/${ref}: MachineAction ${ref} was not found`,
      updated_at: done.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Resolved to device ${ws.id} (ws-gone.contoso.com)`],
      ["in_progress", `Defender accepted the isolation: machine action ${ref} is Pending`],
      ["failed", `Defender has no record of machine action ${ref}`],
    ]);
  });

  it("an isolation pending at Defender that is not in the audit log: Defender's 400 ActiveRequestAlreadyExists is a 409, recorded rejected", async () => {
    const { emu, server } = live();
    const laptop = emu.device(TENANT_A, "laptop-offline.contoso.com");
    // Sent from the portal, so the audit log holds nothing for the device.
    const now = new Date().toISOString();
    emu.tenant(TENANT_A).machineActions.set("0a1b2c3d-0000-4000-8000-000000000001", {
      id: "0a1b2c3d-0000-4000-8000-000000000001",
      tenantId: TENANT_A,
      type: "Isolate",
      scope: "Full",
      status: "Pending",
      machineId: laptop.id,
      computerDnsName: laptop.computerDnsName,
      requestor: "analyst@contoso.com",
      requestorComment: "from the portal",
      creationDateTimeUtc: now,
      lastUpdateDateTimeUtc: now,
      polls: 0,
    });
    const from = mark(emu);
    const second = await post(server, ISOLATE, { hostname: "laptop-offline" });
    const message = `[Defender] 400 ActiveRequestAlreadyExists on POST /api/machines/${laptop.id}/isolate: Action is already in progress`;
    expectProblem(second, problem("conflict", message, { action_id: anyActionId(), action_status: "rejected" }));
    const d = await detail(server, second.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: second.body.action_id,
        type: "isolate_endpoint",
        status: "rejected",
        target: "laptop-offline",
        provider: "defender",
        parameters: { hostname: "laptop-offline", machine_id: null, isolation_type: "Full" },
        result: { machine_id: laptop.id, computer_dns_name: "laptop-offline.contoso.com" },
        error: message,
        completed_at: d.updated_at,
      }),
    );
    // One POST: a 400 is an answer, not a failure to retry.
    expect(since(emu, from, { method: "POST", path: "/isolate" }).map((c) => c.status)).toEqual([400]);
  });

  it("a second isolation of a device the audit log holds: 409 naming the holder, nothing sent", async () => {
    const { emu, server } = live();
    const first = await post(server, ISOLATE, { hostname: "srv-db01" });
    expect(first.status).toBe(202);
    const from = mark(emu);
    const second = await post(server, ISOLATE, { hostname: "srv-db01" });
    const held = `srv-db01 is already being isolated by ${first.body.id} (in progress); nothing was sent to Defender`;
    expectProblem(
      second,
      problem("conflict", held, { holder_action_id: first.body.id, action_id: anyActionId(), action_status: "rejected" }),
    );
    expect(since(emu, from).filter((r) => r.service !== "entra")).toEqual([]);
  });
});
