// The live Defender provider's batch forms, built as the server builds them (parseConfig, then
// createLiveProviders with a gate of the configured limits), against the HTTPS emulator: 500
// addresses blocked with one read of the tenant's IP indicators and one import, undone with one
// batch delete; 150 hostnames resolved from one read of the machine list; and the import's own
// rate lane, which keeps a burst under Defender's 30 a minute without a single 429.
import { createGate } from "@/lib/mdr/context";
import { emulatorEnv } from "../support/emulator-env";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { runInScope } from "@/lib/mdr/providers/call-scope";
import { DefenderClient } from "@/lib/mdr/providers/defender/client";
import { openGate } from "@/lib/mdr/providers/gate";
import { createLiveProviders } from "@/lib/mdr/providers/live";
import { DEFAULT_RETRY } from "@/lib/mdr/providers/live/retry";
import { TokenSource } from "@/lib/mdr/providers/live/tokens";
import type { BlockRequest, Providers } from "@/lib/mdr/providers/types";
import { certsFromEnv, processTrusts } from "../emulator/certs";
import { exampleSeed, TENANT_A } from "../emulator/fixtures";
import { type Emulator, startEmulator } from "../emulator/server";

const FLEET = Array.from({ length: 150 }, (_, i) => `fleet-${String(i).padStart(3, "0")}.contoso.com`);

let emu: Emulator;
beforeAll(async () => {
  const certs = certsFromEnv();
  if (!certs || !processTrusts(certs)) {
    throw new Error("this worker does not trust the emulator certificate: tests/emulator/global-setup.ts must be the vitest globalSetup");
  }
  const seed = exampleSeed();
  seed.tenants[0]!.devices!.push(
    ...FLEET.map((computerDnsName) => ({ computerDnsName })),
    // A device known by its short name only, and two sharing a short name.
    { computerDnsName: "kiosk-7" },
    { computerDnsName: "ws-dup.corp.contoso.com" },
    { computerDnsName: "ws-dup.lab.contoso.com" },
  );
  // Published limits, windows 100 times shorter: a minute is 600 ms.
  emu = await startEmulator({ ...seed, certs, throttle: { scale: 100 } });
});
afterAll(() => emu?.close());
beforeEach(() => emu.reset());


/** The live providers as the server makes them (lib/mdr/context.ts createGate), with these limits. */
function live(env: Record<string, string> = {}): Providers {
  const cfg = parseConfig(emulatorEnv(emu.url, env));
  return createLiveProviders(cfg, createGate(cfg));
}

const ip = (n: number) => `203.0.${113 + Math.floor(n / 250)}.${(n % 250) + 1}`;
const actionId = (n: number) => `act_01BULK${String(n).padStart(4, "0")}`;
function requests(count: number, planned?: (n: number, d: Record<string, string | number>) => void): BlockRequest[] {
  return Array.from({ length: count }, (_, n) => ({
    actionId: actionId(n),
    address: ip(n),
    expiresAt: new Date("2030-01-01T00:00:00.000Z"),
    description: `Bulk block ${n}, INC-4711`,
    planned: planned ? (d) => planned(n, d) : undefined,
  }));
}

/** Defender's calls, as "METHOD /path", in order. */
const defenderCalls = () => emu.find({ service: "defender" }).map((r) => `${r.method} ${r.path.split("?")[0]}`);
const throttled = () => emu.requests.filter((r) => r.status === 429).length;

describe("live Defender firewall: blockMany / unblockMany", () => {
  it("blocks 500 addresses with one read of the IP indicators and one import, each told planned before the import; unblockMany removes all 500 in one batch delete", async () => {
    const defender = live().firewalls.defender;
    expect(defender.batchSize).toBe(500);
    const planned = new Map<number, { details: Record<string, string | number>; importsBefore: number }>();
    const imports = () => emu.find({ service: "defender", method: "POST", path: "/api/indicators/import" }).length;
    const outcomes = await defender.blockMany!(TENANT_A, requests(500, (n, details) => planned.set(n, { details, importsBefore: imports() })));

    expect(defenderCalls()).toEqual(["GET /api/indicators", "POST /api/indicators/import"]);
    const [list, imported] = emu.find({ service: "defender" });
    expect(list!.query).toEqual({ $filter: "indicatorType eq 'IpAddress'", $top: "10000" });
    expect(imported!.body).toEqual({
      Indicators: requests(500).map((r) => ({
        indicatorValue: r.address,
        indicatorType: "IpAddress",
        action: "Block",
        title: `MDR block ${r.actionId}`,
        description: r.description,
        expirationTime: "2030-01-01T00:00:00.000Z",
        severity: "High",
        generateAlert: true,
      })),
    });
    // Each told what identifies its indicator, before the import went out.
    expect(planned.size).toBe(500);
    for (const [n, p] of planned) expect(p).toEqual({ details: { indicator_title: `MDR block ${actionId(n)}` }, importsBefore: 0 });

    const indicators = emu.tenant(TENANT_A).indicators;
    expect(indicators.size).toBe(500);
    outcomes.forEach((o, n) => {
      expect(o.ok).toBe(true);
      if (!o.ok) return;
      const made = indicators.get(o.value.ref);
      expect({ value: made?.indicatorValue, title: made?.title }).toEqual({ value: ip(n), title: `MDR block ${actionId(n)}` });
      expect(o.value.details).toEqual({ indicator_id: o.value.ref, expiration_time: "2030-01-01T00:00:00.000Z" });
    });
    // findBlock (recovery) finds each by its title.
    expect(await defender.findBlock(TENANT_A, actionId(321), ip(321), null)).toEqual((outcomes[321] as { value: unknown }).value);

    emu.requests.length = 0;
    const refs = outcomes.map((o, n) => ({ ref: o.ok ? o.value.ref : "", address: ip(n) }));
    const undone = await defender.unblockMany!(TENANT_A, refs);
    expect(defenderCalls()).toEqual(["GET /api/indicators", "POST /api/indicators/BatchDelete"]);
    const batchDelete = emu.find({ service: "defender", method: "POST", path: "/api/indicators/BatchDelete" })[0]!;
    expect(batchDelete.body).toEqual({ IndicatorIds: refs.map((r) => r.ref) });
    expect(batchDelete.status).toBe(204);
    expect(undone).toEqual(refs.map(() => ({ ok: true, value: { alreadyAbsent: false } })));
    expect(indicators.size).toBe(0);
    expect(throttled()).toBe(0);
  });

  it("follows block's rule per address: one already holding an indicator (ours or anyone's) and one given twice are refused alone; the import's own refusals are that item's error", async () => {
    const defender = live().firewalls.defender;
    const theirs = await defender.block(TENANT_A, { ...requests(1)[0]!, actionId: "act_OTHER", address: ip(7) });
    emu.requests.length = 0;
    const batch = requests(4);
    batch[1] = { ...batch[1]!, address: ip(7) }; // already held
    batch[2] = { ...batch[2]!, address: ip(0) }; // the same as batch[0]
    batch[3] = { ...batch[3]!, address: "10.1.2.3" }; // refused by Defender itself
    const outcomes = await defender.blockMany!(TENANT_A, batch);
    expect(outcomes.map((o) => (o.ok ? "ok" : `${o.error.kind} ${o.error.httpStatus}: ${o.error.message}`))).toEqual([
      "ok",
      `conflict 409: [Defender] ${ip(7)} already has indicator ${theirs.ref} (Block, "MDR block act_OTHER"); Defender keeps one indicator per address, so a second block would overwrite it`,
      `conflict 409: [Defender] ${ip(0)} is also blocked by ${actionId(0)} in the same import; Defender keeps one indicator per address`,
      "bad_request 400: [Defender] import of 10.1.2.3 failed: InvalidIpAddress: IP address 10.1.2.3 is invalid.",
    ]);
    // Only what could be taken was sent; the other block's indicator is untouched.
    expect((emu.find({ service: "defender", path: "/api/indicators/import" })[0]!.body as { Indicators: { indicatorValue: string }[] }).Indicators.map((i) => i.indicatorValue)).toEqual([ip(0), "10.1.2.3"]);
    expect(emu.tenant(TENANT_A).indicators.get(theirs.ref)?.title).toBe("MDR block act_OTHER");
  });

  it("unblockMany: an indicator already gone is alreadyAbsent and left out of the batch delete (which would fail whole on it); one deleted in between: read again, delete the rest", async () => {
    const defender = live().firewalls.defender;
    const outcomes = await defender.blockMany!(TENANT_A, requests(3));
    const refs = outcomes.map((o, n) => ({ ref: o.ok ? o.value.ref : "", address: ip(n) }));
    emu.tenant(TENANT_A).indicators.delete(refs[1]!.ref);
    // The first batch delete meets a 404 as if one more vanished after the read.
    emu.setFault({ match: "POST /api/indicators/BatchDelete", status: 404, code: "ResourceNotFound", message: "Indicators were not found" });
    emu.requests.length = 0;
    const undone = await defender.unblockMany!(TENANT_A, refs);
    expect(undone).toEqual([
      { ok: true, value: { alreadyAbsent: false } },
      { ok: true, value: { alreadyAbsent: true } },
      { ok: true, value: { alreadyAbsent: false } },
    ]);
    expect(defenderCalls()).toEqual(["GET /api/indicators", "POST /api/indicators/BatchDelete", "GET /api/indicators", "POST /api/indicators/BatchDelete"]);
    const deletes = emu.find({ service: "defender", path: "/api/indicators/BatchDelete" });
    expect(deletes.map((d) => [d.body, d.status])).toEqual([
      [{ IndicatorIds: [refs[0]!.ref, refs[2]!.ref] }, 404],
      [{ IndicatorIds: [refs[0]!.ref, refs[2]!.ref] }, 204],
    ]);
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
  });

  it("our gate's batch lane, at the published numbers scaled as the emulator's windows, holds 40 imports in a minute under Defender's 30: queued, never a 429", async () => {
    // Our defaults (27 a minute in the batch lane, 90 a minute for the rest) scaled 100 times, as the emulator's 30 and 100.
    const defender = live({ MDR_RATE_LIMIT_DEFENDER: "90/600ms", MDR_RATE_LIMIT_DEFENDER_BATCH: "27/600ms" }).firewalls.defender;
    const queued: string[] = [];
    const all = requests(40);
    const outcomes = await runInScope({ queued: (_s, _ms, why) => queued.push(why) }, () =>
      Promise.all(all.map((r) => defender.blockMany!(TENANT_A, [r]))),
    );
    expect(outcomes.flat().every((o) => o.ok)).toBe(true);
    const imports = emu.find({ service: "defender", method: "POST", path: "/api/indicators/import" });
    expect(imports.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(throttled()).toBe(0);
    // Held back by our gate, in its own lane: at least the 13 beyond its 27.
    expect(queued.length).toBeGreaterThanOrEqual(13);
    expect(queued).toContain("Defender allows 27 batch calls per 600 ms per tenant here");
    expect(queued.filter((why) => why !== "Defender allows 27 batch calls per 600 ms per tenant here" && why !== "earlier calls to Defender go first")).toEqual([]);
    expect(emu.tenant(TENANT_A).indicators.size).toBe(40);
  });
});

describe("live Defender endpoint: findMachinesByNames", () => {
  it("resolves 150 hostnames from one read of the machine list ($top=10000), each as findMachines resolves it", async () => {
    const endpoint = live().endpoint;
    const names = [...FLEET.slice(0, 147).map((n, i) => (i % 3 === 0 ? n.toUpperCase() : i % 3 === 1 ? n.split(".")[0]! : n)), "kiosk-7", "ws-dup", "no-such-host"];
    const found = await endpoint.findMachinesByNames!(TENANT_A, names);
    expect(defenderCalls()).toEqual(["GET /api/machines"]);
    expect(emu.find({ service: "defender" })[0]!.query).toEqual({ $top: "10000" });
    expect([...found.keys()]).toEqual(names);
    for (const [i, name] of names.slice(0, 147).entries()) {
      expect(found.get(name)?.map((m) => [m.id, m.computerDnsName])).toEqual([[emu.device(TENANT_A, FLEET[i]!).id, FLEET[i]]]);
    }
    expect(found.get("kiosk-7")?.map((m) => m.computerDnsName)).toEqual(["kiosk-7"]);
    expect(found.get("ws-dup")?.map((m) => m.computerDnsName).sort()).toEqual(["ws-dup.corp.contoso.com", "ws-dup.lab.contoso.com"]);
    expect(found.get("no-such-host")).toEqual([]);
    // The same answers as one lookup per name.
    for (const name of ["ws-dup", "kiosk-7", FLEET[0]!.toUpperCase(), "fleet-001", "no-such-host"]) {
      expect(found.get(name) ?? (await endpoint.findMachinesByNames!(TENANT_A, [name])).get(name)).toEqual(await endpoint.findMachines(TENANT_A, name));
    }
  });

  it("pages with $skip while pages come back full (a page of 60 here: 158 devices in 3 reads)", async () => {
    const cfg = parseConfig(emulatorEnv(emu.url)).live!;
    const client = new DefenderClient({
      baseUrl: emu.url,
      scope: () => "https://api.securitycenter.microsoft.com/.default",
      tokens: new TokenSource(emu.url, cfg.tenants),
      retry: DEFAULT_RETRY,
      gate: openGate(),
      pageSize: 60,
    });
    const found = await client.findMachinesByNames(TENANT_A, [FLEET[149]!, "kiosk-7", "ws-0142"]);
    expect(emu.find({ service: "defender" }).map((r) => r.query)).toEqual([{ $top: "60" }, { $top: "60", $skip: "60" }, { $top: "60", $skip: "120" }]);
    expect(Object.fromEntries([...found].map(([h, ms]) => [h, ms.map((m) => m.computerDnsName)]))).toEqual({
      [FLEET[149]!]: [FLEET[149]],
      "kiosk-7": ["kiosk-7"],
      "ws-0142": ["ws-0142.contoso.com"],
    });
  });
});
