// The simulated Defender's batch forms, which stand in for the live ones in a simulation: many
// indicators in one call (in the gate's batch lane), one outcome per request as `block` would
// give it, and many hostnames resolved in one call, each as findMachines resolves it.
import { describe, expect, it } from "vitest";
import { CallGate, type Ticket } from "@/lib/mdr/providers/gate";
import { createSimulatedProviders, SIM_TENANT_ID } from "@/lib/mdr/providers/simulation";
import { type BlockRequest, ProviderError, type Service } from "@/lib/mdr/providers/types";

const T = SIM_TENANT_ID;

/** A gate with no limits that records each call it lets through, with its lane. */
class CountingGate extends CallGate {
  readonly calls: string[] = [];
  constructor() {
    super({ limits: {}, maxQueueWaitMs: 0, breakerThreshold: 0, breakerCooldownMs: 0 });
  }
  override enter(service: Service, tenantId: string, lane?: string): Promise<Ticket> {
    this.calls.push(lane ? `${service}/${lane}` : service);
    return super.enter(service, tenantId, lane);
  }
}

function setup() {
  const gate = new CountingGate();
  const p = createSimulatedProviders({
    failureRate: 0,
    faults: "",
    stepMs: 1000,
    nsgPriorityRange: { min: 100, max: 199 },
    naclRuleRange: { min: 1, max: 99 },
    random: () => 0.5,
    gate,
  });
  return { p, gate, defender: p.firewalls.defender };
}

// Public addresses: the simulated Defender, like the real one, refuses reserved ranges (documentation ones too).
const ip = (n: number) => `185.220.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`;
const request = (n: number, address = ip(n), planned?: BlockRequest["planned"]): BlockRequest => ({
  actionId: `act_${String(n).padStart(4, "0")}`,
  address,
  expiresAt: new Date("2030-01-01T00:00:00.000Z"),
  description: `MDR block act_${String(n).padStart(4, "0")}`,
  planned,
});

describe("simulated Defender indicators: blockMany / unblockMany", () => {
  it("blocks 500 addresses in one call of the batch lane, each told planned first; each found again by findBlock", async () => {
    const { gate, defender } = setup();
    const planned: string[] = [];
    const requests = Array.from({ length: 500 }, (_, n) => request(n, ip(n), (d) => planned.push(String(d.indicator_title))));
    const outcomes = await defender.blockMany!(T, requests);
    expect(gate.calls).toEqual(["defender/batch"]);
    expect(defender.batchSize).toBe(500);
    expect(outcomes).toHaveLength(500);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(planned).toEqual(requests.map((r) => r.description));
    const first = outcomes[0]!;
    expect(first).toEqual({ ok: true, value: { ref: expect.any(String), details: { indicator_id: expect.any(String), expiration_time: "2030-01-01T00:00:00.000Z" } } });
    const refs = outcomes.map((o) => (o.ok ? o.value.ref : ""));
    expect(new Set(refs).size).toBe(500);
    expect(await defender.findBlock(T, requests[499]!.actionId, requests[499]!.address, null)).toEqual((outcomes[499] as { value: unknown }).value);
  });

  it("each request has its own outcome: an address already blocked, one given twice, a private one fail alone", async () => {
    const { defender } = setup();
    const held = await defender.block(T, request(0));
    const outcomes = await defender.blockMany!(T, [request(1, ip(0)), request(2), request(3, ip(2)), request(4, "10.0.0.1"), request(5)]);
    const summary = outcomes.map((o) => (o.ok ? "ok" : `${o.error.kind} ${o.error.httpStatus}: ${o.error.message}`));
    expect(summary).toEqual([
      `conflict 409: [Defender] An active IpAddress indicator for '${ip(0)}' already exists (id ${held.ref})`,
      "ok",
      `conflict 409: [Defender] An active IpAddress indicator for '${ip(2)}' already exists (id ${(outcomes[1] as { value: { ref: string } }).value.ref})`,
      "bad_request 400: [Defender] IndicatorValue '10.0.0.1' is not a public address (private); only public IPs can be blocked",
      "ok",
    ]);
  });

  it("unblockMany removes each in one call of the batch lane; one already gone is alreadyAbsent", async () => {
    const { gate, defender } = setup();
    const outcomes = await defender.blockMany!(T, [request(0), request(1), request(2)]);
    const refs = outcomes.map((o) => (o.ok ? o.value.ref : ""));
    await defender.unblock(T, refs[1]!, ip(1));
    gate.calls.length = 0;
    const undone = await defender.unblockMany!(T, refs.map((ref, n) => ({ ref, address: ip(n) })));
    expect(gate.calls).toEqual(["defender/batch"]);
    expect(undone).toEqual([
      { ok: true, value: { alreadyAbsent: false } },
      { ok: true, value: { alreadyAbsent: true } },
      { ok: true, value: { alreadyAbsent: false } },
    ]);
    expect(await defender.findBlock(T, "act_0000", ip(0), null)).toBeNull();
    // The addresses are free again.
    expect((await defender.blockMany!(T, [request(6, ip(0))]))[0]?.ok).toBe(true);
  });

  it("more than 500 is refused whole, before any call", async () => {
    const { gate, defender } = setup();
    const err = await defender.blockMany!(T, Array.from({ length: 501 }, (_, n) => request(n))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).message).toBe("[Defender] an import takes at most 500 indicators, not 501");
    expect(gate.calls).toEqual([]);
  });
});

describe("simulated Defender endpoint: findMachinesByNames", () => {
  it("resolves many hostnames in one call, each exactly as findMachines resolves it", async () => {
    const { p, gate } = setup();
    const names = ["ws-0142.corp.contoso.com", "WS-0143", "ws-finance-07", "no-such-host", "ws-0144.corp.contoso.com."];
    const found = await p.endpoint.findMachinesByNames!(T, names);
    expect(gate.calls).toEqual(["defender"]);
    expect([...found.keys()]).toEqual(names);
    expect(Object.fromEntries([...found].map(([h, ms]) => [h, ms.map((m) => m.computerDnsName)]))).toEqual({
      "ws-0142.corp.contoso.com": ["ws-0142.corp.contoso.com"],
      "WS-0143": ["ws-0143.corp.contoso.com"],
      "ws-finance-07": ["ws-finance-07.corp.contoso.com", "ws-finance-07.lab.contoso.com"],
      "no-such-host": [],
      "ws-0144.corp.contoso.com.": ["ws-0144.corp.contoso.com"],
    });
    for (const name of names) expect(found.get(name)).toEqual(await p.endpoint.findMachines(T, name));
  });
});
