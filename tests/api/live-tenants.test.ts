// Two tenants from MDR_TENANTS_FILE, each with its own app registration, subscription, network ACL
// and AWS keys, against the emulator: an action in tenant B signs in as B's app (the token's tid
// and appid as the emulator saw them) and touches only B's resources; tenant A is the default; an
// unconfigured tenant is refused.
import { describe, expect, it } from "vitest";
import { ACL_A, ACL_B, CLIENT_A, CLIENT_B, NSG, RESOURCE_GROUP, SUBSCRIPTION_A, SUBSCRIPTION_B, TENANT_A, TENANT_B } from "../emulator/fixtures";
import { eventually } from "../support/server";
import { type Json, GUID, anyIso, countActions, detail, expectAction, expectProblem, get, invalidBody, steps } from "./helpers";
import { AUDIENCE, KEY_A, KEY_B, Recorder, TWO_TENANTS, bearer, expectNoSecrets, liveAction, liveSetup, mark, nsgPath, since } from "./live";

// EC2 knows each tenant's key (and checks its signature); the one endpoint stands in for both regions'.
const live = liveSetup({ name: "live-tenants", ...TWO_TENANTS });
const api = new Recorder(() => live().server);

const sigv4 = (key: { id: string }, region: string) => ({ kind: "sigv4", accessKeyId: key.id, region, service: "ec2" });
const inB = (over: Record<string, unknown>) => liveAction({ tenant_id: TENANT_B, ...over });

describe("live, two tenants from MDR_TENANTS_FILE", () => {
  it("status probes the default (first) tenant: its NSG is not configured", async () => {
    const { emu } = live();
    const from = mark(emu);
    const r = await api.get("/api/v1/mdr/status");
    const up = { status: "up", latency_ms: expect.any(Number), error: null };
    expect(r.body).toEqual({
      status: "healthy",
      mode: "live",
      checked_at: anyIso(),
      services: { defender: up, graph: up, azure_nsg: { status: "not_configured", latency_ms: null, error: null }, aws: up, aws_waf: { status: "not_configured", latency_ms: null, error: null } },
    });
    for (const c of since(emu, from)) {
      expect(c.auth).toMatchObject(c.service === "ec2" ? sigv4(KEY_A, "eu-west-1") : { tenantId: TENANT_A, clientId: CLIENT_A.clientId });
    }
  });

  it("isolate in tenant B (any case): B's app signs in to B; B's device; tenant A's namesake untouched", async () => {
    const { emu, server } = live();
    const device = emu.device(TENANT_B, "ws-0142.fabrikam.com");
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/isolate", { hostname: "ws-0142", tenant_id: TENANT_B.toUpperCase() });
    expectAction(
      r,
      202,
      inB({
        type: "isolate_endpoint",
        status: "in_progress",
        target: "ws-0142",
        provider: "defender",
        parameters: { hostname: "ws-0142", machine_id: null, isolation_type: "Full" },
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: device.id, computer_dns_name: "ws-0142.fabrikam.com", machine_action_status: "Pending" },
      }),
    );
    const defender = since(emu, from, { service: "defender" }).filter((c) => !c.path.startsWith("/api/machineactions"));
    expect(defender.map((c) => [c.method, c.path, c.query.$filter ?? null])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'ws-0142'"],
      ["GET", "/api/machines", "startswith(computerDnsName,'ws-0142.')"],
      ["POST", `/api/machines/${device.id}/isolate`, null],
    ]);
    for (const c of defender) expect(c.auth).toEqual(bearer(AUDIENCE.defender, TENANT_B, CLIENT_B.clientId));
    // B's first token: asked of B's tenant with B's client id.
    expect(since(emu, from, { service: "entra", method: "POST" }).map((t) => [t.path, (t.body as Json).client_id, (t.body as Json).scope])).toEqual([
      [`/${TENANT_B}/oauth2/v2.0/token`, CLIENT_B.clientId, "https://api.securitycenter.microsoft.com/.default"],
    ]);
    expect(emu.tenant(TENANT_B).machineActions.get(r.body.provider_ref)?.requestor).toBe(CLIENT_B.clientId);
    const done = await eventually(async () => ((await detail(server, r.body.id)).status === "succeeded" ? true : undefined), 10_000, "B's isolation");
    expect(done).toBe(true);
    expect([device.isolated, emu.device(TENANT_A, "ws-0142.contoso.com").isolated]).toEqual([true, false]);
  });

  it("without tenant_id: the default tenant A, with A's app", async () => {
    const { emu } = live();
    const device = emu.device(TENANT_A, "ws-0143.contoso.com");
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/isolate", { hostname: "ws-0143.contoso.com" });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ tenant_id: TENANT_A, result: { machine_id: device.id } });
    for (const c of since(emu, from, { service: "defender" })) expect(c.auth).toEqual(bearer(AUDIENCE.defender));
  });

  it("block on B's NSG: B's subscription, B's priority range, B's token; A's subscription untouched", async () => {
    const { emu } = live();
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/block-ip", { ip: "203.0.113.90", firewall_type: "azure_nsg", tenant_id: TENANT_B });
    const rule = `mdr-block-${r.body.id}`;
    expectAction(
      r,
      201,
      inB({
        type: "block_ip",
        status: "succeeded",
        target: "203.0.113.90",
        provider: "azure_nsg",
        parameters: { ip: "203.0.113.90", firewall_type: "azure_nsg", priority: null, duration_hours: 24 },
        provider_ref: rule,
        result: { rule_name: rule, priority: 200, nsg: NSG },
        active: true,
        completed_at: anyIso(),
        expires_at: anyIso(),
      }),
    );
    const arm = since(emu, from, { service: "arm" });
    expect(arm.slice(0, 2).map((c) => [c.method, c.path])).toEqual([
      ["GET", nsgPath(SUBSCRIPTION_B)],
      ["PUT", nsgPath(SUBSCRIPTION_B, rule)],
    ]);
    for (const c of arm) {
      expect(c.path.startsWith(`/subscriptions/${SUBSCRIPTION_B}/`)).toBe(true);
      expect(c.auth).toEqual(bearer(AUDIENCE.arm, TENANT_B, CLIENT_B.clientId));
    }
    expect(emu.nsg(SUBSCRIPTION_B, RESOURCE_GROUP, NSG).rules.get(rule.toLowerCase())?.properties.priority).toBe(200);
    expect(emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.has(rule.toLowerCase())).toBe(false);
  });

  it("block on each tenant's network ACL: its own ACL, rule range, region and access key", async () => {
    const { emu } = live();
    const from = mark(emu);
    const b = await api.post("/api/v1/mdr/block-ip", { ip: "198.51.100.90", firewall_type: "aws_sg", tenant_id: TENANT_B });
    const a = await api.post("/api/v1/mdr/block-ip", { ip: "198.51.100.91", firewall_type: "aws_sg" });
    expect([b.status, a.status]).toEqual([201, 201]);
    expect([b.body.tenant_id, b.body.provider_ref, b.body.result]).toEqual([TENANT_B, "10", { network_acl_id: ACL_B, rule_number: 10, cidr: "198.51.100.90/32" }]);
    expect([a.body.tenant_id, a.body.provider_ref, a.body.result]).toEqual([TENANT_A, "1", { network_acl_id: ACL_A, rule_number: 1, cidr: "198.51.100.91/32" }]);
    const creates = since(emu, from, { action: "CreateNetworkAclEntry" });
    expect(creates.map((c) => [(c.body as Json).NetworkAclId, (c.body as Json).RuleNumber, (c.body as Json).CidrBlock, c.auth])).toEqual([
      [ACL_B, "10", "198.51.100.90/32", sigv4(KEY_B, "us-east-2")],
      [ACL_A, "1", "198.51.100.91/32", sigv4(KEY_A, "eu-west-1")],
    ]);
  });

  it("the expiry sweep ends a tenant-B block with B's credentials on B's resources", async () => {
    const { emu, server } = live();
    // Marked before the blocks: the first may be swept before the second is made.
    const from = mark(emu);
    const nsgBlock = await api.post("/api/v1/mdr/block-ip", { ip: "203.0.113.91", firewall_type: "azure_nsg", tenant_id: TENANT_B, duration_hours: 0.0005 });
    const aclBlock = await api.post("/api/v1/mdr/block-ip", { ip: "198.51.100.92", firewall_type: "aws_sg", tenant_id: TENANT_B, duration_hours: 0.0005 });
    expect([nsgBlock.status, aclBlock.status]).toEqual([201, 201]);
    for (const made of [nsgBlock.body, aclBlock.body]) {
      const unblockId = await eventually(async () => (await detail(server, made.id)).reverted_by ?? undefined, 10_000, `${made.id} to be reverted`);
      const unblock = await detail(server, unblockId);
      expect(unblock).toMatchObject({ type: "unblock_ip", status: "succeeded", tenant_id: TENANT_B, requested_by: "system", reverts: made.id });
      expect(steps(unblock)).toEqual([
        ["pending", "Requested by system"],
        ["succeeded", `Removed rule ${made.provider_ref} from ${made.provider === "aws_sg" ? "AWS network ACL" : "Azure network security group"}`],
      ]);
    }
    const deleteRule = since(emu, from, { service: "arm", method: "DELETE" });
    expect(deleteRule.map((c) => [c.path, c.auth])).toEqual([
      [nsgPath(SUBSCRIPTION_B, nsgBlock.body.provider_ref), bearer(AUDIENCE.arm, TENANT_B, CLIENT_B.clientId)],
    ]);
    const deleteEntry = since(emu, from, { action: "DeleteNetworkAclEntry" });
    expect(deleteEntry.map((c) => [(c.body as Json).NetworkAclId, (c.body as Json).RuleNumber, c.auth])).toEqual([
      [ACL_B, aclBlock.body.provider_ref, sigv4(KEY_B, "us-east-2")],
    ]);
  });

  it("Graph in tenant B: B's user disabled with B's token; the same UPN is unknown in tenant A", async () => {
    const { emu } = live();
    const pat = emu.user(TENANT_B, "pat.doe@fabrikam.com");
    const from = mark(emu);
    const inA = await api.post("/api/v1/mdr/disable-user", { upn: "pat.doe@fabrikam.com" });
    expect({ status: inA.status, tenant: inA.body.action_id ? (await detail(live().server, inA.body.action_id)).tenant_id : null }).toEqual({
      status: 404,
      tenant: TENANT_A,
    });
    const r = await api.post("/api/v1/mdr/disable-user", { upn: "pat.doe@fabrikam.com", tenant_id: TENANT_B });
    expectAction(
      r,
      201,
      inB({
        type: "disable_user",
        status: "succeeded",
        target: "pat.doe@fabrikam.com",
        provider: "graph",
        parameters: { upn: "pat.doe@fabrikam.com", revoke_sessions: true },
        provider_ref: pat.id,
        result: { user_id: pat.id, was_enabled: true, sessions_revoked: true },
        active: true,
        completed_at: anyIso(),
      }),
    );
    const graph = since(emu, from, { service: "graph" });
    expect(graph.map((c) => c.auth)).toEqual([
      bearer(AUDIENCE.graph),
      bearer(AUDIENCE.graph, TENANT_B, CLIENT_B.clientId),
      bearer(AUDIENCE.graph, TENANT_B, CLIENT_B.clientId),
      bearer(AUDIENCE.graph, TENANT_B, CLIENT_B.clientId),
    ]);
    expect(pat.accountEnabled).toBe(false);
  });

  it("a tenant_id that is not configured: 422 naming the configured ones, nothing written", async () => {
    const { emu, server } = live();
    const before = await countActions(server);
    const from = mark(emu);
    for (const tenant of ["11111111-2222-4333-8444-555555555555", "contoso.com"]) {
      const r = await api.post("/api/v1/mdr/disable-user", { upn: "alex.wilber@contoso.com", tenant_id: tenant });
      const message = `is not a configured tenant; yours: ${TENANT_A}, ${TENANT_B}`;
      expectProblem(r, { ...invalidBody("tenant_id", message), detail: `tenant_id: ${message}` });
    }
    const noNsg = await api.post("/api/v1/mdr/block-ip", { ip: "203.0.113.92", firewall_type: "azure_nsg", tenant_id: TENANT_A });
    const message = `Azure NSG is not configured for tenant ${TENANT_A}`;
    expectProblem(noNsg, { ...invalidBody("firewall_type", message), detail: `firewall_type: ${message}` });
    expect(await countActions(server)).toBe(before);
    expect(since(emu, from)).toEqual([]);
  });

  it("no secret of either tenant in any answer or audit row", async () => {
    const { server } = live();
    const all = await get(server, "/api/v1/mdr/actions?limit=200");
    for (const a of all.body.actions) await api.get(`/api/v1/mdr/actions/${a.id}`);
    expectNoSecrets([...api.texts, server.output()], [CLIENT_A.clientSecret, CLIENT_B.clientSecret, KEY_A.secret, KEY_B.secret]);
  });
});
