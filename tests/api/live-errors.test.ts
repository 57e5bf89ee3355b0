// The live adapters when the outside APIs misbehave, against the emulator: service status (the
// probe calls, up and down), permissions missing (403), throttling (429 + Retry-After), 5xx retried
// only where repeating is safe, and secrets never shown in an answer or the audit log.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ACL_A, AWS_KEY, CLIENT_A, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import type { RecordedRequest } from "../emulator/server";
import {
  type Json,
  type ProblemType,
  type Reply,
  GUID,
  anyActionId,
  anyIso,
  expectAction,
  expectProblem,
  problem,
  steps,
  withoutTimeline,
} from "./helpers";
import { AUDIENCE, REGION, Recorder, apiCalls, expectNoSecrets, gapMs, isolateRow, liveAction, liveSetup, mark, nsgPath, since } from "./live";

const live = liveSetup({ name: "live-errors" });
const api = new Recorder(() => live().server);

const ISOLATE = "/api/v1/mdr/isolate";
const STATUS = "/api/v1/mdr/status";
const up = { status: "up", latency_ms: expect.any(Number), error: null };

async function detailOf(id: string, rec = api): Promise<Json> {
  const r = await rec.get(`/api/v1/mdr/actions/${id}`);
  expect(r.status).toBe(200);
  return r.body;
}

/** Asserts a failed or refused action: the whole problem, the row, the timeline. */
async function expectRecorded(reply: Reply, type: ProblemType, message: string, row: Record<string, unknown>, timeline: [string, string][], rec = api) {
  expectProblem(reply, problem(type, message, { action_id: anyActionId(), action_status: row.status }));
  const d = await detailOf(reply.body.action_id, rec);
  expect(withoutTimeline(d)).toEqual({ ...liveAction(row), id: reply.body.action_id, error: message, completed_at: d.updated_at });
  expect(steps(d)).toEqual(timeline);
  return d;
}

describe("live status", () => {
  it("tokens: one client-credentials request per resource, in tenant A with app A's id, then cached", async () => {
    const { emu } = live();
    // The server's readiness check (GET /status) probed every service once before this test.
    const tokens = emu.find({ service: "entra", method: "POST", path: "/oauth2/v2.0/token" });
    expect(tokens.map((t) => ({ path: t.path, status: t.status, body: t.body })).sort((a, b) => String((a.body as Json).scope).localeCompare((b.body as Json).scope))).toEqual(
      ["https://api.securitycenter.microsoft.com/.default", "https://graph.microsoft.com/.default", "https://management.azure.com/.default"].map((scope) => ({
        path: `/${TENANT_A}/oauth2/v2.0/token`,
        status: 200,
        body: expect.objectContaining({ grant_type: "client_credentials", client_id: CLIENT_A.clientId, client_secret: "[redacted]", scope }),
      })),
    );
  });

  it("every configured service up, with its latency; the probes are the cheapest authenticated reads", async () => {
    const { emu } = live();
    const from = mark(emu);
    const r = await api.get(STATUS);
    expect({ status: r.status, body: r.body }).toEqual({
      status: 200,
      body: { status: "healthy", mode: "live", checked_at: anyIso(), services: { defender: up, graph: up, azure_nsg: up, aws: up, aws_waf: { status: "not_configured", latency_ms: null, error: null } } },
    });
    const calls = since(emu, from);
    const by = (service: string) => calls.filter((c) => c.service === service);
    expect(by("defender").map((c) => [c.method, c.path, c.query, c.status, c.auth])).toEqual([
      ["GET", "/api/machines", { $top: "1" }, 200, expect.objectContaining({ valid: true, audience: AUDIENCE.defender, tenantId: TENANT_A, clientId: CLIENT_A.clientId })],
    ]);
    expect(by("graph").map((c) => [c.method, c.path, c.query, c.status, c.auth])).toEqual([
      ["GET", "/v1.0/organization", { $select: "id" }, 200, expect.objectContaining({ valid: true, audience: AUDIENCE.graph, tenantId: TENANT_A, clientId: CLIENT_A.clientId })],
    ]);
    expect(by("arm").map((c) => [c.method, c.path, c.query, c.status, c.auth])).toEqual([
      ["GET", nsgPath(), { "api-version": "2025-05-01" }, 200, expect.objectContaining({ valid: true, audience: AUDIENCE.arm, tenantId: TENANT_A, clientId: CLIENT_A.clientId })],
    ]);
    expect(by("ec2").map((c) => [c.action, c.body, c.status, c.auth])).toEqual([
      [
        "DescribeNetworkAcls",
        { Action: "DescribeNetworkAcls", Version: "2016-11-15", "NetworkAclId.1": ACL_A },
        200,
        { kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: REGION, service: "ec2" },
      ],
    ]);
    expect(by("entra")).toEqual([]);
    expect(calls).toHaveLength(4);
  });

  it("each service down when the emulator fails its probe (after the retries), with the error", async () => {
    const { emu } = live();
    const faults = [
      emu.setFault({ match: /^GET \/api\/machines$/, status: 500, times: Infinity }),
      emu.setFault({ match: "GET /v1.0/organization", status: 503, times: Infinity }),
      emu.setFault({ match: { service: "arm", method: "GET", path: /\/networkSecurityGroups\/[^/]+$/ }, status: 500, times: Infinity }),
      emu.setFault({ match: "ec2:DescribeNetworkAcls", status: 503, times: Infinity }),
    ];
    try {
      const from = mark(emu);
      const r = await api.get(STATUS);
      const down = (error: string) => ({ status: "down", latency_ms: expect.any(Number), error });
      expect({ status: r.status, body: r.body }).toEqual({
        status: 200,
        body: {
          status: "unhealthy",
          mode: "live",
          checked_at: anyIso(),
          services: {
            defender: down("[Defender] 500 InternalServerError on GET /api/machines: Injected fault: InternalServerError."),
            graph: down("[Graph] 503 serviceNotAvailable on GET /organization: Injected fault: ServiceUnavailable."),
            azure_nsg: down("[Azure NSG] 500 InternalServerError on GET networkSecurityGroup: Injected fault: InternalServerError."),
            aws: down("[AWS] 503 RequestLimitExceeded on DescribeNetworkAcls: Request limit exceeded."),
            aws_waf: { status: "not_configured", latency_ms: null, error: null },
          },
        },
      });
      // Reads are retried: three tries each.
      expect(faults.map((f) => f.hits)).toEqual([3, 3, 3, 3]);
      expect(since(emu, from).filter((c) => !c.fault)).toEqual([]);
    } finally {
      emu.clearFaults();
    }
    expect((await api.get(STATUS)).body.status).toBe("healthy");
  });
});

describe("live errors", () => {
  beforeEach(() => {
    const { emu } = live();
    emu.clearFaults();
    emu.setPermissions(CLIENT_A.clientId, "all");
  });

  it("ARM 403 on the rule PUT: 502 naming the role it needs, with ARM's own message", async () => {
    const { emu } = live();
    emu.setPermissions(CLIENT_A.clientId, ["Microsoft.Network/networkSecurityGroups/read"]);
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/block-ip", { ip: "203.0.113.50", firewall_type: "azure_nsg" });
    const put = since(emu, from, { method: "PUT" });
    expect(put.map((p) => p.status)).toEqual([403]);
    const armMessage = (put[0]!.responseBody as { error: { message: string } }).error.message;
    expect(armMessage).toContain("'Microsoft.Network/networkSecurityGroups/securityRules/write'");
    const message = `[Azure NSG] 403 AuthorizationFailed on PUT securityRules/mdr-block-${r.body.action_id}: the app registration needs Microsoft.Network/networkSecurityGroups/securityRules/write and /delete on the NSG (for example the Network Contributor role). ${armMessage.slice(0, 300)}`;
    await expectRecorded(
      r,
      "provider-error",
      message,
      {
        type: "block_ip",
        status: "failed",
        target: "203.0.113.50",
        provider: "azure_nsg",
        parameters: { ip: "203.0.113.50", firewall_type: "azure_nsg", priority: null, duration_hours: 24 },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
  });

  it("EC2 403 UnauthorizedOperation: 502 naming the EC2 permissions", async () => {
    const { emu } = live();
    emu.setFault({ match: "ec2:CreateNetworkAclEntry", status: 403 });
    const r = await api.post("/api/v1/mdr/block-ip", { ip: "198.51.100.50", firewall_type: "aws_sg" });
    const message =
      "[AWS] 403 UnauthorizedOperation on CreateNetworkAclEntry: the credentials need ec2:DescribeNetworkAcls, ec2:CreateNetworkAclEntry and ec2:DeleteNetworkAclEntry. Injected fault: Forbidden.";
    await expectRecorded(
      r,
      "provider-error",
      message,
      {
        type: "block_ip",
        status: "failed",
        target: "198.51.100.50",
        provider: "aws_sg",
        parameters: { ip: "198.51.100.50", firewall_type: "aws_sg", priority: null, duration_hours: 24 },
        // The entry it was about to write, recorded before the call (for recovery after a crash).
        result: { network_acl_id: ACL_A, rule_number: 1, cidr: "198.51.100.50/32" },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
    expect(emu.acl(ACL_A).entries.some((e) => e.cidrBlock === "198.51.100.50/32")).toBe(false);
  });

  it("429 with Retry-After on POST isolate: waited as asked, tried again, accepted (two calls received)", async () => {
    const { emu } = live();
    const ws = emu.device(TENANT_A, "ws-0142.contoso.com");
    emu.setFault({ match: "POST /isolate", status: 429, retryAfter: 1 });
    const from = mark(emu);
    const r = await api.post(ISOLATE, { hostname: "ws-0142.contoso.com" });
    expectAction(
      r,
      202,
      liveAction({
        ...isolateRow("ws-0142.contoso.com"),
        status: "in_progress",
        provider_ref: expect.stringMatching(GUID),
        result: { machine_id: ws.id, computer_dns_name: "ws-0142.contoso.com", machine_action_status: "Pending" },
      }),
    );
    const posts = since(emu, from, { method: "POST", path: "/isolate" });
    expect(posts.map((p) => [p.status, p.fault ?? false])).toEqual([
      [429, true],
      [201, false],
    ]);
    expect(gapMs(posts[0]!, posts[1]!)).toBeGreaterThanOrEqual(1000);
    expect(posts[1]!.body).toEqual(posts[0]!.body);
  });

  it("429 with Retry-After on a Graph PATCH: waited as asked, tried again, the user disabled (two calls received)", async () => {
    const { emu } = live();
    emu.setFault({ match: "PATCH /v1.0/users/", status: 429, retryAfter: 1 });
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/disable-user", { upn: "alex.wilber@contoso.com" });
    expect(r.status).toBe(201);
    const patches = since(emu, from, { method: "PATCH" });
    expect(patches.map((p) => p.status)).toEqual([429, 204]);
    expect(gapMs(patches[0]!, patches[1]!)).toBeGreaterThanOrEqual(1000);
    expect(emu.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled).toBe(false);
  });

  it("429 that does not stop: three tries, then 503 passing Retry-After on, recorded failed", async () => {
    const { emu } = live();
    emu.setFault({ match: "POST /api/indicators", status: 429, retryAfter: 1, times: Infinity });
    const from = mark(emu);
    const r = await api.post("/api/v1/mdr/block-ip", { ip: "185.220.101.60" });
    const message = "[Defender] 429 TooManyRequests on POST /api/indicators: Rate limit is exceeded. Try again later.";
    await expectRecorded(
      r,
      "provider-unavailable",
      message,
      {
        type: "block_ip",
        status: "failed",
        target: "185.220.101.60",
        provider: "defender",
        parameters: { ip: "185.220.101.60", firewall_type: "defender", priority: null, duration_hours: 24 },
        expires_at: anyIso(),
      },
      [
        ["pending", "Requested by token:tests"],
        ["failed", message],
      ],
    );
    expect(r.headers.get("retry-after")).toBe("1");
    const posts = since(emu, from, { method: "POST", path: "/api/indicators" });
    expect(posts.map((p) => p.status)).toEqual([429, 429, 429]);
    expect(gapMs(posts[0]!, posts[1]!)).toBeGreaterThanOrEqual(1000);
    expect(gapMs(posts[1]!, posts[2]!)).toBeGreaterThanOrEqual(1000);
  });

  it("a 5xx on an idempotent read (GET machines) is retried, and the isolation goes ahead", async () => {
    const { emu } = live();
    const ws = emu.device(TENANT_A, "srv-db01.contoso.com");
    emu.setFault({ match: /^GET \/api\/machines$/, status: 503 });
    const from = mark(emu);
    const r = await api.post(ISOLATE, { hostname: "srv-db01.contoso.com" });
    expect(r.status).toBe(202);
    expect(apiCalls(emu, from, { path: "/api/machines" }).map((c) => [c.method, c.path, c.query.$filter, c.status])).toEqual([
      ["GET", "/api/machines", "computerDnsName eq 'srv-db01.contoso.com'", 503],
      ["GET", "/api/machines", "computerDnsName eq 'srv-db01.contoso.com'", 200],
      ["POST", `/api/machines/${ws.id}/isolate`, undefined, 201],
    ]);
  });

  it("a 5xx on POST isolate is not repeated (it may have been acted on): 503 with the action id, one call", async () => {
    const { emu } = live();
    const ws = emu.device(TENANT_A, "laptop-offline.contoso.com");
    // Only the first POST fails: a retry would have succeeded.
    emu.setFault({ match: "POST /isolate", status: 503 });
    const from = mark(emu);
    const r = await api.post(ISOLATE, { hostname: "laptop-offline.contoso.com" });
    const message = `[Defender] 503 ServiceUnavailable on POST /api/machines/${ws.id}/isolate: Injected fault: ServiceUnavailable.`;
    await expectRecorded(
      r,
      "provider-unavailable",
      message,
      isolateRow("laptop-offline.contoso.com", {
        status: "failed",
        result: { machine_id: ws.id, computer_dns_name: "laptop-offline.contoso.com" },
      }),
      [
        ["pending", "Requested by token:tests"],
        ["pending", `Resolved to device ${ws.id} (laptop-offline.contoso.com)`],
        ["failed", message],
      ],
    );
    expect(since(emu, from, { method: "POST", path: "/isolate" }).map((p: RecordedRequest) => p.status)).toEqual([503]);
  });

  it("an unknown machine: the provider's 404 is a 404, recorded rejected", async () => {
    const id = "cd".repeat(20);
    const r = await api.post(ISOLATE, { machine_id: id });
    const message = `[Defender] 404 ResourceNotFound on GET /api/machines/${id}: Machine ${id} was not found`;
    await expectRecorded(
      r,
      "not-found",
      message,
      { type: "isolate_endpoint", status: "rejected", target: id, provider: "defender", parameters: { hostname: null, machine_id: id, isolation_type: "Full" } },
      [
        ["pending", "Requested by token:tests"],
        ["rejected", message],
      ],
    );
  });
});

describe("live secrets", () => {
  afterAll(() => {
    // Nothing this file was ever answered — actions, problems, statuses — holds a secret.
    expectNoSecrets(api.texts, [CLIENT_A.clientSecret, AWS_KEY.secretAccessKey]);
  });

  it("no client secret or AWS secret key in any audit row (every row and timeline, via GET /actions)", async () => {
    const { server } = live();
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await api.get(`/api/v1/mdr/actions?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      ids.push(...r.body.actions.map((a: Json) => a.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    // (The Defender 403 case has a server of its own, below: it checks its answers the same way.)
    expect(ids.length).toBeGreaterThanOrEqual(8);
    for (const id of ids) await detailOf(id);
    expectNoSecrets(api.texts, [CLIENT_A.clientSecret, AWS_KEY.secretAccessKey]);
    // Nor in what the server logged.
    expectNoSecrets([server.output()], [CLIENT_A.clientSecret, AWS_KEY.secretAccessKey]);
    // The subscription is not a secret, but it must be where the calls went.
    expect(live().emu.find({ service: "arm" }).every((c) => c.path.includes(SUBSCRIPTION_A))).toBe(true);
  });
});

describe("a Defender permission taken away", () => {
  // Defender reads the permissions from the token, and the server keeps a token until shortly
  // before it expires: here tokens last less than MSAL's 5-minute renewal margin, so the server
  // fetches one for each call and the change reaches its next call.
  const fresh = liveSetup({ name: "live-errors-permission", emulator: { tokenLifetimeSeconds: 240 } });
  const rec = new Recorder(() => fresh().server);

  it("Defender 403 on isolate: 502 naming Machine.Isolate, recorded failed", async () => {
    const { emu } = fresh();
    const ws = emu.device(TENANT_A, "ws-0143.contoso.com");
    emu.setPermissions(CLIENT_A.clientId, ["Machine.Read.All"]);
    const r = await rec.post(ISOLATE, { hostname: "ws-0143.contoso.com" });
    const message = `[Defender] 403 Forbidden on POST /api/machines/${ws.id}/isolate: the app registration needs the Machine.Isolate application permission (admin-consented). The application does not have any of the required application permissions (Machine.Isolate) to access the resource.`;
    await expectRecorded(
      r,
      "provider-error",
      message,
      isolateRow("ws-0143.contoso.com", { status: "failed", result: { machine_id: ws.id, computer_dns_name: "ws-0143.contoso.com" } }),
      [
        ["pending", "Requested by token:tests"],
        ["pending", `Resolved to device ${ws.id} (ws-0143.contoso.com)`],
        ["failed", message],
      ],
      rec,
    );
    expect(ws.isolated).toBe(false);
    expectNoSecrets(rec.texts, [CLIENT_A.clientSecret, AWS_KEY.secretAccessKey]);
    expectNoSecrets([fresh().server.output()], [CLIENT_A.clientSecret, AWS_KEY.secretAccessKey]);
  });
});
