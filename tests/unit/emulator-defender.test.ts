// The emulator's Defender batch APIs and their published limits: the indicator import (up to 500
// per call, 30 calls a minute: import-ti-indicators.md), the batch delete (up to 500 ids, 30 a
// minute and 1,500 an hour, a 404 when any id is unknown: batch-delete-ti-indicators.md), each
// counted apart from the 100 a minute of the single calls, and the machine list's $top (at most
// 10,000) and $skip (get-machines.md). Plain fetch against the HTTPS emulator (globalSetup trust).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { certsFromEnv, processTrusts } from "../emulator/certs";
import { CLIENT_A, exampleSeed, TENANT_A } from "../emulator/fixtures";
import { type Emulator, startEmulator } from "../emulator/server";
import { DEFENDER_BATCH_DELETE_WINDOWS, DEFENDER_IMPORT_WINDOWS, DEFENDER_WINDOWS, Throttle } from "../emulator/throttle";

const AUDIENCE = "https://api.securitycenter.microsoft.com";

describe("the Defender windows of the emulator's limiter", () => {
  it("import: 30 a minute; batch delete: 30 a minute and 1,500 an hour; single calls: 100 a minute", () => {
    const t = new Throttle(1);
    for (let i = 0; i < 30; i++) expect(t.windows([["import", DEFENDER_IMPORT_WINDOWS]], i)).toBeUndefined();
    expect(t.windows([["import", DEFENDER_IMPORT_WINDOWS]], 1000)).toEqual({ retryAfterSeconds: 59, limit: "30 per 1m" });
    // The oldest call leaves the window after 60 s: the next one goes.
    expect(t.windows([["import", DEFENDER_IMPORT_WINDOWS]], 60_000)).toBeUndefined();
    // Batch delete: 30 a minute for 50 minutes reach the 1,500 an hour; the 51st minute is refused by the hour.
    let now = 0;
    for (let minute = 0; minute < 50; minute++) {
      for (let i = 0; i < 30; i++) expect(t.windows([["bd", DEFENDER_BATCH_DELETE_WINDOWS]], now + i)).toBeUndefined();
      expect(t.windows([["bd", DEFENDER_BATCH_DELETE_WINDOWS]], now + 30)?.limit).toBe("30 per 1m");
      now += 60_000;
    }
    expect(t.windows([["bd", DEFENDER_BATCH_DELETE_WINDOWS]], now)).toEqual({ retryAfterSeconds: 3600 - 50 * 60, limit: "1500 per 1h" });
    for (let i = 0; i < 100; i++) expect(t.windows([["single", DEFENDER_WINDOWS]], i)).toBeUndefined();
    expect(t.windows([["single", DEFENDER_WINDOWS]], 100)?.limit).toBe("100 per 1m");
    // Scaled 100 times: a minute is 600 ms.
    const fast = new Throttle(100);
    for (let i = 0; i < 30; i++) fast.windows([["import", DEFENDER_IMPORT_WINDOWS]], i);
    expect(fast.windows([["import", DEFENDER_IMPORT_WINDOWS]], 599)).toEqual({ retryAfterSeconds: 1, limit: "30 per 1m" });
    expect(fast.windows([["import", DEFENDER_IMPORT_WINDOWS]], 600)).toBeUndefined();
  });
});

let emu: Emulator;
let slow: Emulator;
beforeAll(async () => {
  const certs = certsFromEnv();
  if (!certs || !processTrusts(certs)) {
    throw new Error("this worker does not trust the emulator certificate: tests/emulator/global-setup.ts must be the vitest globalSetup");
  }
  // 150 more devices for the machine list's paging; throttling off, the limits are `slow`'s.
  const seed = exampleSeed();
  seed.tenants[0]!.devices!.push(...Array.from({ length: 150 }, (_, i) => ({ computerDnsName: `fleet-${String(i).padStart(3, "0")}.contoso.com` })));
  emu = await startEmulator({ ...seed, certs, throttle: false });
  // Windows 1,000 times longer: the counts are exact however slow the machine.
  slow = await startEmulator({ ...exampleSeed(), certs, throttle: { scale: 0.001 } });
});
afterAll(async () => {
  await emu?.close();
  await slow?.close();
});
beforeEach(() => {
  emu.reset();
  slow.reset();
});

async function call(on: Emulator, method: string, path: string, body?: unknown) {
  const token = on.issueToken({ tenantId: TENANT_A, clientId: CLIENT_A.clientId, audience: AUDIENCE });
  const res = await fetch(`${on.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get("retry-after"), json: text ? (JSON.parse(text) as unknown) : null };
}

const ip = (n: number) => `203.0.${113 + Math.floor(n / 250)}.${(n % 250) + 1}`;
const indicator = (value: string, title = `t ${value}`) => ({
  indicatorValue: value,
  indicatorType: "IpAddress",
  action: "Block",
  title,
  description: "d",
  expirationTime: "2030-01-01T00:00:00Z",
  severity: "High",
  generateAlert: true,
});

describe("POST /api/indicators/import", () => {
  it("submits each indicator, answering one result per indicator in order; a refused one fails alone", async () => {
    const res = await call(emu, "POST", "/api/indicators/import", {
      Indicators: [indicator("198.51.100.7"), indicator("10.0.0.1"), { ...indicator("198.51.100.8"), title: "" }, indicator("2001:db8::7")],
    });
    expect(res).toEqual({
      status: 200,
      retryAfter: null,
      json: {
        value: [
          { id: expect.stringMatching(/^\d+$/), indicator: "198.51.100.7", isFailed: false, failureReason: null },
          { id: null, indicator: "10.0.0.1", isFailed: true, failureReason: "InvalidIpAddress: IP address 10.0.0.1 is invalid." },
          { id: null, indicator: "198.51.100.8", isFailed: true, failureReason: "MissingRequiredParameter: Parameter title is missing." },
          { id: expect.stringMatching(/^\d+$/), indicator: "2001:db8::7", isFailed: false, failureReason: null },
        ],
      },
    });
    const created = (res.json as { value: { id: string | null }[] }).value;
    expect(emu.tenant(TENANT_A).indicators.get(created[0]!.id!)).toMatchObject({ indicatorValue: "198.51.100.7", action: "Block", title: "t 198.51.100.7" });
    expect([...emu.tenant(TENANT_A).indicators.values()].map((i) => i.indicatorValue).sort()).toEqual(["198.51.100.7", "2001:db8::7"]);
    // Recorded as sent.
    expect(emu.find({ service: "defender", method: "POST", path: "/api/indicators/import" })).toHaveLength(1);
  });

  it("updates an indicator of the same value in place (submit or update), same id", async () => {
    const first = await call(emu, "POST", "/api/indicators", indicator("198.51.100.7", "first"));
    const id = (first.json as { id: string }).id;
    const res = await call(emu, "POST", "/api/indicators/import", { Indicators: [indicator("198.51.100.7", "second")] });
    expect(res.json).toEqual({ value: [{ id, indicator: "198.51.100.7", isFailed: false, failureReason: null }] });
    expect(emu.tenant(TENANT_A).indicators.get(id)?.title).toBe("second");
  });

  it("takes at most 500 per call: 501 is a 400 in Defender's error shape, nothing imported; no list at all, too", async () => {
    const many = Array.from({ length: 501 }, (_, i) => indicator(ip(i)));
    const res = await call(emu, "POST", "/api/indicators/import", { Indicators: many });
    expect(res).toEqual({
      status: 400,
      retryAfter: null,
      json: { error: { code: "InvalidRequestBody", message: "Maximum batch size for one API call is 500, got 501.", target: expect.any(String) } },
    });
    expect(emu.tenant(TENANT_A).indicators.size).toBe(0);
    expect((await call(emu, "POST", "/api/indicators/import", { indicators: many.slice(0, 2) })).status).toBe(400);
    const ok = await call(emu, "POST", "/api/indicators/import", { Indicators: many.slice(0, 500) });
    expect(ok.status).toBe(200);
    expect(emu.tenant(TENANT_A).indicators.size).toBe(500);
  });
});

describe("POST /api/indicators/BatchDelete", () => {
  it("deletes every id given (204); any id unknown is a 404 and nothing is deleted; an empty or too long list is a 400", async () => {
    const made = await call(emu, "POST", "/api/indicators/import", { Indicators: [1, 2, 3].map((n) => indicator(ip(n))) });
    const ids = (made.json as { value: { id: string }[] }).value.map((v) => v.id);
    const unknown = await call(emu, "POST", "/api/indicators/BatchDelete", { IndicatorIds: [ids[0], "999999"] });
    expect(unknown).toEqual({
      status: 404,
      retryAfter: null,
      json: { error: { code: "ResourceNotFound", message: "Indicators 999999 were not found", target: expect.any(String) } },
    });
    expect(emu.tenant(TENANT_A).indicators.size).toBe(3);
    expect((await call(emu, "POST", "/api/indicators/BatchDelete", { IndicatorIds: [] })).status).toBe(400);
    expect((await call(emu, "POST", "/api/indicators/BatchDelete", { IndicatorIds: Array.from({ length: 501 }, (_, i) => String(i)) })).status).toBe(400);
    expect((await call(emu, "POST", "/api/indicators/BatchDelete", { IndicatorIds: ["x1"] })).status).toBe(400);
    const done = await call(emu, "POST", "/api/indicators/BatchDelete", { IndicatorIds: [ids[0], ids[2]] });
    expect(done).toEqual({ status: 204, retryAfter: null, json: null });
    expect([...emu.tenant(TENANT_A).indicators.keys()]).toEqual([ids[1]]);
  });
});

describe("Defender's batch calls have limits of their own (throttled emulator, windows 1,000 times longer)", () => {
  it("the import: 30 calls, then 429 with Retry-After in Defender's shape; single submissions keep their own 100", async () => {
    for (let i = 0; i < 30; i++) {
      expect((await call(slow, "POST", "/api/indicators/import", { Indicators: [indicator(ip(i))] })).status).toBe(200);
    }
    const limited = await call(slow, "POST", "/api/indicators/import", { Indicators: [indicator(ip(30))] });
    expect({ status: limited.status, json: limited.json }).toEqual({
      status: 429,
      json: { error: { code: "TooManyRequests", message: "API calls quota exceeded! Maximum admitted 30 per 1m.", target: expect.any(String) } },
    });
    expect(Number(limited.retryAfter)).toBeGreaterThan(59_000);
    expect(slow.tenant(TENANT_A).indicators.size).toBe(30);
    // Counted apart: a single submission and a batch delete still go.
    expect((await call(slow, "POST", "/api/indicators", indicator(ip(31)))).status).toBe(200);
    const id = [...slow.tenant(TENANT_A).indicators.keys()][0];
    expect((await call(slow, "POST", "/api/indicators/BatchDelete", { IndicatorIds: [id] })).status).toBe(204);
  });

  it("the batch delete: 30 calls, then 429; its path is matched whatever its case", async () => {
    for (let i = 0; i < 30; i++) {
      // Unknown ids: a 404, but a call the service took, counted.
      expect((await call(slow, "POST", i % 2 ? "/api/indicators/BatchDelete" : "/api/indicators/batchdelete", { IndicatorIds: ["1"] })).status).toBe(404);
    }
    const limited = await call(slow, "POST", "/api/indicators/BatchDelete", { IndicatorIds: ["1"] });
    expect(limited.status).toBe(429);
    expect((limited.json as { error: { message: string } }).error.message).toBe("API calls quota exceeded! Maximum admitted 30 per 1m.");
    expect((await call(slow, "POST", "/api/indicators/import", { Indicators: [indicator(ip(1))] })).status).toBe(200);
  });

  it("single indicator calls: 100 a minute (POST /api/indicators), then 429", async () => {
    for (let i = 0; i < 100; i++) expect((await call(slow, "POST", "/api/indicators", indicator(ip(i)))).status).toBe(200);
    expect((await call(slow, "POST", "/api/indicators", indicator(ip(100)))).status).toBe(429);
    // Each API its own count: a DELETE of one still goes.
    const id = [...slow.tenant(TENANT_A).indicators.keys()][0];
    expect((await call(slow, "DELETE", `/api/indicators/${id}`)).status).toBe(204);
  });
});

describe("GET /api/machines pages", () => {
  it("$top up to 10,000 and $skip page the list in a stable order; $top above 10,000 is a 400", async () => {
    const all = await call(emu, "GET", "/api/machines?$top=10000");
    const names = (all.json as { value: { computerDnsName: string }[] }).value.map((m) => m.computerDnsName);
    expect(names).toHaveLength(155);
    const pages: string[] = [];
    for (let skip = 0; skip < 155; skip += 60) {
      const page = await call(emu, "GET", `/api/machines?$top=60&$skip=${skip}`);
      pages.push(...(page.json as { value: { computerDnsName: string }[] }).value.map((m) => m.computerDnsName));
    }
    expect(pages).toEqual(names);
    const tooMany = await call(emu, "GET", "/api/machines?$top=10001");
    expect(tooMany.status).toBe(400);
    expect(tooMany.json).toEqual({
      error: { code: "ODataError", message: "Invalid $top or $skip value. $top must be a whole number up to 10000.", target: expect.any(String) },
    });
  });
});
