// The US government clouds, against an emulator that behaves as they do: Graph there has no
// `permanentDelete` (its page lists the global service only), and Defender may know its API by a
// resource other than its host, so signing in for `<host>/.default` fails with AADSTS500011. A
// hardDelete is refused before anything is written, naming the cloud and offering softDelete;
// MDE_TOKEN_SCOPE (or a tenant's defender.token_scope) sets the scope Defender tokens are asked for.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { CLIENT_A, CLIENT_B, TENANT_A, TENANT_B } from "../emulator/fixtures";
import type { Emulator, EmulatorOptions } from "../emulator/server";
import { GUID, anyActionId, countActions, detail, expectAction, expectProblem, post, problem, steps, withoutTimeline } from "./helpers";
import { apiCalls, freshLive, isolateRow, liveEnv, liveSetup, mark, since } from "./live";

const GOV_DEFENDER = "https://securitycenter.onmicrosoft.us";
const GOV_SCOPE = `${GOV_DEFENDER}/.default`;
const GOV_GRAPH = "https://graph.microsoft.us";
/** What the gcchigh preset asks a Defender token for: the API host, which this tenant does not know as a resource. */
const HOST_SCOPE = "https://api-gov.securitycenter.microsoft.us/.default";
const UPN = "alex.wilber@contoso.com";

/** An emulator as GCC High is assumed here: Defender tokens for GOV_DEFENDER, Graph's gov host, no permanentDelete. */
const GOV_EMULATOR: Partial<EmulatorOptions> = {
  audiences: { defender: [GOV_DEFENDER], graph: [GOV_GRAPH] },
  extraResources: [GOV_DEFENDER],
  graph: { permanentDelete: false },
};

/**
 * The distinct token requests for one API since the emulator's reset (the server signs in as it
 * starts, for its status probes, and MSAL then caches): tenant, scope asked for, answer's status.
 */
function tokenRequests(emu: Emulator, api: "defender" | "graph") {
  const seen = new Map<string, { tenant: string; scope: string; status: number | undefined }>();
  for (const r of emu.find({ service: "entra", method: "POST" })) {
    const scope = (r.body as Record<string, string>).scope ?? "";
    const isDefender = scope === GOV_SCOPE || scope === HOST_SCOPE;
    if (isDefender !== (api === "defender") || (api === "graph" && !scope.includes("graph"))) continue;
    const t = { tenant: r.path.split("/")[1]!, scope, status: r.status };
    seen.set(JSON.stringify(t), t);
  }
  return [...seen.values()];
}

describe("gcchigh with MDE_TOKEN_SCOPE", () => {
  const live = liveSetup({
    name: "live-clouds",
    emulator: GOV_EMULATOR,
    env: (emu) => liveEnv(emu, { MDR_CLOUD: "gcchigh", MDE_TOKEN_SCOPE: GOV_SCOPE }),
  });
  beforeEach(() => freshLive(live));

  it("hardDelete: 422 on `action` naming the cloud and offering softDelete; nothing recorded, nothing sent", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/quarantine-email", { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "hardDelete" });
    const message =
      "hardDelete is not available here: Microsoft Graph has no permanentDelete in US Government L4 (gcchigh). Use softDelete (moves the message to Recoverable Items, undoable) instead";
    expectProblem(r, problem("validation-failed", `action: ${message}`, { errors: [{ path: "action", message }] }));
    expect(await countActions(server)).toBe(0);
    expect(since(emu, from)).toEqual([]);
    expect(emu.mailbox(TENANT_A, UPN).purged).toEqual([]);
  });

  it("softDelete, the way offered instead, goes through Graph's gov host (token for graph.microsoft.us)", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/quarantine-email", { message_id: "<phish-1@evil.example>", user_principal_name: UPN, action: "softDelete" });
    expect({ status: r.status, type: r.body.type, status_field: r.body.status }).toEqual({ status: 201, type: "quarantine_email", status_field: "succeeded" });
    expect(apiCalls(emu, from).map((c) => [c.method, c.path.replace(/messages\/[^/]+\/move$/, "messages/{id}/move"), c.status])).toEqual([
      ["GET", `/v1.0/users/${encodeURIComponent(UPN)}/messages`, 200],
      ["POST", `/v1.0/users/${encodeURIComponent(UPN)}/messages/{id}/move`, 201],
    ]);
    expect(tokenRequests(emu, "graph")).toEqual([{ tenant: TENANT_A, scope: `${GOV_GRAPH}/.default`, status: 200 }]);
  });

  it("Defender tokens are asked for MDE_TOKEN_SCOPE, and Defender accepts them: the isolation is sent", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142.contoso.com" });
    expectAction(
      r,
      202,
      isolateRow("ws-0142.contoso.com", {
        status: "in_progress",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com", machine_action_status: "Pending" },
      }),
    );
    expect(tokenRequests(emu, "defender")).toEqual([{ tenant: TENANT_A, scope: GOV_SCOPE, status: 200 }]);
    // (The poller may have asked after the machine action already: its GETs are not the isolation's.)
    const calls = since(emu, from, { service: "defender" }).filter((c) => !c.path.startsWith("/api/machineactions"));
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ["GET", "/api/machines", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, 201],
    ]);
    for (const c of calls) expect(c.auth).toMatchObject({ kind: "bearer", valid: true, audience: GOV_DEFENDER, tenantId: TENANT_A });
  });
});

describe("gcchigh, two tenants: one with defender.token_scope, one without", () => {
  const live = liveSetup({
    name: "live-clouds-tenants",
    emulator: GOV_EMULATOR,
    env: (emu) => {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-live-clouds-")), "tenants.json");
      fs.writeFileSync(
        file,
        JSON.stringify({
          tenants: [
            { tenant_id: TENANT_A, name: "Contoso", client_id: CLIENT_A.clientId, client_secret: CLIENT_A.clientSecret },
            { tenant_id: TENANT_B, name: "Fabrikam", client_id: CLIENT_B.clientId, client_secret: CLIENT_B.clientSecret, defender: { token_scope: GOV_SCOPE } },
          ],
        }),
      );
      return liveEnv(emu, {
        MDR_CLOUD: "gcchigh",
        MDR_TENANTS_FILE: file,
        AZURE_TENANT_ID: "",
        AZURE_CLIENT_ID: "",
        AZURE_CLIENT_SECRET: "",
      });
    },
  });
  beforeEach(() => freshLive(live));

  it("without a scope, sign-in for the API host fails with AADSTS500011: 502 saying which scope was asked and what to set; recorded failed; Defender never called", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142.contoso.com" });
    const message = expect.stringMatching(
      new RegExp(
        `^\\[Defender\\] no token for ${HOST_SCOPE.replaceAll(".", "\\.")} \\(invalid_resource\\): AADSTS500011: The resource principal named https://api-gov\\.securitycenter\\.microsoft\\.us was not found in the tenant named Contoso\\..*\\. ` +
          `Defender may know its API by another resource in this cloud: set MDE_TOKEN_SCOPE \\(or the tenant's defender\\.token_scope\\), e\\.g\\. https://securitycenter\\.onmicrosoft\\.us/\\.default in GCC High and DoD$`,
      ),
    );
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      isolateRow("ws-0142.contoso.com", { id: r.body.action_id, status: "failed", error: r.body.detail, completed_at: d.updated_at }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", r.body.detail],
    ]);
    expect(tokenRequests(emu, "defender")).toEqual([{ tenant: TENANT_A, scope: HOST_SCOPE, status: 400 }]);
    expect(since(emu, from, { service: "defender" })).toEqual([]);
  });

  it("the tenant with defender.token_scope signs in for it and isolates", async () => {
    const { emu, server } = live();
    const ws = emu.device(TENANT_B, "ws-0142.fabrikam.com");
    const from = mark(emu);
    const r = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142.fabrikam.com", tenant_id: TENANT_B });
    expectAction(
      r,
      202,
      isolateRow("ws-0142.fabrikam.com", {
        tenant_id: TENANT_B,
        status: "in_progress",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.fabrikam.com", machine_action_status: "Pending" },
      }),
    );
    expect(tokenRequests(emu, "defender")).toEqual([
      { tenant: TENANT_A, scope: HOST_SCOPE, status: 400 },
      { tenant: TENANT_B, scope: GOV_SCOPE, status: 200 },
    ]);
    for (const c of since(emu, from, { service: "defender" })) {
      expect(c.auth).toMatchObject({ kind: "bearer", valid: true, audience: GOV_DEFENDER, tenantId: TENANT_B, clientId: CLIENT_B.clientId });
    }
  });
});
