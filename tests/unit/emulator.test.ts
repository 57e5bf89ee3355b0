// Proves the emulator in tests/emulator speaks the real wire formats: the official clients
// (msal-node, @microsoft/microsoft-graph-client, @azure/arm-network, @aws-sdk/client-ec2, and
// plain fetch for Defender) run against it unmodified, with TLS verification on.
//
// TLS: node reads NODE_EXTRA_CA_CERTS only at start-up, and this file's vitest worker was
// started without it. So when the worker does not already trust an emulator certificate
// (e.g. through tests/emulator/global-setup.ts), the suite makes a certificate and re-runs
// this file in a child vitest whose environment trusts it, then reports the child's result
// for each case under the same name. In the child (or a trusting worker) the cases run directly.
import { spawn } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { CreateNetworkAclEntryCommand, DeleteNetworkAclEntryCommand, DescribeNetworkAclsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { NetworkManagementClient } from "@azure/arm-network";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { certsFromEnv, makeCerts, processTrusts, trustEnv } from "../emulator/certs";
import {
  ACL_A,
  AWS_KEY,
  CLIENT_A,
  CLIENT_B,
  exampleSeed,
  NSG,
  RESOURCE_GROUP,
  SCOPES,
  SUBSCRIPTION_A,
  TENANT_A,
  TENANT_B,
} from "../emulator/fixtures";
import { evalFilter, ODataError, parseFilter } from "../emulator/odata";
import { NETWORK_API_VERSIONS } from "../emulator/arm";
import { DEFENDER_PERMISSIONS, GRAPH_PERMISSIONS } from "../emulator/permissions";
import { type Emulator, startEmulator } from "../emulator/server";
import { DEFENDER_WINDOWS, Throttle } from "../emulator/throttle";

type TokenCredential = ConstructorParameters<typeof NetworkManagementClient>[0];

const ROOT = path.resolve(__dirname, "../..");
const THIS_FILE = path.relative(ROOT, __filename);
const CHILD_FLAG = "MDR_EMULATOR_TEST_CHILD";

const trustedCerts = certsFromEnv();
const trusted = trustedCerts !== undefined && processTrusts(trustedCerts);

/** Temp dirs (certificates, reports) this file made, removed when it is done. */
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
function freshCerts(): ReturnType<typeof makeCerts> {
  const certs = makeCerts();
  tempDirs.push(certs.dir);
  return certs;
}

// ---------------------------------------------------------------------------------------
// Helpers used by the cases
// ---------------------------------------------------------------------------------------

let emu: Emulator;

function msal(tenantId: string, clientId: string, clientSecret: string): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret,
      authority: `${emu.url}/${tenantId}`,
      // Without this MSAL asks the real login.microsoftonline.com for instance metadata.
      knownAuthorities: [new URL(emu.url).host],
    },
  });
}

async function tokenFor(scope: string, tenantId = TENANT_A, client = CLIENT_A): Promise<string> {
  const result = await msal(tenantId, client.clientId, client.clientSecret).acquireTokenByClientCredential({ scopes: [scope] });
  if (!result) throw new Error("MSAL returned no token");
  return result.accessToken;
}

/** A TokenCredential backed by msal-node, as the product's ARM adapter builds one. */
function msalCredential(tenantId: string, client: { clientId: string; clientSecret: string }): TokenCredential {
  const app = msal(tenantId, client.clientId, client.clientSecret);
  return {
    async getToken(scopes) {
      const result = await app.acquireTokenByClientCredential({ scopes: Array.isArray(scopes) ? scopes : [scopes] });
      if (!result) return null;
      return { token: result.accessToken, expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 3_000_000 };
    },
  };
}

function graph(token: string, customHosts = true): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => token },
    baseUrl: emu.url,
    // The client sends the token only to Graph's own hosts or these (hostnames, no port).
    ...(customHosts ? { customHosts: new Set([new URL(emu.url).hostname]) } : {}),
  });
}

function armClient(tenantId = TENANT_A, client = CLIENT_A, subscriptionId = SUBSCRIPTION_A): NetworkManagementClient {
  return new NetworkManagementClient(msalCredential(tenantId, client), subscriptionId, {
    endpoint: emu.url,
    credentialScopes: [SCOPES.arm],
  });
}

async function defender(token: string, method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${emu.url}${pathAndQuery}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

function field(value: unknown, ...keys: string[]): unknown {
  let cur = value;
  for (const k of keys) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

// ---------------------------------------------------------------------------------------
// Cases that need TLS trust (run directly when trusted, else in a child process)
// ---------------------------------------------------------------------------------------

interface Case {
  name: string;
  run: () => Promise<void>;
}
const cases: Case[] = [];
function sdkCase(name: string, run: () => Promise<void>): void {
  cases.push({ name, run });
}

sdkCase("msal-node: discovery then a client-credentials token that names tenant, app and audience", async () => {
  const app = msal(TENANT_A, CLIENT_A.clientId, CLIENT_A.clientSecret);
  const result = await app.acquireTokenByClientCredential({ scopes: [SCOPES.defender] });
  const claims = emu.decodeToken(result?.accessToken ?? "");
  expect(claims).toMatchObject({ aud: "https://api.securitycenter.microsoft.com", tid: TENANT_A, appid: CLIENT_A.clientId });
  expect(result?.expiresOn?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);

  const entra = emu.find({ service: "entra" });
  expect(entra.map((r) => `${r.method} ${r.path}`)).toEqual([
    `GET /${TENANT_A}/v2.0/.well-known/openid-configuration`,
    `POST /${TENANT_A}/oauth2/v2.0/token`,
  ]);
  expect(entra[1]?.body).toMatchObject({
    grant_type: "client_credentials",
    client_id: CLIENT_A.clientId,
    client_secret: "[redacted]",
    scope: SCOPES.defender,
  });

  // MSAL caches the token: a second call makes no request.
  await app.acquireTokenByClientCredential({ scopes: [SCOPES.defender] });
  expect(emu.find({ service: "entra", method: "POST" })).toHaveLength(1);
});

sdkCase("msal-node: a wrong secret fails with AADSTS7000215 invalid_client (401)", async () => {
  const err = await rejection(msal(TENANT_A, CLIENT_A.clientId, "not-the-secret").acquireTokenByClientCredential({ scopes: [SCOPES.graph] }));
  expect(err).toMatchObject({ errorCode: "invalid_client" });
  expect(String(field(err, "errorMessage"))).toContain("AADSTS7000215");
  expect(emu.find({ service: "entra", method: "POST" })[0]?.status).toBe(401);
});

sdkCase("msal-node: tenants keep their own apps (B's app in tenant A: AADSTS700016)", async () => {
  const err = await rejection(msal(TENANT_A, CLIENT_B.clientId, CLIENT_B.clientSecret).acquireTokenByClientCredential({ scopes: [SCOPES.graph] }));
  expect(err).toMatchObject({ errorCode: "unauthorized_client" });
  expect(String(field(err, "errorMessage"))).toContain("AADSTS700016");
  const token = await tokenFor(SCOPES.graph, TENANT_B, CLIENT_B);
  expect(emu.decodeToken(token)).toMatchObject({ tid: TENANT_B, appid: CLIENT_B.clientId, aud: "https://graph.microsoft.com" });
});

sdkCase("msal-node: a scope without /.default is refused (AADSTS1002012)", async () => {
  const err = await rejection(
    msal(TENANT_A, CLIENT_A.clientId, CLIENT_A.clientSecret).acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/User.ReadWrite.All"] }),
  );
  expect(err).toMatchObject({ errorCode: "invalid_scope" });
});

sdkCase("Graph client: disable a user (PATCH 204), read it back, revoke sessions", async () => {
  const client = graph(await tokenFor(SCOPES.graph));
  await client.api("/users/alex.wilber@contoso.com").patch({ accountEnabled: false });
  expect(emu.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled).toBe(false);
  const patch = emu.find({ service: "graph", method: "PATCH" })[0];
  expect(patch).toMatchObject({ status: 204, body: { accountEnabled: false }, auth: { kind: "bearer", valid: true, audience: "https://graph.microsoft.com", tenantId: TENANT_A } });

  // accountEnabled is not in Graph's default property set: it takes $select.
  const plain = (await client.api("/users/alex.wilber@contoso.com").get()) as Record<string, unknown>;
  expect(plain.accountEnabled).toBeUndefined();
  const selected = (await client.api("/users/alex.wilber@contoso.com").select("id,accountEnabled").get()) as Record<string, unknown>;
  expect(selected).toMatchObject({ accountEnabled: false, id: emu.user(TENANT_A, "alex.wilber@contoso.com").id });

  const revoked = (await client.api("/users/alex.wilber@contoso.com/revokeSignInSessions").post({})) as Record<string, unknown>;
  expect(revoked).toMatchObject({ value: true, "@odata.context": expect.stringContaining("$metadata#Edm.Boolean") });
  expect(emu.user(TENANT_A, "alex.wilber@contoso.com").sessionsRevokedAt).toHaveLength(1);
});

sdkCase("Graph client: find a message by Message-ID, move it (new id), purge it", async () => {
  const client = graph(await tokenFor(SCOPES.graph));
  const found = (await client
    .api("/users/alex.wilber@contoso.com/messages")
    .filter("internetMessageId eq '<phish-1@evil.example>'")
    .select("id,subject,parentFolderId")
    .get()) as { value: { id: string; subject: string }[] };
  expect(found.value).toHaveLength(1);
  const original = found.value[0];
  expect(original?.subject).toBe("Invoice overdue");

  const moved = (await client.api(`/users/alex.wilber@contoso.com/messages/${original?.id ?? ""}/move`).post({ destinationId: "junkemail" })) as {
    id: string;
    parentFolderId: string;
  };
  expect(moved.id).not.toBe(original?.id);
  expect(moved.parentFolderId).toBe(emu.mailbox(TENANT_A, "alex.wilber@contoso.com").folderIds.junkemail);
  expect(emu.find({ service: "graph", path: "/move" })[0]?.status).toBe(201);

  // The old id is gone.
  const gone = await rejection(client.api(`/users/alex.wilber@contoso.com/messages/${original?.id ?? ""}`).get());
  expect(gone).toBeInstanceOf(GraphError);
  expect(gone).toMatchObject({ statusCode: 404, code: "ErrorItemNotFound" });

  await client.api(`/users/alex.wilber@contoso.com/messages/${moved.id}/permanentDelete`).post({});
  const mailbox = emu.mailbox(TENANT_A, "alex.wilber@contoso.com");
  expect(mailbox.messages.has(moved.id)).toBe(false);
  expect(mailbox.purged.map((m) => m.internetMessageId)).toEqual(["<phish-1@evil.example>"]);
});

sdkCase("Graph client: errors in Graph's shape (404 user, 401 without customHosts, 401 wrong audience, 403 privileged)", async () => {
  const token = await tokenFor(SCOPES.graph);
  const missing = await rejection(graph(token).api("/users/nobody@contoso.com").patch({ accountEnabled: false }));
  expect(missing).toMatchObject({ statusCode: 404, code: "Request_ResourceNotFound" });
  expect(field(missing, "body")).toBeDefined();

  // Without customHosts the client silently sends no token to a non-Graph host.
  const noToken = await rejection(graph(token, false).api("/users/alex.wilber@contoso.com").get());
  expect(noToken).toMatchObject({ statusCode: 401, code: "InvalidAuthenticationToken", message: "Access token is empty." });

  const wrongAudience = await rejection(graph(await tokenFor(SCOPES.defender)).api("/users/alex.wilber@contoso.com").get());
  expect(wrongAudience).toMatchObject({ statusCode: 401, code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." });

  const privileged = await rejection(graph(token).api("/users/admin@contoso.com").patch({ accountEnabled: false }));
  expect(privileged).toMatchObject({ statusCode: 403, code: "Authorization_RequestDenied" });

  const org = (await graph(token).api("/organization").select("id").get()) as { value: { id: string }[] };
  expect(org.value).toEqual([{ id: TENANT_A }]);
});

sdkCase("Graph client: a 429 with Retry-After is retried by the client's RetryHandler", async () => {
  const fault = emu.setFault({ match: "PATCH /v1.0/users/", status: 429, retryAfter: 1, times: 1 });
  await graph(await tokenFor(SCOPES.graph)).api("/users/alex.wilber@contoso.com").patch({ accountEnabled: false });
  expect(fault.hits).toBe(1);
  expect(emu.find({ service: "graph", method: "PATCH" }).map((r) => r.status)).toEqual([429, 204]);
});

sdkCase("arm-network: create and delete an NSG rule through the LRO protocol", async () => {
  const client = armClient();
  const rule = await client.securityRules.beginCreateOrUpdateAndWait(
    RESOURCE_GROUP,
    NSG,
    "mdr-block-203-0-113-7",
    {
      access: "Deny",
      direction: "Inbound",
      priority: 110,
      protocol: "*",
      sourceAddressPrefix: "203.0.113.7",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "*",
      description: "MDR block",
    },
    { updateIntervalInMs: 5 },
  );
  expect(rule).toMatchObject({ name: "mdr-block-203-0-113-7", provisioningState: "Succeeded", priority: 110, access: "Deny" });
  expect(emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.get("mdr-block-203-0-113-7")?.properties.provisioningState).toBe("Succeeded");

  const calls = emu.find({ service: "arm" }).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}$/, "{op}")} ${r.status ?? ""}`);
  expect(calls).toEqual([
    `PUT /subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}/securityRules/mdr-block-203-0-113-7 201`,
    `GET /subscriptions/${SUBSCRIPTION_A}/providers/Microsoft.Network/locations/westeurope/operations/{op} 200`,
    `GET /subscriptions/${SUBSCRIPTION_A}/providers/Microsoft.Network/locations/westeurope/operations/{op} 200`,
    `GET /subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}/securityRules/mdr-block-203-0-113-7 200`,
  ]);
  const put = emu.find({ service: "arm", method: "PUT" })[0];
  expect(put?.query["api-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(put?.auth).toMatchObject({ kind: "bearer", valid: true, audience: "https://management.azure.com", tenantId: TENANT_A });
  expect(put?.body).toMatchObject({ properties: { sourceAddressPrefix: "203.0.113.7", priority: 110 } });

  const nsg = await client.networkSecurityGroups.get(RESOURCE_GROUP, NSG);
  expect(nsg.securityRules?.map((r) => r.name).sort()).toEqual(["allow-https-in", "mdr-block-203-0-113-7"]);

  await client.securityRules.beginDeleteAndWait(RESOURCE_GROUP, NSG, "mdr-block-203-0-113-7", { updateIntervalInMs: 5 });
  expect(emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.has("mdr-block-203-0-113-7")).toBe(false);
  expect(emu.find({ service: "arm", method: "DELETE" })[0]?.status).toBe(202);
});

sdkCase("arm-network: priority conflicts, bad priorities, failed operations and wrong tenants are errors", async () => {
  const client = armClient();
  const base = { access: "Deny", direction: "Inbound", protocol: "*", sourceAddressPrefix: "198.51.100.9", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "*" };
  const conflict = await rejection(client.securityRules.beginCreateOrUpdateAndWait(RESOURCE_GROUP, NSG, "dup", { ...base, priority: 300 }, { updateIntervalInMs: 5 }));
  expect(conflict).toMatchObject({ statusCode: 400, code: "SecurityRuleConflict" });
  // Same priority, other direction: fine.
  await client.securityRules.beginCreateOrUpdateAndWait(RESOURCE_GROUP, NSG, "dup-out", { ...base, direction: "Outbound", priority: 300 }, { updateIntervalInMs: 5 });

  const range = await rejection(client.securityRules.beginCreateOrUpdateAndWait(RESOURCE_GROUP, NSG, "low", { ...base, priority: 99 }, { updateIntervalInMs: 5 }));
  expect(range).toMatchObject({ statusCode: 400, code: "SecurityRuleInvalidPriority" });

  emu.failNextArmOperation({ code: "InternalServerError", message: "boom" });
  const failed = await rejection(client.securityRules.beginCreateOrUpdateAndWait(RESOURCE_GROUP, NSG, "fails", { ...base, priority: 120 }, { updateIntervalInMs: 5 }));
  expect(String(field(failed, "message"))).toContain("boom");
  expect(emu.nsg(SUBSCRIPTION_A, RESOURCE_GROUP, NSG).rules.has("fails")).toBe(false);

  const otherTenant = await rejection(armClient(TENANT_B, CLIENT_B, SUBSCRIPTION_A).networkSecurityGroups.get(RESOURCE_GROUP, NSG));
  expect(otherTenant).toMatchObject({ statusCode: 401, code: "InvalidAuthenticationTokenTenant" });

  emu.setPermissions(CLIENT_A.clientId, ["Microsoft.Network/networkSecurityGroups/read"]);
  const denied = await rejection(client.securityRules.beginDeleteAndWait(RESOURCE_GROUP, NSG, "dup-out", { updateIntervalInMs: 5 }));
  expect(denied).toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
});

sdkCase("Defender via fetch: find, isolate, poll to Succeeded, duplicate and bad bodies refused", async () => {
  const token = await tokenFor(SCOPES.defender);
  // '' is the OData escape for a quote inside a literal.
  const quoted = await defender(token, "GET", `/api/machines?$filter=${encodeURIComponent("computerDnsName eq 'o''brien-pc.contoso.com'")}`);
  expect(field(quoted.json, "value", "0", "computerDnsName")).toBe("o'brien-pc.contoso.com");

  const prefix = await defender(token, "GET", `/api/machines?$filter=${encodeURIComponent("startswith(computerDnsName,'ws-014')")}&$top=1`);
  expect((field(prefix.json, "value") as unknown[]).length).toBe(1);
  const bad = await defender(token, "GET", `/api/machines?$filter=${encodeURIComponent("computerDnsName eq 'o'brien'")}`);
  expect(bad.status).toBe(400);
  expect(field(bad.json, "error", "code")).toBe("ODataError");

  const id = emu.device(TENANT_A, "ws-0142.contoso.com").id;
  const noComment = await defender(token, "POST", `/api/machines/${id}/isolate`, { comment: "lower-case key", IsolationType: "Full" });
  expect(noComment.status).toBe(400);
  expect(field(noComment.json, "error", "code")).toBe("MissingRequiredParameter");

  const isolate = await defender(token, "POST", `/api/machines/${id}/isolate`, { Comment: "INC-1: isolate", IsolationType: "Selective" });
  expect(isolate.status).toBe(201);
  expect(isolate.json).toMatchObject({ type: "Isolate", scope: "Selective", status: "Pending", machineId: id, computerDnsName: "ws-0142.contoso.com", requestorComment: "INC-1: isolate" });

  const again = await defender(token, "POST", `/api/machines/${id}/isolate`, { Comment: "again", IsolationType: "Full" });
  expect(again.status).toBe(400);
  expect(again.json).toMatchObject({ error: { code: "ActiveRequestAlreadyExists", message: "Action is already in progress" } });

  const actionId = String(field(isolate.json, "id"));
  const statuses: unknown[] = [];
  for (let i = 0; i < 3; i++) statuses.push(field((await defender(token, "GET", `/api/machineactions/${actionId}`)).json, "status"));
  expect(statuses).toEqual(["InProgress", "Succeeded", "Succeeded"]);
  expect(emu.device(TENANT_A, id).isolated).toBe(true);

  const release = await defender(token, "POST", `/api/machines/${id}/unisolate`, { Comment: "INC-1: release" });
  expect(release.json).toMatchObject({ type: "Unisolate", status: "Pending" });
  emu.setMachineActionStatus(String(field(release.json, "id")), "Succeeded");
  expect(emu.device(TENANT_A, id).isolated).toBe(false);
});

sdkCase("Defender via fetch: indicators, 401 for a wrong audience, 403 for a missing permission, 429 from a fault", async () => {
  const token = await tokenFor(SCOPES.defender);
  const body = { indicatorValue: "203.0.113.50", indicatorType: "IpAddress", action: "Block", title: "MDR block", description: "INC-2", expirationTime: "2030-01-01T00:00:00Z", severity: "High", generateAlert: true };
  const created = await defender(token, "POST", "/api/indicators", body);
  expect(created.status).toBe(200);
  expect(created.json).toMatchObject({ indicatorValue: "203.0.113.50", indicatorType: "IpAddress", action: "Block", sourceType: "AadApp" });
  const indicatorId = String(field(created.json, "id"));
  expect((await defender(token, "POST", "/api/indicators", body)).json).toMatchObject({ id: indicatorId });
  expect((await defender(token, "POST", "/api/indicators", { ...body, indicatorValue: "10.0.0.1" })).status).toBe(400);
  expect((await defender(token, "POST", "/api/indicators", { ...body, indicatorValue: "203.0.113.0/24" })).status).toBe(400);
  expect((await defender(token, "DELETE", `/api/indicators/${indicatorId}`)).status).toBe(204);
  expect((await defender(token, "DELETE", `/api/indicators/${indicatorId}`)).status).toBe(404);

  const wrongAudience = await defender(await tokenFor(SCOPES.graph), "GET", "/api/machines");
  expect(wrongAudience.status).toBe(401);

  // Defender reads the token: a permission taken away reaches the tokens issued after it.
  emu.setPermissions(CLIENT_A.clientId, ["Machine.Read.All"]);
  const narrow = await tokenFor(SCOPES.defender);
  expect(emu.decodeToken(narrow)?.roles).toEqual(["Machine.Read.All"]);
  expect(emu.decodeToken(token)?.roles).toContain("Machine.Isolate");
  const id = emu.device(TENANT_A, "ws-0143.contoso.com").id;
  const forbidden = await defender(narrow, "POST", `/api/machines/${id}/isolate`, { Comment: "x", IsolationType: "Full" });
  expect(forbidden.status).toBe(403);
  expect(forbidden.json).toMatchObject({ error: { code: "Forbidden", message: expect.stringContaining("Machine.Isolate"), target: expect.any(String) } });
  emu.setPermissions(CLIENT_A.clientId, "all");

  emu.setFault({ match: "POST /isolate", status: 429, retryAfter: 7 });
  const throttled = await defender(token, "POST", `/api/machines/${id}/isolate`, { Comment: "x", IsolationType: "Full" });
  expect(throttled.status).toBe(429);
  expect(throttled.headers.get("retry-after")).toBe("7");
  expect(field(throttled.json, "error", "code")).toBe("TooManyRequests");
  expect((await defender(token, "POST", `/api/machines/${id}/isolate`, { Comment: "x", IsolationType: "Full" })).status).toBe(201);
});

sdkCase("faults: slow answers time clients out, dropped connections fail, 5xx then success", async () => {
  const token = await tokenFor(SCOPES.defender);
  emu.setFault({ match: { service: "defender", path: "/api/machines" }, delayMs: 300 });
  const slow = await rejection(fetch(`${emu.url}/api/machines`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(50) }));
  expect(field(slow, "name")).toBe("TimeoutError");

  emu.setFault({ match: "GET /api/machines", dropConnection: true });
  await expect(fetch(`${emu.url}/api/machines`, { headers: { Authorization: `Bearer ${token}` } })).rejects.toThrow();

  emu.setFault({ match: /^GET \/api\/machines$/, status: 503, times: 2 });
  expect((await defender(token, "GET", "/api/machines")).status).toBe(503);
  expect((await defender(token, "GET", "/api/machines")).status).toBe(503);
  expect((await defender(token, "GET", "/api/machines")).status).toBe(200);
});

sdkCase("TLS: verification is on (another certificate is refused) and an explicit ca works", async () => {
  const stranger = await startEmulator({ ...exampleSeed(), certs: freshCerts() });
  try {
    const err = await rejection(fetch(`${stranger.url}/${TENANT_A}/v2.0/.well-known/openid-configuration`));
    expect(String(field(err, "cause", "code"))).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(`${stranger.url}/${TENANT_A}/v2.0/.well-known/openid-configuration`, { ca: stranger.caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    expect(status).toBe(200);
  } finally {
    await stranger.close();
  }
});

// ---------------------------------------------------------------------------------------
// Cases that need no TLS: EC2 is plain http, the rest is in-process logic
// ---------------------------------------------------------------------------------------

describe("emulator: in-process pieces", () => {
  it("throttle windows and buckets: Defender's hour limit, a refilling bucket, a scale", () => {
    const t = new Throttle(1);
    let now = 0;
    // 100 a minute: 15 minutes at 100 reach the 1,500 an hour; the 16th minute is refused by the hour window.
    for (let minute = 0; minute < 15; minute++) {
      for (let i = 0; i < 100; i++) expect(t.windows([["k", DEFENDER_WINDOWS]], now + i)).toBeUndefined();
      expect(t.windows([["k", DEFENDER_WINDOWS]], now + 100)).toEqual({ retryAfterSeconds: 60, limit: "100 per 1m" });
      now += 60_000;
    }
    expect(t.windows([["k", DEFENDER_WINDOWS]], now)).toEqual({ retryAfterSeconds: 3600 - 15 * 60, limit: "1500 per 1h" });
    const bucket = { size: 2, refillPerSecond: 5, label: "writes" };
    expect([t.bucket("b", bucket, 0), t.bucket("b", bucket, 0), t.bucket("b", bucket, 0)]).toEqual([undefined, undefined, { retryAfterSeconds: 1, limit: "writes" }]);
    expect(t.bucket("b", bucket, 200)).toBeUndefined();
    // Scale 60: a minute is a second.
    const fast = new Throttle(60);
    for (let i = 0; i < 100; i++) fast.windows([["k", DEFENDER_WINDOWS]], i);
    expect(fast.windows([["k", DEFENDER_WINDOWS]], 999)).toEqual({ retryAfterSeconds: 1, limit: "100 per 1m" });
    expect(fast.windows([["k", DEFENDER_WINDOWS]], 1000)).toBeUndefined();
    expect(new Throttle(0).windows([["k", [{ limit: 0, ms: 1, label: "none" }]]])).toBeUndefined();
  });

  it("parses OData filters like the services do", () => {
    const tree = parseFilter("computerDnsName eq 'o''brien' or startswith(computerDnsName,'ws-')", ["computerDnsName"]);
    const match = (name: string): boolean => evalFilter(tree, () => name, { caseInsensitive: true });
    expect(match("O'Brien")).toBe(true);
    expect(match("ws-1")).toBe(true);
    expect(match("srv")).toBe(false);
    expect(() => parseFilter("computerDnsName eq 'o'brien'", ["computerDnsName"])).toThrow(ODataError);
    expect(() => parseFilter("ComputerDnsName eq 'x'", ["computerDnsName"])).toThrow(ODataError);
  });

  describe("EC2 Query API with @aws-sdk/client-ec2", () => {
    let local: Emulator;
    beforeAll(async () => {
      // EC2 is plain http: no trust needed, so this runs in any worker.
      local = await startEmulator({ ...exampleSeed(), certs: trustedCerts ?? freshCerts() });
    });
    afterAll(() => local.close());
    beforeEach(() => local.reset());

    it("creates, describes and deletes network ACL entries; records the access key", async () => {
      const client = new EC2Client({ endpoint: local.ec2Url, region: "eu-west-1", credentials: AWS_KEY });
      await client.send(
        new CreateNetworkAclEntryCommand({ NetworkAclId: ACL_A, RuleNumber: 10, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "203.0.113.7/32" }),
      );
      const described = await client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [ACL_A] }));
      const entries = described.NetworkAcls?.[0]?.Entries ?? [];
      expect(entries).toContainEqual({ RuleNumber: 10, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "203.0.113.7/32" });
      expect(entries.filter((e) => e.RuleNumber === 32767)).toHaveLength(2);

      const filtered = await client.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "network-acl-id", Values: [ACL_A] }] }));
      expect(filtered.NetworkAcls?.map((a) => a.NetworkAclId)).toEqual([ACL_A]);

      const create = local.find({ service: "ec2", action: "CreateNetworkAclEntry" })[0];
      expect(create?.auth).toMatchObject({ kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: "eu-west-1", service: "ec2" });
      expect(create?.body).toMatchObject({ Action: "CreateNetworkAclEntry", Version: "2016-11-15", NetworkAclId: ACL_A, RuleNumber: "10", Egress: "false", CidrBlock: "203.0.113.7/32" });

      await client.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: ACL_A, RuleNumber: 10, Egress: false }));
      expect(local.acl(ACL_A).entries.some((e) => e.ruleNumber === 10)).toBe(false);
    });

    it("verifies SigV4 with the key's secret and the endpoint's region: wrong secret, wrong region, unknown key refused", async () => {
      const describe = new DescribeNetworkAclsCommand({ NetworkAclIds: [ACL_A] });
      const good = new EC2Client({ endpoint: local.ec2Url, region: "eu-west-1", credentials: AWS_KEY, maxAttempts: 1 });
      expect((await good.send(describe)).NetworkAcls).toHaveLength(1);
      expect(local.requests.at(-1)?.auth).toEqual({ kind: "sigv4", accessKeyId: AWS_KEY.accessKeyId, region: "eu-west-1", service: "ec2" });

      const wrongSecret = new EC2Client({ endpoint: local.ec2Url, region: "eu-west-1", credentials: { ...AWS_KEY, secretAccessKey: "not/the/secret" }, maxAttempts: 1 });
      expect(await rejection(wrongSecret.send(describe))).toMatchObject({
        name: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        $metadata: { httpStatusCode: 403 },
      });
      const wrongRegion = new EC2Client({ endpoint: local.ec2Url, region: "us-east-1", credentials: AWS_KEY, maxAttempts: 1 });
      expect(await rejection(wrongRegion.send(describe))).toMatchObject({
        name: "SignatureDoesNotMatch",
        message: "Credential should be scoped to a valid region, not 'us-east-1'. ",
        $metadata: { httpStatusCode: 403 },
      });
      const unknownKey = new EC2Client({ endpoint: local.ec2Url, region: "eu-west-1", credentials: { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: AWS_KEY.secretAccessKey }, maxAttempts: 1 });
      expect(await rejection(unknownKey.send(describe))).toMatchObject({
        name: "AuthFailure",
        message: "AWS was not able to validate the provided access credentials",
        $metadata: { httpStatusCode: 401 },
      });
      expect(local.find({ service: "ec2" }).map((r) => [r.status, r.auth.kind === "sigv4" ? r.auth.region : undefined])).toEqual([
        [200, "eu-west-1"],
        [403, "eu-west-1"],
        [403, "us-east-1"],
        [401, "eu-west-1"],
      ]);
    });

    it("throttles each API's token bucket (non-mutating: 100 at once) with 503 RequestLimitExceeded", async () => {
      const slow = await startEmulator({ ...exampleSeed(), certs: trustedCerts ?? freshCerts(), throttle: { scale: 0.001 } });
      try {
        const client = new EC2Client({ endpoint: slow.ec2Url, region: "eu-west-1", credentials: AWS_KEY, maxAttempts: 1 });
        for (let i = 0; i < 100; i++) await client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [ACL_A] }));
        expect(await rejection(client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [ACL_A] })))).toMatchObject({
          name: "RequestLimitExceeded",
          message: "Request limit exceeded.",
          $metadata: { httpStatusCode: 503 },
        });
        // Another API has its own bucket.
        await client.send(new CreateNetworkAclEntryCommand({ NetworkAclId: ACL_A, RuleNumber: 11, Protocol: "-1", RuleAction: "deny", Egress: false, CidrBlock: "203.0.113.9/32" }));
        expect(slow.find({ service: "ec2" }).map((r) => r.status)).toEqual([...Array.from({ length: 100 }, () => 200), 503, 200]);
      } finally {
        await slow.close();
      }
    });

    it("answers EC2 errors in the Query API's XML (already exists, not found, limit, throttling)", async () => {
      const client = new EC2Client({ endpoint: local.ec2Url, region: "eu-west-1", credentials: AWS_KEY, maxAttempts: 3 });
      const entry = { NetworkAclId: ACL_A, RuleNumber: 100, Protocol: "-1", RuleAction: "deny" as const, Egress: false, CidrBlock: "203.0.113.8/32" };
      const exists = await rejection(client.send(new CreateNetworkAclEntryCommand(entry)));
      expect(exists).toMatchObject({ name: "NetworkAclEntryAlreadyExists", $metadata: { httpStatusCode: 400 } });

      const notFound = await rejection(client.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: ACL_A, RuleNumber: 4242, Egress: false })));
      expect(notFound).toMatchObject({ name: "InvalidNetworkAclEntry.NotFound" });
      const noAcl = await rejection(client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: ["acl-doesnotexist"] })));
      expect(noAcl).toMatchObject({ name: "InvalidNetworkAclID.NotFound" });

      for (let n = 1; n <= 19; n++) local.acl(ACL_A).entries.push({ ruleNumber: n, protocol: "-1", ruleAction: "deny", egress: false, cidrBlock: `198.51.100.${n}/32` });
      const full = await rejection(client.send(new CreateNetworkAclEntryCommand({ ...entry, RuleNumber: 20 })));
      expect(full).toMatchObject({ name: "NetworkAclEntryLimitExceeded" });

      // Throttling (503 RequestLimitExceeded) is retried by the SDK.
      local.setFault({ match: "ec2:DescribeNetworkAcls", status: 503, times: 1 });
      const described = await client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [ACL_A] }));
      expect(described.NetworkAcls).toHaveLength(1);
      expect(local.find({ action: "DescribeNetworkAcls" }).map((r) => r.status).slice(-2)).toEqual([503, 200]);
    });
  });

  describe("protocol details over https with an explicit ca", () => {
    let local: Emulator;
    beforeAll(async () => {
      local = await startEmulator({
        ...exampleSeed(),
        certs: trustedCerts ?? freshCerts(),
        defender: { actionProgress: { mode: "time", stepMs: 40 }, duplicateAction: "returnPending" },
      });
    });
    afterAll(() => local.close());
    beforeEach(() => local.reset());

    /** https.request with the emulator's certificate as `ca`: works without NODE_EXTRA_CA_CERTS. */
    function call(
      method: string,
      pathAndQuery: string,
      opts: { token?: string; json?: unknown; form?: Record<string, string>; on?: Emulator } = {},
    ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: unknown }> {
      const payload = opts.json !== undefined ? JSON.stringify(opts.json) : opts.form ? new URLSearchParams(opts.form).toString() : undefined;
      const target = opts.on ?? local;
      return new Promise((resolve, reject) => {
        const req = https.request(
          `${target.url}${pathAndQuery}`,
          {
            method,
            ca: target.caPem,
            headers: {
              ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
              ...(opts.json !== undefined ? { "Content-Type": "application/json" } : {}),
              ...(opts.form ? { "Content-Type": "application/x-www-form-urlencoded" } : {}),
            },
          },
          (res) => {
            let text = "";
            res.on("data", (d: Buffer) => (text += d.toString()));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? (JSON.parse(text) as unknown) : undefined }));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });
    }

    const token = (audience: string, tenantId = TENANT_A, clientId = CLIENT_A.clientId, lifetimeSeconds?: number): string =>
      local.issueToken({ tenantId, clientId, audience, ...(lifetimeSeconds === undefined ? {} : { lifetimeSeconds }) });

    it("Entra: token endpoint form, unknown tenant, missing scope", async () => {
      const ok = await call("POST", `/${TENANT_B}/oauth2/v2.0/token`, {
        form: { grant_type: "client_credentials", client_id: CLIENT_B.clientId, client_secret: CLIENT_B.clientSecret, scope: SCOPES.arm },
      });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
      expect(local.decodeToken(String(field(ok.json, "access_token")))).toMatchObject({ aud: "https://management.azure.com", tid: TENANT_B });

      const tenant = await call("GET", "/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration");
      expect(tenant.status).toBe(400);
      expect(field(tenant.json, "error_codes")).toEqual([90002]);

      const noScope = await call("POST", `/${TENANT_A}/oauth2/v2.0/token`, {
        form: { grant_type: "client_credentials", client_id: CLIENT_A.clientId, client_secret: CLIENT_A.clientSecret },
      });
      expect(noScope.status).toBe(400);
      expect(String(field(noScope.json, "error_description"))).toMatch(/^AADSTS900144: .*\r\nTrace ID: /);
    });

    it("Defender: time-based progress, offline devices stay Pending, duplicates may return the pending action", async () => {
      const t = token("https://api.securitycenter.microsoft.com");
      const online = local.device(TENANT_A, "ws-0143.contoso.com").id;
      const first = await call("POST", `/api/machines/${online}/isolate`, { token: t, json: { Comment: "c", IsolationType: "Full" } });
      const second = await call("POST", `/api/machines/${online}/isolate`, { token: t, json: { Comment: "c", IsolationType: "Full" } });
      expect(field(second.json, "id")).toBe(field(first.json, "id"));
      await new Promise((r) => setTimeout(r, 100));
      expect(field((await call("GET", `/api/machineactions/${String(field(first.json, "id"))}`, { token: t })).json, "status")).toBe("Succeeded");

      const offline = local.device(TENANT_A, "laptop-offline.contoso.com").id;
      const pending = await call("POST", `/api/machines/${offline}/isolate`, { token: t, json: { Comment: "c" } });
      await new Promise((r) => setTimeout(r, 100));
      expect(field((await call("GET", `/api/machineactions/${String(field(pending.json, "id"))}`, { token: t })).json, "status")).toBe("Pending");

      const byName = await call("GET", "/api/machines/ws-0143.contoso.com", { token: t });
      expect(field(byName.json, "id")).toBe(online);
      expect((await call("GET", "/api/machines/unknown-host", { token: t })).json).toMatchObject({ error: { code: "ResourceNotFound" } });
      expect((await call("GET", "/api/machines", {})).status).toBe(401);
      const expired = await call("GET", "/api/machines", { token: token("https://api.securitycenter.microsoft.com", TENANT_A, CLIENT_A.clientId, -10) });
      expect(expired.status).toBe(401);
    });

    it("Graph without permanentDelete (US Government L4/L5, China): 400 for the segment, the message kept; a move still works", async () => {
      const gov = await startEmulator({ ...exampleSeed(), certs: local.certs, graph: { permanentDelete: false } });
      try {
        const t = gov.issueToken({ tenantId: TENANT_A, clientId: CLIENT_A.clientId, audience: "https://graph.microsoft.com" });
        const box = gov.mailbox(TENANT_A, "alex.wilber@contoso.com");
        const message = [...box.messages.values()][0]!;
        const base = `/v1.0/users/alex.wilber@contoso.com/messages/${encodeURIComponent(message.id)}`;
        const refused = await call("POST", `${base}/permanentDelete`, { token: t, on: gov });
        expect({ status: refused.status, code: field(field(refused.json, "error"), "code"), message: field(field(refused.json, "error"), "message") }).toEqual({
          status: 400,
          code: "BadRequest",
          message: "Resource not found for the segment 'permanentDelete'.",
        });
        expect(box.messages.has(message.id)).toBe(true);
        expect(box.purged).toEqual([]);
        const moved = await call("POST", `${base}/move`, { token: t, on: gov, json: { destinationId: "recoverableitemsdeletions" } });
        expect(moved.status).toBe(201);
      } finally {
        await gov.close();
      }
    });

    it("Graph: missing mailbox, unknown user, paging, '+' reads as a space in the query", async () => {
      const t = token("https://graph.microsoft.com");
      expect((await call("GET", "/v1.0/users/no.mailbox@contoso.com/messages", { token: t })).json).toMatchObject({
        error: { code: "MailboxNotEnabledForRESTAPI", innerError: { "request-id": expect.any(String) } },
      });
      expect((await call("GET", "/v1.0/users/ghost@contoso.com/messages", { token: t })).json).toMatchObject({ error: { code: "ErrorInvalidUser" } });

      const page = await call("GET", "/v1.0/users/alex.wilber@contoso.com/messages?$top=1", { token: t });
      expect((field(page.json, "value") as unknown[]).length).toBe(1);
      expect(new URL(String(field(page.json, "@odata.nextLink"))).searchParams.get("$skip")).toBe("1");

      // Like Graph, a literal '+' decodes to a space: Message-IDs must be percent-encoded.
      local.mailbox(TENANT_A, "alex.wilber@contoso.com").messages.set("AAMkADplus", {
        id: "AAMkADplus", internetMessageId: "<a+b@x.example>", subject: "plus", from: "x@x.example", receivedDateTime: "2025-01-01T00:00:00Z", folder: "inbox", previousIds: [],
      });
      const raw = await call("GET", "/v1.0/users/alex.wilber@contoso.com/messages?$filter=internetMessageId%20eq%20'<a+b@x.example>'", { token: t });
      expect(field(raw.json, "value")).toEqual([]);
      const encoded = await call("GET", `/v1.0/users/alex.wilber@contoso.com/messages?$filter=${encodeURIComponent("internetMessageId eq '<a+b@x.example>'")}`, { token: t });
      expect((field(encoded.json, "value") as unknown[]).length).toBe(1);

      const expired = await call("GET", "/v1.0/users/alex.wilber@contoso.com", { token: token("https://graph.microsoft.com", TENANT_A, CLIENT_A.clientId, -10) });
      expect(expired.json).toMatchObject({ error: { code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired." } });
    });

    it("ARM: api-version required, 401 without a token, 204 deleting nothing, 404s in ARM's words", async () => {
      const t = token("https://management.azure.com/");
      const rulePath = `/subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}/securityRules/none`;
      expect((await call("GET", rulePath, { token: t })).json).toMatchObject({ error: { code: "MissingApiVersionParameter" } });
      const anonymous = await call("GET", `${rulePath}?api-version=2024-05-01`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.json).toMatchObject({ error: { code: "AuthenticationFailed" } });
      expect(String(anonymous.headers["www-authenticate"])).toContain("Bearer");
      expect((await call("DELETE", `${rulePath}?api-version=2024-05-01`, { token: t })).status).toBe(204);
      expect((await call("GET", `${rulePath}?api-version=2024-05-01`, { token: t })).json).toMatchObject({ error: { code: "NotFound" } });
      const otherRg = `/subscriptions/${SUBSCRIPTION_A}/resourceGroups/rg-none/providers/Microsoft.Network/networkSecurityGroups/${NSG}?api-version=2024-05-01`;
      expect((await call("GET", otherRg, { token: t })).json).toMatchObject({ error: { code: "ResourceGroupNotFound" } });
      const wrongAudience = await call("GET", `${rulePath}?api-version=2024-05-01`, { token: token("https://graph.microsoft.com") });
      expect(wrongAudience.json).toMatchObject({ error: { code: "InvalidAuthenticationTokenAudience" } });
    });

    it("tokens carry the app's roles for their resource; Graph and Defender refuse a token without roles, 403 one without the permission", async () => {
      const tokenOf = async (scope: string): Promise<string> => {
        const r = await call("POST", `/${TENANT_A}/oauth2/v2.0/token`, {
          form: { grant_type: "client_credentials", client_id: CLIENT_A.clientId, client_secret: CLIENT_A.clientSecret, scope },
        });
        return String(field(r.json, "access_token"));
      };
      // "all": every permission of the resource, listed; ARM tokens carry no roles (RBAC).
      expect(local.decodeToken(await tokenOf(SCOPES.defender))?.roles).toEqual([...DEFENDER_PERMISSIONS]);
      expect(local.decodeToken(await tokenOf(SCOPES.graph))?.roles).toEqual([...GRAPH_PERMISSIONS]);
      expect(local.decodeToken(await tokenOf(SCOPES.arm))).not.toHaveProperty("roles");

      // Only Defender and ARM permissions: a Graph token without a roles claim.
      local.setPermissions(CLIENT_A.clientId, ["Machine.Read.All", "Microsoft.Network/networkSecurityGroups/read"]);
      const graphToken = await tokenOf(SCOPES.graph);
      expect(local.decodeToken(graphToken)).not.toHaveProperty("roles");
      const noRoles = await call("GET", "/v1.0/users/alex.wilber@contoso.com", { token: graphToken });
      expect({ status: noRoles.status, json: noRoles.json }).toEqual({
        status: 401,
        json: {
          error: {
            code: "InvalidAuthenticationToken",
            message: "Either scp or roles claim need to be present in the token.",
            innerError: { date: expect.any(String), "request-id": expect.any(String), "client-request-id": expect.any(String) },
          },
        },
      });
      const defenderToken = await tokenOf(SCOPES.defender);
      expect(local.decodeToken(defenderToken)?.roles).toEqual(["Machine.Read.All"]);
      expect((await call("GET", "/api/machines", { token: defenderToken })).status).toBe(200);
      const id = local.device(TENANT_A, "ws-0142.contoso.com").id;
      const denied = await call("POST", `/api/machines/${id}/isolate`, { token: defenderToken, json: { Comment: "x", IsolationType: "Full" } });
      expect({ status: denied.status, json: denied.json }).toEqual({
        status: 403,
        json: {
          error: {
            code: "Forbidden",
            message: "The application does not have any of the required application permissions (Machine.Isolate) to access the resource.",
            target: expect.any(String),
          },
        },
      });
      const bare = local.issueToken({ tenantId: TENANT_A, clientId: CLIENT_A.clientId, audience: "https://api.securitycenter.microsoft.com", roles: null });
      const refused = await call("GET", "/api/machines", { token: bare });
      expect({ status: refused.status, json: refused.json }).toEqual({
        status: 401,
        json: { error: { code: "Unauthorized", message: "Either scp or roles claim need to be present in the token.", target: expect.any(String) } },
      });

      // Graph roles without the operation's permission: Graph's own 403.
      local.setPermissions(CLIENT_A.clientId, ["User.Read.All"]);
      const readOnly = await tokenOf(SCOPES.graph);
      expect((await call("GET", "/v1.0/users/alex.wilber@contoso.com", { token: readOnly })).status).toBe(200);
      const patch = await call("PATCH", "/v1.0/users/alex.wilber@contoso.com", { token: readOnly, json: { accountEnabled: false } });
      expect({ status: patch.status, code: field(patch.json, "error", "code") }).toEqual({ status: 403, code: "Authorization_RequestDenied" });
      // The APIs read the token only: one issued before the change keeps its roles until it expires.
      local.setPermissions(CLIENT_A.clientId, "all");
      expect((await call("PATCH", "/v1.0/users/alex.wilber@contoso.com", { token: readOnly, json: { accountEnabled: false } })).status).toBe(403);
      expect(() => local.setPermissions(CLIENT_A.clientId, ["Machine.Isolat"])).toThrow("emulator: unknown permission Machine.Isolat");
    });

    it("ARM: only published api-versions, only published service tags, port ranges 0-65535 with from <= to", async () => {
      const t = token("https://management.azure.com/");
      const rulePath = `/subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}/securityRules/r1`;
      const missing = await call("GET", rulePath, { token: t });
      expect({ status: missing.status, json: missing.json }).toEqual({
        status: 400,
        json: { error: { code: "MissingApiVersionParameter", message: "The api-version query parameter (?api-version=) is required for all requests.", details: [] } },
      });
      for (const bad of ["2099-01-01", "2025-05-01-preview", "latest"]) {
        const r = await call("GET", `${rulePath}?api-version=${bad}`, { token: t });
        expect({ status: r.status, json: r.json }).toEqual({
          status: 400,
          json: {
            error: {
              code: "InvalidApiVersionParameter",
              message: `The api-version '${bad}' is invalid. The supported versions are '${NETWORK_API_VERSIONS.join(",")}'.`,
              details: [],
            },
          },
        });
      }
      const put = (props: Record<string, unknown>) =>
        call("PUT", `${rulePath}?api-version=2025-05-01`, {
          token: t,
          json: { properties: { access: "Deny", direction: "Inbound", priority: 150, protocol: "*", sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "203.0.113.5", destinationAddressPrefix: "*", ...props } },
        });
      for (const tag of ["Internet", "VirtualNetwork", "AzureLoadBalancer", "Storage", "Sql", "AzureCloud", "Storage.WestEurope", "sql.northeurope", "*"]) {
        expect((await put({ sourceAddressPrefix: tag })).status, tag).toBeLessThan(300);
      }
      for (const word of ["Anything", "Storage.Mars", "InternetX", "Internet.WestEurope"]) {
        const r = await put({ destinationAddressPrefix: word });
        expect({ status: r.status, json: r.json }, word).toEqual({
          status: 400,
          json: { error: { code: "SecurityRuleInvalidAddressPrefix", message: `Security rule r1 has invalid Address prefix. Value provided: ${word}.`, details: [] } },
        });
      }
      for (const range of ["80", "1024-65535", "0-0"]) expect((await put({ destinationPortRange: range })).status, range).toBeLessThan(300);
      for (const range of ["500-100", "65536", "0-70000", "-1", "80-", "a-b"]) {
        const r = await put({ destinationPortRange: range });
        expect({ status: r.status, json: r.json }, range).toEqual({
          status: 400,
          json: {
            error: {
              code: "SecurityRuleInvalidPortRange",
              message: `Security rule has invalid Port range. Value provided: ${range}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.`,
              details: [],
            },
          },
        });
      }
    });

    describe("throttling by the published limits", () => {
      let slow: Emulator;
      beforeAll(async () => {
        // Windows 1,000 times longer (refills 1,000 times slower): the counts are exact however slow the machine.
        slow = await startEmulator({ ...exampleSeed(), certs: trustedCerts ?? freshCerts(), throttle: { scale: 0.001 } });
      });
      afterAll(() => slow.close());
      beforeEach(() => slow.reset());
      const on = (audience: string, tenantId = TENANT_A, clientId = CLIENT_A.clientId): string => slow.issueToken({ tenantId, clientId, audience });

      it("Defender: 100 calls per API, tenant and app; the 101st is 429 with Retry-After in Defender's shape", async () => {
        const t = on("https://api.securitycenter.microsoft.com");
        for (let i = 0; i < 100; i++) expect((await call("GET", "/api/machines", { token: t, on: slow })).status).toBe(200);
        const limited = await call("GET", "/api/machines?$top=1", { token: t, on: slow });
        expect({ status: limited.status, json: limited.json }).toEqual({
          status: 429,
          json: { error: { code: "TooManyRequests", message: "API calls quota exceeded! Maximum admitted 100 per 1m.", target: expect.any(String) } },
        });
        // The window is 60 s / 0.001: the oldest call leaves it in 60,000 s.
        expect(Number(limited.headers["retry-after"])).toBeGreaterThan(59_000);
        // Another API, another tenant: their own counts.
        expect((await call("GET", "/api/machineactions", { token: t, on: slow })).status).toBe(200);
        expect((await call("GET", "/api/machines", { token: on("https://api.securitycenter.microsoft.com", TENANT_B, CLIENT_B.clientId), on: slow })).status).toBe(200);
        slow.reset();
        expect((await call("GET", "/api/machines", { token: t, on: slow })).status).toBe(200);
      });

      it("ARM: a bucket of 250 reads per subscription and principal, then 429 SubscriptionRequestsThrottled", async () => {
        const t = on("https://management.azure.com");
        const nsg = `/subscriptions/${SUBSCRIPTION_A}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Network/networkSecurityGroups/${NSG}?api-version=2025-05-01`;
        for (let i = 0; i < 250; i++) expect((await call("GET", nsg, { token: t, on: slow })).status).toBe(200);
        const limited = await call("GET", nsg, { token: t, on: slow });
        expect(limited.status).toBe(429);
        expect(limited.json).toEqual({
          error: {
            code: "SubscriptionRequestsThrottled",
            message: expect.stringMatching(new RegExp(`^Number of 'read' requests for subscription '${SUBSCRIPTION_A}' actor '[0-9a-f-]{36}' on tenant '${TENANT_A}' exceeded\\. Please try again after '\\d+' seconds`)),
            details: [],
          },
        });
        expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
        // Writes have their own bucket.
        const put = await call("PUT", nsg.replace("?", "/securityRules/r2?"), {
          token: t,
          on: slow,
          json: { properties: { access: "Deny", direction: "Inbound", priority: 151, protocol: "*", sourcePortRange: "*", destinationPortRange: "*", sourceAddressPrefix: "203.0.113.6", destinationAddressPrefix: "*" } },
        });
        expect(put.status).toBe(201);
      });

      it("Graph: 3,500 identity requests per 10 s per app and tenant, then Graph's 429; mailboxes count apart", async () => {
        const t = on("https://graph.microsoft.com");
        const statuses: number[] = [];
        for (let i = 0; i < 35; i++) {
          const batch = await Promise.all(Array.from({ length: 100 }, () => call("GET", "/v1.0/organization", { token: t, on: slow })));
          statuses.push(...batch.map((r) => r.status));
        }
        expect(statuses.filter((s) => s !== 200)).toEqual([]);
        const limited = await call("GET", "/v1.0/users/alex.wilber@contoso.com", { token: t, on: slow });
        expect({ status: limited.status, code: field(limited.json, "error", "code"), message: field(limited.json, "error", "message") }).toEqual({
          status: 429,
          code: "TooManyRequests",
          message: "Please retry again later.",
        });
        expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
        expect((await call("GET", "/v1.0/users/alex.wilber@contoso.com/messages", { token: t, on: slow })).status).toBe(200);
      }, 60_000);
    });

    it("reset() restores the seed and forgets requests and faults", async () => {
      local.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled = false;
      local.setFault({ match: "/v1.0/", status: 500, times: Infinity });
      await call("GET", "/v1.0/organization", { token: token("https://graph.microsoft.com") });
      expect(local.requests).toHaveLength(1);
      local.reset();
      expect(local.requests).toHaveLength(0);
      expect(local.user(TENANT_A, "alex.wilber@contoso.com").accountEnabled).toBe(true);
      expect((await call("GET", "/v1.0/organization", { token: token("https://graph.microsoft.com") })).status).toBe(200);
    });
  });
});

// ---------------------------------------------------------------------------------------
// Running the TLS cases
// ---------------------------------------------------------------------------------------

if (trusted && trustedCerts) {
  describe("emulator with the real SDKs", () => {
    beforeAll(async () => {
      emu = await startEmulator({ ...exampleSeed(), certs: trustedCerts });
    });
    afterAll(() => emu.close());
    beforeEach(() => emu.reset());
    for (const c of cases) it(c.name, c.run);
  });
} else if (process.env[CHILD_FLAG]) {
  describe("emulator with the real SDKs", () => {
    it("runs in a process that trusts the emulator certificate", () => {
      throw new Error("child run does not trust the emulator certificate: NODE_EXTRA_CA_CERTS was not applied");
    });
  });
} else {
  describe("emulator with the real SDKs (in a child node that trusts the emulator certificate)", () => {
    const results = new Map<string, { status: string; failureMessages: string[] }>();
    let output = "";

    beforeAll(async () => {
      const certs = freshCerts();
      const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-emulator-test-"));
      tempDirs.push(reportDir);
      const report = path.join(reportDir, "report.json");
      // The worker's own VITEST_* variables would confuse the nested run.
      const env: NodeJS.ProcessEnv = { ...process.env, ...trustEnv(certs), [CHILD_FLAG]: "1" };
      for (const k of Object.keys(env)) if (k.startsWith("VITEST") || k === "TEST") delete env[k];
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [path.join(ROOT, "node_modules/vitest/vitest.mjs"), "run", THIS_FILE, "--reporter=json", `--outputFile=${report}`, "-t", "real SDKs"],
          { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
        );
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("error", reject);
        child.on("close", (c) => resolve(c ?? 1));
      });
      if (fs.existsSync(report)) {
        const parsed = JSON.parse(fs.readFileSync(report, "utf8")) as {
          testResults?: { assertionResults?: { title: string; status: string; failureMessages?: string[] }[] }[];
        };
        for (const file of parsed.testResults ?? []) {
          for (const a of file.assertionResults ?? []) results.set(a.title, { status: a.status, failureMessages: a.failureMessages ?? [] });
        }
      }
      output += `\n(child vitest exited with ${code})`;
    }, 180_000);

    for (const c of cases) {
      it(c.name, () => {
        const r = results.get(c.name);
        if (!r) throw new Error(`the child run did not report this case. Its output:\n${output.slice(-6000)}`);
        if (r.status !== "passed") throw new Error(`failed in the child run:\n${r.failureMessages.join("\n")}`);
      });
    }
  });
}
