// Guardrails against the production server, in simulation: rules added by an admin through the
// API and seeded from MDR_PROTECTED_ASSETS_FILE; an action against a protected device (by name
// or by machine id), account or address range is a 403 `protected_asset` naming the rule,
// recorded `rejected`, with nothing done at the simulated tenant; non-admins cannot change the
// rules; duplicates, bad patterns, a bad file. Reverts are not guarded: undoing an action against
// an asset protected since then still works.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_DEVICES } from "@/lib/mdr/providers/simulation";
import { eq } from "drizzle-orm";
import { openDb } from "@/lib/db/client";
import { auditEvents, protectedAssets } from "@/lib/db/schema";
import { type TestServer, eventually, mintToken, startServer, tempDbPath } from "../support/server";
import { ACTION_ID, type Json, type Reply, anyIso, call, detail, invalidBody, post, steps } from "./helpers";
import { DbProbe, bearer, expectProblemReply, problemOf } from "./auth-helpers";

const device = (short: string) => SIM_DEVICES.find((d) => d.computerDnsName.startsWith(`${short}.`))!;
const DC = device("dc-01");
const LAB = SIM_DEVICES.find((d) => d.computerDnsName === "ws-finance-07.lab.contoso.com")!;
const PA_ID = /^pa_[0-9A-HJKMNP-TV-Z]{26}$/;
const ASSETS = "/api/v1/mdr/protected-assets";

let server: TestServer;
let probe: DbProbe;
let responder: string;
let viewer: string;
const rules: Record<string, Json> = {};

const seedFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-pa-")), "protected.json");
fs.writeFileSync(
  seedFile,
  JSON.stringify({
    assets: [
      { kind: "upn", pattern: "BreakGlass-*@contoso.com", note: "break-glass accounts" },
      { kind: "ip_range", pattern: "2a0d:5600:24::/48", note: "our egress" },
    ],
  }),
);

beforeAll(async () => {
  server = await startServer({ MDR_PROTECTED_ASSETS_FILE: seedFile, MDR_ACTOR_RATE_LIMIT: "0" }, "protected-assets");
  probe = new DbProbe(server.dbPath);
  responder = mintToken(server.dbPath, "pa-responder", "responder");
  viewer = mintToken(server.dbPath, "pa-viewer", "viewer");
}, 120_000);

afterAll(async () => {
  probe?.close();
  await server?.stop();
});

const asset = (over: Record<string, unknown>) => ({
  id: expect.stringMatching(PA_ID),
  note: null,
  source: "api",
  created_by: "token:tests",
  created_at: anyIso(),
  ...over,
});

async function addRule(kind: string, pattern: string, note?: string): Promise<Json> {
  const r = await post(server, ASSETS, { kind, pattern, ...(note ? { note } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.headers.get("location")).toBe(`${ASSETS}/${r.body.id}`);
  return r.body;
}

/** The 403 for an action refused by a rule: whole body, and its rejected row with a two-step timeline. */
async function expectRefused(reply: Reply, rule: Json, value: string, field: string, request: { type: string; target: string }) {
  const note = rule.note ? ` — ${rule.note}` : "";
  const message = `${value} is a protected asset (rule ${rule.id}: ${rule.kind} ${rule.pattern}${note}); nothing was done.`;
  expectProblemReply(
    reply,
    problemOf("protected-asset", message, {
      errors: [{ path: field, message: `matches protected ${rule.kind} rule ${rule.pattern}` }],
      protected_asset: rule,
      action_id: expect.stringMatching(ACTION_ID),
      action_status: "rejected",
    }),
  );
  const row = await detail(server, reply.body.action_id);
  expect(row).toMatchObject({ ...request, status: "rejected", error: message, active: false, provider_ref: null, result: null });
  expect(steps(row)).toEqual([
    ["pending", "Requested by token:tests"],
    ["rejected", message],
  ]);
}

describe("rules", () => {
  it("MDR_PROTECTED_ASSETS_FILE seeded its rules at start (normalised, source file, by system, audited)", async () => {
    const r = await call(server, ASSETS);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      protected_assets: [
        asset({ kind: "ip_range", pattern: "2a0d:5600:24::/48", note: "our egress", source: "file", created_by: "system" }),
        asset({ kind: "upn", pattern: "breakglass-*@contoso.com", note: "break-glass accounts", source: "file", created_by: "system" }),
      ],
    });
    for (const a of r.body.protected_assets) rules[a.kind === "upn" ? "breakglass" : "egress6"] = a;
    const audit = probe.audit().filter((e) => e.event === "protected_asset_added");
    expect(audit.map((e) => [e.actor, e.subject, JSON.parse(e.detail)])).toEqual([
      ["system", rules.breakglass.id, { kind: "upn", pattern: "breakglass-*@contoso.com", note: "break-glass accounts", source: "file" }],
      ["system", rules.egress6.id, { kind: "ip_range", pattern: "2a0d:5600:24::/48", note: "our egress", source: "file" }],
    ]);
  });

  it("an admin adds hostname, UPN and range rules (normalised), each audited", async () => {
    rules.dc = await addRule("hostname", "DC-*", "domain controllers");
    expect(rules.dc).toEqual(asset({ kind: "hostname", pattern: "dc-*", note: "domain controllers" }));
    rules.lab = await addRule("hostname", "*.lab.contoso.com");
    rules.tor = await addRule("ip_range", "185.220.101.7/24", "resolver range");
    expect(rules.tor).toEqual(asset({ kind: "ip_range", pattern: "185.220.101.0/24", note: "resolver range" }));
    rules.svc = await addRule("upn", "svc-*@contoso.com");
    const audit = probe.audit().filter((e) => e.event === "protected_asset_added" && e.actor === "token:tests");
    expect(audit.map((e) => e.subject)).toEqual([rules.dc.id, rules.lab.id, rules.tor.id, rules.svc.id]);
    expect(JSON.parse(audit[0].detail)).toEqual({ kind: "hostname", pattern: "dc-*", note: "domain controllers", source: "api" });
  });

  it("duplicates (after normalising) are 409 naming the existing rule; nothing added", async () => {
    const before = probe.count("protected_assets");
    for (const [kind, pattern, rule] of [
      ["hostname", "dc-*", "dc"],
      ["hostname", "DC-*", "dc"],
      ["ip_range", "185.220.101.200/24", "tor"],
      ["upn", "BREAKGLASS-*@CONTOSO.COM", "breakglass"],
    ] as const) {
      const r = await post(server, ASSETS, { kind, pattern });
      const existing = rules[rule];
      expectProblemReply(
        r,
        problemOf("conflict", `${kind} ${existing.pattern} is already protected (${existing.id}).`, {
          protected_asset_id: existing.id,
        }),
      );
    }
    expect(probe.count("protected_assets")).toBe(before);
  });

  it("a bad pattern is a 422 naming pattern; an unknown kind names kind", async () => {
    const before = probe.count("audit_events");
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ kind: "hostname", pattern: "dc 01" }, invalidBody("pattern", "must be a device name pattern like DC-* or *.corp.contoso.com")],
      [{ kind: "hostname", pattern: "dc-*/x" }, invalidBody("pattern", "must be a device name pattern like DC-* or *.corp.contoso.com")],
      [{ kind: "upn", pattern: "breakglass" }, invalidBody("pattern", "must be a UPN or UPN pattern like breakglass@contoso.com or *-admin@contoso.com")],
      [{ kind: "ip_range", pattern: "10.0.0.0/33" }, invalidBody("pattern", "must be an address or CIDR range like 10.0.0.0/8")],
      [{ kind: "ip_range", pattern: "dc-01" }, invalidBody("pattern", "must be an address or CIDR range like 10.0.0.0/8")],
    ];
    for (const [body, expected] of cases) {
      const r = await post(server, ASSETS, body);
      expect({ status: r.status, body: r.body }, JSON.stringify(body)).toEqual({ status: 422, body: expected });
    }
    const kind = await post(server, ASSETS, { kind: "device", pattern: "dc-*" });
    expect(kind.status).toBe(422);
    expect(kind.body.errors.map((e: Json) => e.path)).toEqual(["kind"]);
    expect(probe.count("audit_events")).toBe(before);
  });

  it("a responder or viewer cannot add or remove rules (403), but may read them", async () => {
    const before = { rules: probe.count("protected_assets"), audit: probe.count("audit_events") };
    for (const [token, name, role] of [
      [responder, "pa-responder", "responder"],
      [viewer, "pa-viewer", "viewer"],
    ] as const) {
      const add = await call(server, ASSETS, {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ kind: "hostname", pattern: "ws-*" }),
      });
      expectProblemReply(add, problemOf("forbidden", `This needs the admin role; token:${name} has ${role}.`));
      const remove = await call(server, `${ASSETS}/${rules.dc.id}`, { method: "DELETE", headers: bearer(token) });
      expectProblemReply(remove, problemOf("forbidden", `This needs the admin role; token:${name} has ${role}.`));
      const list = await call(server, ASSETS, { headers: bearer(token) });
      expect(list.status).toBe(200);
      expect(list.body.protected_assets.map((a: Json) => a.id)).toContain(rules.dc.id);
    }
    expect({ rules: probe.count("protected_assets"), audit: probe.count("audit_events") }).toEqual(before);
  });
});

describe("actions against protected assets", () => {
  it("isolate by hostname: 403 naming the rule, recorded rejected", async () => {
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "DC-01", reason: "test" });
    await expectRefused(r, rules.dc, "dc-01", "hostname", { type: "isolate_endpoint", target: "dc-01" });
    const full = await post(server, "/api/v1/mdr/isolate", { hostname: "dc-01.corp.contoso.com" });
    await expectRefused(full, rules.dc, "dc-01.corp.contoso.com", "hostname", {
      type: "isolate_endpoint",
      target: "dc-01.corp.contoso.com",
    });
  });

  it("isolate by machine_id: checked on the name Defender knows the device by", async () => {
    const r = await post(server, "/api/v1/mdr/isolate", { machine_id: DC.id });
    await expectRefused(r, rules.dc, DC.computerDnsName, "machine_id", { type: "isolate_endpoint", target: DC.id });
    const lab = await post(server, "/api/v1/mdr/isolate", { machine_id: LAB.id.toUpperCase() });
    await expectRefused(lab, rules.lab, LAB.computerDnsName, "machine_id", { type: "isolate_endpoint", target: LAB.id });
  });

  it("disable a protected UPN: 403, rejected", async () => {
    const r = await post(server, "/api/v1/mdr/disable-user", { upn: "BreakGlass-01@contoso.com" });
    await expectRefused(r, rules.breakglass, "breakglass-01@contoso.com", "upn", {
      type: "disable_user",
      target: "breakglass-01@contoso.com",
    });
    const svc = await post(server, "/api/v1/mdr/disable-user", { upn: "svc-backup@contoso.com" });
    await expectRefused(svc, rules.svc, "svc-backup@contoso.com", "upn", { type: "disable_user", target: "svc-backup@contoso.com" });
  });

  it("block an address inside, or a range overlapping, a protected range: 403, rejected", async () => {
    const inside = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.34" });
    await expectRefused(inside, rules.tor, "185.220.101.34", "ip", { type: "block_ip", target: "185.220.101.34" });
    const wider = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.0.0/16", firewall_type: "azure_nsg" });
    await expectRefused(wider, rules.tor, "185.220.0.0/16", "ip", { type: "block_ip", target: "185.220.0.0/16" });
    const narrower = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.101.128/25", firewall_type: "aws_sg" });
    await expectRefused(narrower, rules.tor, "185.220.101.128/25", "ip", { type: "block_ip", target: "185.220.101.128/25" });
    const v6 = await post(server, "/api/v1/mdr/block-ip", { ip: "2a0d:5600::/32", firewall_type: "aws_sg" });
    await expectRefused(v6, rules.egress6, "2a0d:5600::/32", "ip", { type: "block_ip", target: "2a0d:5600::/32" });
  });

  it("what is not protected still goes through (the rules are not too wide)", async () => {
    const host = await post(server, "/api/v1/mdr/isolate", { hostname: "srv-web-01" });
    expect(host.status, JSON.stringify(host.body)).toBe(202);
    const ip = await post(server, "/api/v1/mdr/block-ip", { ip: "185.220.102.0/24", firewall_type: "azure_nsg" });
    expect(ip.status, JSON.stringify(ip.body)).toBe(201);
    const user = await post(server, "/api/v1/mdr/disable-user", { upn: "carol@contoso.com" });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
  });

  it("nothing was done at the tenant: once a rule is removed (audited), the same action works for the first time", async () => {
    const del = await call(server, `${ASSETS}/${rules.dc.id}`, { method: "DELETE" });
    expect({ status: del.status, body: del.body }).toEqual({ status: 200, body: rules.dc });
    const audit = probe.audit().at(-1);
    expect([audit.event, audit.actor, audit.subject, JSON.parse(audit.detail)]).toEqual([
      "protected_asset_removed",
      "token:tests",
      rules.dc.id,
      { kind: "hostname", pattern: "dc-*", note: "domain controllers" },
    ]);
    const again = await call(server, `${ASSETS}/${rules.dc.id}`, { method: "DELETE" });
    expectProblemReply(again, problemOf("not-found", `No protected asset ${rules.dc.id}.`));
    // Not "already isolated": the refused requests never reached Defender.
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "dc-01" });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(steps(await detail(server, r.body.id))[1]).toEqual(["pending", `Resolved to device ${DC.id} (${DC.computerDnsName})`]);

    const del2 = await call(server, `${ASSETS}/${rules.breakglass.id}`, { method: "DELETE" });
    expect(del2.status).toBe(200);
    // Not "already disabled" (a disable of a disabled account is recorded with was_enabled false).
    const u = await post(server, "/api/v1/mdr/disable-user", { upn: "breakglass-01@contoso.com" });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    expect(u.body.result).toMatchObject({ was_enabled: true });
  });
});

describe("reverts are not guarded", () => {
  async function finished(id: string): Promise<Json> {
    return eventually(async () => {
      const d = await detail(server, id);
      return d.status === "succeeded" ? d : undefined;
    }, 15_000, `${id} to succeed`);
  }

  it("undoing an isolation, a block and a disable of assets protected since then works", async () => {
    const iso = await post(server, "/api/v1/mdr/isolate", { hostname: "lnx-build-03" });
    expect(iso.status).toBe(202);
    await finished(iso.body.id);
    const block = await post(server, "/api/v1/mdr/block-ip", { ip: "45.155.205.9" });
    expect(block.status).toBe(201);
    const dis = await post(server, "/api/v1/mdr/disable-user", { upn: "dave@contoso.com" });
    expect(dis.status).toBe(201);

    const lnx = await addRule("hostname", "lnx-*");
    await addRule("ip_range", "45.155.205.0/24");
    const dave = await addRule("upn", "dave@contoso.com");
    // The rules are in force for new actions...
    const refused = await post(server, "/api/v1/mdr/isolate", { hostname: "lnx-build-03" });
    expect([refused.status, refused.body.protected_asset?.id]).toEqual([403, lnx.id]);
    const refusedUser = await post(server, "/api/v1/mdr/disable-user", { upn: "dave@contoso.com" });
    expect([refusedUser.status, refusedUser.body.protected_asset?.id]).toEqual([403, dave.id]);

    // ... but undoing takes the asset out of containment, which the rules exist to allow.
    const release = await post(server, `/api/v1/mdr/actions/${iso.body.id}/revert`, { reason: "reimaged" });
    expect(release.status, JSON.stringify(release.body)).toBe(202);
    expect(release.body).toMatchObject({ type: "release_endpoint", reverts: iso.body.id });
    await finished(release.body.id);
    const unblock = await post(server, `/api/v1/mdr/actions/${block.body.id}/revert`, {});
    expect(unblock.status, JSON.stringify(unblock.body)).toBe(201);
    expect(unblock.body).toMatchObject({ type: "unblock_ip", status: "succeeded", reverts: block.body.id });
    const enable = await post(server, `/api/v1/mdr/actions/${dis.body.id}/revert`, {});
    expect(enable.status, JSON.stringify(enable.body)).toBe(201);
    expect(enable.body).toMatchObject({ type: "enable_user", status: "succeeded", reverts: dis.body.id });
    for (const id of [iso.body.id, block.body.id, dis.body.id]) {
      expect(await detail(server, id)).toMatchObject({ active: false, reverted_by: expect.stringMatching(ACTION_ID) });
    }
  });
});

describe("a bad MDR_PROTECTED_ASSETS_FILE stops the server with a clear message", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-pa-bad-"));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  it.each([
    [
      "a bad pattern",
      () => file("bad-pattern.json", JSON.stringify({ assets: [{ kind: "hostname", pattern: "DC-*" }, { kind: "ip_range", pattern: "10.0.0.0/33" }] })),
      () =>
        `[mdr] MDR_PROTECTED_ASSETS_FILE: assets[1]: pattern: must be an address or CIDR range like 10.0.0.0/8`,
    ],
    [
      "a range with a leading zero (010.0.0.0/8, which some tools read as 8.0.0.0/8)",
      () => file("octal.json", JSON.stringify({ assets: [{ kind: "ip_range", pattern: "010.0.0.0/8", note: "RFC 1918" }] })),
      () =>
        "[mdr] MDR_PROTECTED_ASSETS_FILE: assets[0]: pattern: must be an address or CIDR range like 10.0.0.0/8: " +
        "write it without leading zeros, e.g. 10.0.0.0 (leading zeros are read as octal by some tools)",
    ],
    [
      "not the expected shape",
      () => file("shape.json", JSON.stringify([{ kind: "hostname", pattern: "DC-*" }])),
      () => `[mdr] MDR_PROTECTED_ASSETS_FILE: must be {"assets": [{"kind", "pattern", "note"}]}`,
    ],
    [
      "not JSON",
      () => file("broken.json", "{assets: ["),
      (p: string) => `[mdr] MDR_PROTECTED_ASSETS_FILE: cannot read ${p}:`,
    ],
    ["missing", () => path.join(dir, "missing.json"), (p: string) => `[mdr] MDR_PROTECTED_ASSETS_FILE: cannot read ${p}: ENOENT`],
  ])("%s", async (_name, make, message) => {
    const p = make();
    const err = await startServer({ MDR_PROTECTED_ASSETS_FILE: p }, "pa-bad").then(
      async (s) => {
        await s.stop();
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^server exited \(1\):/);
    expect(err!.message).toContain(message(p));
    expect(err!.message).not.toMatch(/\n\s+at /);
  });

  it("the whole file is checked first: a bad entry leaves none of the good ones behind", async () => {
    const p = file("partial.json", JSON.stringify({ assets: [{ kind: "hostname", pattern: "DC-*" }, { kind: "upn", pattern: "not a upn" }] }));
    const dbPath = tempDbPath("pa-partial");
    await expect(startServer({ MDR_PROTECTED_ASSETS_FILE: p, MDR_DB_PATH: dbPath }, "pa-partial")).rejects.toThrow(
      "[mdr] MDR_PROTECTED_ASSETS_FILE: assets[1]: pattern: must be a UPN",
    );
    const db = openDb(dbPath);
    try {
      expect(db.select().from(protectedAssets).all()).toEqual([]);
      expect(db.select().from(auditEvents).where(eq(auditEvents.event, "protected_asset_added")).all()).toEqual([]);
    } finally {
      db.$client.close();
    }
  });
});
