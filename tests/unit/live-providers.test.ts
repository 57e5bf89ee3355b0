// The live providers in-process, against the emulator (no product server): OData quoting, and for
// each MDR_CLOUD the resource every token is asked for (`${resource}/.default`) — with the hosts
// pointed at the emulator, since an override moves the calls but never the token resource.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Cloud, parseConfig } from "@/lib/config";
import { odataString } from "@/lib/mdr/providers/defender/client";
import { createLiveProviders } from "@/lib/mdr/providers/live";
import type { Providers } from "@/lib/mdr/providers/types";
import { certsFromEnv, processTrusts } from "../emulator/certs";
import { ACL_A, AWS_KEY, CLIENT_A, exampleSeed, NSG, RESOURCE_GROUP, SUBSCRIPTION_A, TENANT_A } from "../emulator/fixtures";
import { parseFilter } from "../emulator/odata";
import { AUDIENCES, type Emulator, startEmulator } from "../emulator/server";

describe("odataString", () => {
  it.each([
    ["ws-0142", "'ws-0142'"],
    ["o'brien-pc", "'o''brien-pc'"],
    ["''", "''''''"],
    ["", "''"],
    ["a'b'c.", "'a''b''c.'"],
  ])("%j is written %s", (value, literal) => {
    expect(odataString(value)).toBe(literal);
  });

  it.each(["ws-0142.contoso.com", "o'brien-pc.contoso.com", "it's'", "'", "x eq 'y'"])("an OData parser reads %j back unchanged", (value) => {
    expect(parseFilter(`computerDnsName eq ${odataString(value)}`, ["computerDnsName"])).toEqual({
      kind: "cmp",
      op: "eq",
      field: "computerDnsName",
      value,
    });
    expect(parseFilter(`startswith(computerDnsName,${odataString(value)})`, ["computerDnsName"])).toEqual({
      kind: "call",
      fn: "startswith",
      field: "computerDnsName",
      value,
    });
  });
});

// Resources of the US government and China clouds are not among the emulator's defaults.
const EXTRA = {
  defender: ["https://api-gcc.securitycenter.microsoft.us", "https://api-gov.securitycenter.microsoft.us"],
  graph: ["https://graph.microsoft.us", "https://dod-graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn"],
  arm: ["https://management.usgovcloudapi.net", "https://management.chinacloudapi.cn"],
};

let emu: Emulator;
beforeAll(async () => {
  const certs = certsFromEnv();
  if (!certs || !processTrusts(certs)) {
    throw new Error("this worker does not trust the emulator certificate: tests/emulator/global-setup.ts must be the vitest globalSetup");
  }
  emu = await startEmulator({
    ...exampleSeed(),
    certs,
    audiences: {
      defender: [...AUDIENCES.defender, ...EXTRA.defender],
      graph: [...AUDIENCES.graph, ...EXTRA.graph],
      arm: [...AUDIENCES.arm, ...EXTRA.arm],
    },
    extraResources: [...EXTRA.defender, "https://management.chinacloudapi.cn"],
  });
});
afterAll(() => emu?.close());
beforeEach(() => emu.reset());

function providers(cloud: Cloud, over: Record<string, string> = {}): Providers {
  return createLiveProviders(
    parseConfig({
      MDR_MODE: "live",
      MDR_CLOUD: cloud,
      AZURE_TENANT_ID: TENANT_A,
      AZURE_CLIENT_ID: CLIENT_A.clientId,
      AZURE_CLIENT_SECRET: CLIENT_A.clientSecret,
      AZURE_AUTHORITY_HOST: emu.url,
      MDE_API_URL: emu.url,
      GRAPH_API_URL: emu.url,
      AZURE_RESOURCE_MANAGER_URL: emu.url,
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION_A,
      AZURE_NSG_RESOURCE_GROUP: RESOURCE_GROUP,
      AZURE_NSG_NAME: NSG,
      ...over,
    }),
  );
}

/** The scope of every token request, and the audience each API saw. */
function seen() {
  const tokens = emu.find({ service: "entra", method: "POST", path: "/oauth2/v2.0/token" });
  const api = (service: "defender" | "graph" | "arm") =>
    [...new Set(emu.find({ service }).map((r) => (r.auth.kind === "bearer" ? `${r.auth.audience} ${r.auth.valid}` : r.auth.kind)))];
  return {
    scopes: tokens.map((t) => (t.body as { scope: string }).scope).sort(),
    tokenPaths: [...new Set(tokens.map((t) => t.path))],
    defender: api("defender"),
    graph: api("graph"),
    arm: api("arm"),
  };
}

describe("createLiveProviders: the token resource of each cloud", () => {
  it.each([
    { cloud: "public", mde: "https://api.securitycenter.microsoft.com", graph: "https://graph.microsoft.com", arm: "https://management.azure.com" },
    { cloud: "gcc", mde: "https://api-gcc.securitycenter.microsoft.us", graph: "https://graph.microsoft.com", arm: "https://management.azure.com" },
    { cloud: "gcchigh", mde: "https://api-gov.securitycenter.microsoft.us", graph: "https://graph.microsoft.us", arm: "https://management.usgovcloudapi.net" },
    { cloud: "dod", mde: "https://api-gov.securitycenter.microsoft.us", graph: "https://dod-graph.microsoft.us", arm: "https://management.usgovcloudapi.net" },
    // China has no Defender for Endpoint host of its own: with MDE_API_URL the commercial resource is asked for.
    { cloud: "china", mde: "https://api.securitycenter.microsoft.com", graph: "https://microsoftgraph.chinacloudapi.cn", arm: "https://management.chinacloudapi.cn" },
  ] as const)("MDR_CLOUD=$cloud: tokens for $mde, $graph and $arm", async ({ cloud, mde, graph, arm }) => {
    const p = providers(cloud);
    const up = { status: "up", latency_ms: expect.any(Number), error: null };
    expect([await p.health("defender"), await p.health("graph"), await p.health("azure_nsg")]).toEqual([up, up, up]);
    expect(seen()).toEqual({
      scopes: [`${arm}/.default`, `${mde}/.default`, `${graph}/.default`].sort(),
      tokenPaths: [`/${TENANT_A}/oauth2/v2.0/token`],
      defender: [`${mde} true`],
      graph: [`${graph} true`],
      arm: [`${arm} true`],
    });
  });

  it("MDR_CLOUD=china without MDE_API_URL: Defender is not configured, and refuses with a message saying what to set", async () => {
    const p = providers("china", { MDE_API_URL: "" });
    expect(p.configured("defender", TENANT_A)).toBe(false);
    expect(await p.health("defender")).toEqual({ status: "not_configured", latency_ms: null, error: null });
    await expect(p.endpoint.findMachines(TENANT_A, "ws-0142")).rejects.toThrow(
      "[Defender] Defender for Endpoint has no API host in cloud china: set MDE_API_URL",
    );
    expect(emu.requests).toEqual([]);
  });
});

describe("DefenderClient.findMachines: the quote in a name", () => {
  it("doubles it in both filters and finds the device (the API's schema never sends one, the adapter must not rely on that)", async () => {
    const p = providers("public");
    const machines = await p.endpoint.findMachines(TENANT_A, "o'brien-pc");
    expect(machines.map((m) => m.computerDnsName)).toEqual(["o'brien-pc.contoso.com"]);
    expect(emu.find({ service: "defender" }).map((r) => [r.query.$filter, r.status])).toEqual([
      ["computerDnsName eq 'o''brien-pc'", 200],
      ["startswith(computerDnsName,'o''brien-pc.')", 200],
    ]);
  });
});

describe("DefenderClient.findMachines: a 404 for an empty list", () => {
  let quiet: Emulator;
  beforeAll(async () => {
    quiet = await startEmulator({ ...exampleSeed(), certs: certsFromEnv()!, defender: { emptyListStatus: 404 } });
  });
  afterAll(() => quiet?.close());

  it("reads as no device (both filters tried), not as an error", async () => {
    const p = createLiveProviders(
      parseConfig({
        MDR_MODE: "live",
        AZURE_TENANT_ID: TENANT_A,
        AZURE_CLIENT_ID: CLIENT_A.clientId,
        AZURE_CLIENT_SECRET: CLIENT_A.clientSecret,
        AZURE_AUTHORITY_HOST: quiet.url,
        MDE_API_URL: quiet.url,
      }),
    );
    expect(await p.endpoint.findMachines(TENANT_A, "ghost-pc")).toEqual([]);
    expect(quiet.find({ service: "defender" }).map((r) => [r.query.$filter, r.status])).toEqual([
      ["computerDnsName eq 'ghost-pc'", 404],
      ["startswith(computerDnsName,'ghost-pc.')", 404],
    ]);
  });
});

describe("credentials the services refuse (401): named as refused, not as a missing permission", () => {
  let strict: Emulator;
  beforeAll(async () => {
    // Tokens are issued as usual, but no API accepts their audience; EC2 knows another key only.
    strict = await startEmulator({
      ...exampleSeed(),
      certs: certsFromEnv()!,
      audiences: { defender: ["https://elsewhere.example"], graph: ["https://elsewhere.example"], arm: ["https://elsewhere.example"] },
      aws: { credentials: [{ accessKeyId: "AKIAANOTHERKEY000000", secretAccessKey: "another/secret" }] },
    });
  });
  afterAll(() => strict?.close());

  it("each service is down with the service's own words, and nothing is retried", async () => {
    const cfg = parseConfig({
      MDR_MODE: "live",
      AZURE_TENANT_ID: TENANT_A,
      AZURE_CLIENT_ID: CLIENT_A.clientId,
      AZURE_CLIENT_SECRET: CLIENT_A.clientSecret,
      AZURE_AUTHORITY_HOST: strict.url,
      MDE_API_URL: strict.url,
      GRAPH_API_URL: strict.url,
      AZURE_RESOURCE_MANAGER_URL: strict.url,
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION_A,
      AZURE_NSG_RESOURCE_GROUP: RESOURCE_GROUP,
      AZURE_NSG_NAME: NSG,
      AWS_ENDPOINT_URL_EC2: strict.ec2Url,
    });
    cfg.live!.tenants[0]!.awsNacl = {
      region: "eu-west-1",
      networkAclId: ACL_A,
      ruleRange: { min: 1, max: 99 },
      rulesQuota: 20,
      credentials: { accessKeyId: AWS_KEY.accessKeyId, secretAccessKey: AWS_KEY.secretAccessKey },
    };
    const p = createLiveProviders(cfg);
    const down = (error: string) => ({ status: "down", latency_ms: expect.any(Number), error });
    expect([await p.health("defender"), await p.health("graph"), await p.health("azure_nsg"), await p.health("aws")]).toEqual([
      down(
        "[Defender] 401 Unauthorized on GET /api/machines: the access token was refused. Token audience 'https://api.securitycenter.microsoft.com' is not valid for this API.",
      ),
      down("[Graph] 401 InvalidAuthenticationToken on GET /organization: the access token was refused. Access token validation failure. Invalid audience."),
      down(
        "[Azure NSG] 401 InvalidAuthenticationTokenAudience on GET networkSecurityGroup: the access token was refused. The access token has been obtained for wrong audience or resource 'https://management.azure.com'. It should exactly match with one of the allowed audiences 'https://elsewhere.example'.",
      ),
      down("[AWS] 401 AuthFailure on DescribeNetworkAcls: the credentials were refused. AWS was not able to validate the provided access credentials"),
    ]);
    const refused = strict.requests.filter((r) => r.service !== "entra");
    expect(refused.map((r) => [r.service, r.status])).toEqual([
      ["defender", 401],
      ["graph", 401],
      ["arm", 401],
      ["ec2", 401],
    ]);
  });
});
