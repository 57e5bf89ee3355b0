// The simulated Graph's batch forms, which stand in for the live ones in a simulation: one turn of
// the rate gate per 20 operations (one JSON batch request), one outcome per item in order, each as
// the single call would give it; an injected answer is each operation's, a refusal by our own gate
// the whole call's.
import { describe, expect, it } from "vitest";
import { CallGate, type Ticket } from "@/lib/mdr/providers/gate";
import { createSimulatedProviders, SIM_TENANT_ID } from "@/lib/mdr/providers/simulation";
import { SIM_MAILBOXES, SIM_USERS } from "@/lib/mdr/providers/simulation/seed";
import { ProviderError, type Service } from "@/lib/mdr/providers/types";

const T = SIM_TENANT_ID;

/** A gate with no limits that records each call it lets through. */
class CountingGate extends CallGate {
  readonly calls: string[] = [];
  constructor() {
    super({ limits: {}, maxQueueWaitMs: 0, breakerThreshold: 0, breakerCooldownMs: 0 });
  }
  override enter(service: Service, tenantId: string, lane?: string): Promise<Ticket> {
    this.calls.push(service);
    return super.enter(service, tenantId, lane);
  }
}

function setup(faults = "") {
  const gate = new CountingGate();
  const p = createSimulatedProviders({
    failureRate: 0,
    faults,
    stepMs: 1000,
    nsgPriorityRange: { min: 100, max: 199 },
    naclRuleRange: { min: 1, max: 99 },
    random: () => 0.5,
    gate,
  });
  return { p, gate };
}

const enabled = SIM_USERS.filter((u) => u.accountEnabled).map((u) => u.userPrincipalName);

describe("simulated Graph: identity batch forms", () => {
  it("reads, disables and revokes many users, one gate turn per 20, an unknown UPN its own 404 in its place", async () => {
    const { p, gate } = setup();
    const upns = [...enabled.slice(0, 3), "ghost@contoso.com", ...enabled.slice(3, 5)];
    const read = await p.identity.getUsers!(T, upns);
    expect(read.map((r) => (r.ok ? r.value.userPrincipalName : r.error.kind))).toEqual([...enabled.slice(0, 3), "not_found", ...enabled.slice(3, 5)]);
    expect(read[3]).toEqual({ ok: false, error: expect.any(ProviderError) });
    expect((read[3] as { error: ProviderError }).error.message).toBe(
      "[Graph] Request_ResourceNotFound: Resource 'ghost@contoso.com' does not exist or one of its queried reference-property objects are not present.",
    );
    expect(gate.calls).toEqual(["graph"]);
    const set = await p.identity.setAccountEnabledMany!(T, enabled.slice(0, 5), false);
    expect(set).toEqual(Array(5).fill({ ok: true, value: undefined }));
    for (const u of enabled.slice(0, 5)) expect((await p.identity.getUser(T, u)).accountEnabled).toBe(false);
    gate.calls.length = 0;
    const many = Array.from({ length: 45 }, (_, i) => enabled[i % enabled.length]!);
    await p.identity.revokeSignInSessionsMany!(T, many);
    expect(gate.calls).toEqual(["graph", "graph", "graph"]);
  });

  it("an injected answer (graph.disableUser=403) is each operation's outcome, nothing changed", async () => {
    const { p } = setup("graph.disableUser=403");
    const set = await p.identity.setAccountEnabledMany!(T, enabled.slice(0, 2), false);
    expect(set.map((o) => !o.ok && [o.error.kind, o.error.httpStatus])).toEqual([["permission", 403], ["permission", 403]]);
    expect((await p.identity.getUser(T, enabled[0]!)).accountEnabled).toBe(true);
  });

  it("a refusal by our own rate gate (nothing sent) throws for the whole call, so a queued bulk waits rather than fails", async () => {
    const gate = new CallGate({ limits: { graph: [{ limit: 1, windowMs: 60_000 }] }, maxQueueWaitMs: 0, breakerThreshold: 0, breakerCooldownMs: 0 });
    const p = createSimulatedProviders({ failureRate: 0, faults: "", stepMs: 1000, nsgPriorityRange: { min: 100, max: 199 }, naclRuleRange: { min: 1, max: 99 }, random: () => 0.5, gate });
    await p.identity.getUsers!(T, enabled.slice(0, 1));
    const err = await p.identity.setAccountEnabledMany!(T, enabled.slice(0, 1), false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "throttled", local: true });
  });
});

describe("simulated Graph: mail batch forms", () => {
  it("finds one message in several mailboxes, moves and deletes copies, one outcome each", async () => {
    const { p, gate } = setup();
    const boxes = Object.keys(SIM_MAILBOXES).slice(0, 3);
    const first = Object.fromEntries(boxes.map((b) => [b, SIM_MAILBOXES[b]![0]!]));
    const found = await p.mail.findMessagesMany!(T, [
      ...boxes.map((mailbox) => ({ mailbox, messageId: first[mailbox]!.internetMessageId })),
      { mailbox: "ghost@contoso.com", messageId: "<x@y.example>" },
      { mailbox: boxes[0]!, messageId: "<not-there@y.example>" },
    ]);
    expect(found.slice(0, 3).map((f) => f.ok && f.value.map((m) => m.id))).toEqual(boxes.map((b) => [first[b]!.id]));
    expect(found[3]).toMatchObject({ ok: false, error: { kind: "not_found", httpStatus: 404 } });
    expect(found[4]).toEqual({ ok: true, value: [] });
    const moved = await p.mail.moveMany!(T, [
      { mailbox: boxes[0]!, id: first[boxes[0]!]!.id, destination: "junkemail" },
      { mailbox: boxes[1]!, id: "AAMkADnot-a-message-id-at-all==", destination: "junkemail" },
    ]);
    expect(moved[0]).toMatchObject({ ok: true, value: { parentFolderId: "junkemail", subject: first[boxes[0]!]!.subject } });
    expect(moved[1]).toMatchObject({ ok: false, error: { kind: "not_found" } });
    const deleted = await p.mail.permanentDeleteMany!(T, [{ mailbox: boxes[2]!, id: first[boxes[2]!]!.id }]);
    expect(deleted).toEqual([{ ok: true, value: undefined }]);
    expect(await p.mail.findMessages(T, boxes[2]!, first[boxes[2]!]!.internetMessageId)).toEqual([]);
    expect(gate.calls).toEqual(["graph", "graph", "graph", "graph"]);
  });
});
