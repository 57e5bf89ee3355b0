// A live server whose app registration secret is wrong, and with no NSG or network ACL configured:
// sign-in failures are named as such (502), never with the secret; firewalls without settings
// are not_configured in the status and refused (422) before anything is written.
import { describe, expect, it } from "vitest";
import { CLIENT_A, TENANT_A } from "../emulator/fixtures";
import { type Json, allActions, anyActionId, anyIso, detail, expectProblem, get, invalidBody, problem, steps, withoutTimeline } from "./helpers";
import { Recorder, expectNoSecrets, liveAction, liveSetup, mark, since } from "./live";

const WRONG_SECRET = "wrong~secret-value-0123456789";
const live = liveSetup({
  name: "live-signin",
  env: {
    AZURE_CLIENT_SECRET: WRONG_SECRET,
    // No network ACL for this tenant (empty counts as unset).
    AWS_NETWORK_ACL_ID: "",
  },
});
const api = new Recorder(() => live().server);

const SIGN_IN =
  `sign-in of the app registration failed (invalid_client): AADSTS7000215: Invalid client secret provided. ` +
  `Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT_A.clientId}'.`;

describe("live with a wrong client secret", () => {
  it("status: Defender, Graph and the NSG down naming the sign-in failure, once each; the ACL not_configured", async () => {
    const { emu } = live();
    const from = mark(emu);
    const r = await api.get("/api/v1/mdr/status");
    const down = (label: string) => ({ status: "down", latency_ms: expect.any(Number), error: `[${label}] ${SIGN_IN}` });
    const notConfigured = { status: "not_configured", latency_ms: null, error: null };
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: {
        status: "unhealthy",
        mode: "live",
        checked_at: anyIso(),
        services: { defender: down("Defender"), graph: down("Graph"), azure_nsg: down("Azure NSG"), aws: notConfigured, aws_waf: notConfigured },
      },
    });
    // A refused sign-in is not retried as if the service were down; no API is called without a token.
    const calls = since(emu, from);
    expect(calls.filter((c) => c.service !== "entra")).toEqual([]);
    expect(calls.filter((c) => c.method === "POST").map((c) => [c.status, (c.body as Json).scope]).sort()).toEqual([
      [401, "https://api.securitycenter.microsoft.com/.default"],
      [401, "https://graph.microsoft.com/.default"],
      [401, "https://management.azure.com/.default"],
    ]);
  });

  it("an action: 502 naming the sign-in failure, recorded failed; the token request was refused, no API called", async () => {
    const { emu, server } = live();
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/isolate", { hostname: "ws-0142", reason: "beacon" });
    const message = `[Defender] ${SIGN_IN}`;
    expectProblem(r, problem("provider-error", message, { action_id: anyActionId(), action_status: "failed" }));
    const d = await detail(server, r.body.action_id);
    expect(withoutTimeline(d)).toEqual(
      liveAction({
        id: r.body.action_id,
        type: "isolate_endpoint",
        status: "failed",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        reason: "beacon",
        error: message,
        completed_at: d.updated_at,
      }),
    );
    expect(steps(d)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    const calls = since(emu, from);
    expect(calls.filter((c) => c.service !== "entra")).toEqual([]);
    const tokens = calls.filter((c) => c.method === "POST");
    expect(tokens.map((t) => [t.path, t.status, (t.body as Json).client_id, (t.body as Json).client_secret, (t.body as Json).scope])).toEqual([
      [`/${TENANT_A}/oauth2/v2.0/token`, 401, CLIENT_A.clientId, "[redacted]", "https://api.securitycenter.microsoft.com/.default"],
    ]);
  });

  it.each([{ firewall: "aws_sg", label: "AWS" }])("block-ip on $firewall without its settings: 422 before anything is written", async ({ firewall, label }) => {
    const { emu, server } = live();
    const before = (await allActions(server)).length;
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/block-ip", { ip: "203.0.113.80", firewall_type: firewall });
    const message = `${label} is not configured for tenant ${TENANT_A}`;
    expectProblem(r, { ...invalidBody("firewall_type", message), detail: `firewall_type: ${message}` });
    expect((await allActions(server)).length).toBe(before);
    expect(since(emu, from)).toEqual([]);
  });

  it("the secret never appears: not in an answer, the audit log or the server's output", async () => {
    const { server } = live();
    for (const a of await allActions(server)) await api.get(`/api/v1/mdr/actions/${a.id}`);
    await api.get("/api/v1/mdr/actions");
    expect(api.texts.length).toBeGreaterThanOrEqual(5);
    expectNoSecrets([...api.texts, server.output()], [WRONG_SECRET, CLIENT_A.clientSecret]);
    expect((await get(server, "/api/v1/mdr/status")).body.services.defender.error).not.toContain("secret-value");
  });
});
