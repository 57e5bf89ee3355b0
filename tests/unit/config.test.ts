import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLOUD_PRESETS, type Config, ConfigError, parseConfig } from "@/lib/config";

const TENANT = "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d";
const CLIENT = "11111111-2222-3333-4444-555555555555";
const SUB = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const LIVE = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: "s3cret" };

const DEFAULTS: Config = {
  mode: "simulation",
  dbPath: "./data/mdr.db",
  sim: { failureRate: 0, faults: "", stepMs: 1500, extraDevices: 0, maxIndicators: 15_000 },
  statusTtlMs: 30_000,
  sweepIntervalMs: 5000,
  pollIntervalMs: 2000,
  queueIntervalMs: 1000,
  providerTimeoutMs: 30_000,
  rateLimits: {
    defender: [
      { limit: 90, windowMs: 60_000 },
      { limit: 1350, windowMs: 3_600_000 },
    ],
    graph: [{ limit: 600, windowMs: 60_000 }],
    azure_nsg: [{ limit: 300, windowMs: 60_000 }],
    aws: [{ limit: 240, windowMs: 60_000 }],
    aws_waf: [{ limit: 1, windowMs: 1000 }],
  },
  rateLanes: {
    defender: {
      batch: [
        { limit: 27, windowMs: 60_000 },
        { limit: 1350, windowMs: 3_600_000 },
      ],
    },
  },
  rateQueueMaxWaitMs: 30_000,
  breaker: { threshold: 5, cooldownMs: 30_000 },
  nsgPriorityRange: { min: 100, max: 199 },
  naclRuleRange: { min: 1, max: 99 },
  live: undefined,
  auth: {
    adminPassword: undefined,
    sessionTtlMs: 12 * 3_600_000,
    actorRateLimitPerMinute: 1000,
    loginMaxFailures: 5,
    publicUrl: undefined,
    trustProxy: false,
    trustedProxies: 0,
    protectedAssetsFile: undefined,
    oidc: undefined,
  },
  audit: { signingKeyPem: undefined, retentionDays: undefined },
  siem: { syslog: undefined, hec: undefined, intervalMs: 1000, retryMaxMs: 300_000 },
};

function refusal(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

const invalid = (...lines: string[]) => `Invalid configuration:\n  ${lines.join("\n  ")}`;

describe("parseConfig: rate limits and the circuit breaker", () => {
  it("reads CALLS/WINDOW lists per service, and none", () => {
    const cfg = parseConfig({
      MDR_RATE_LIMIT_DEFENDER: "100/1s, 1000/2m",
      MDR_RATE_LIMIT_GRAPH: "none",
      MDR_RATE_LIMIT_AWS: "5/500ms",
      MDR_RATE_LIMIT_AWS_WAF: "2/1s",
      MDR_RATE_QUEUE_MAX_WAIT_MS: "1000",
      MDR_BREAKER_THRESHOLD: "3",
      MDR_BREAKER_COOLDOWN_MS: "1500",
    });
    expect(cfg.rateLimits).toEqual({
      defender: [
        { limit: 100, windowMs: 1000 },
        { limit: 1000, windowMs: 120_000 },
      ],
      graph: [],
      azure_nsg: [{ limit: 300, windowMs: 60_000 }],
      aws: [{ limit: 5, windowMs: 500 }],
      aws_waf: [{ limit: 2, windowMs: 1000 }],
    });
    expect(cfg.rateQueueMaxWaitMs).toBe(1000);
    expect(cfg.breaker).toEqual({ threshold: 3, cooldownMs: 1500 });
  });

  it("reads Defender's batch lane (indicator import and batch delete) from MDR_RATE_LIMIT_DEFENDER_BATCH, apart from its other calls", () => {
    const cfg = parseConfig({ MDR_RATE_LIMIT_DEFENDER_BATCH: "30/600ms", MDR_RATE_LIMIT_DEFENDER: "100/1s" });
    expect(cfg.rateLanes).toEqual({ defender: { batch: [{ limit: 30, windowMs: 600 }] } });
    expect(cfg.rateLimits.defender).toEqual([{ limit: 100, windowMs: 1000 }]);
    expect(refusal({ MDR_RATE_LIMIT_DEFENDER_BATCH: "30" })).toBe(
      invalid('MDR_RATE_LIMIT_DEFENDER_BATCH: must be "CALLS/WINDOW" items like "90/60s,1350/1h" (ms, s, m, h; at most 24 h), or "none"'),
    );
  });

  it.each(["90", "90/60", "0/60s", "90/0s", "90/2d", "90/25h", "x/1s"])("refuses MDR_RATE_LIMIT_DEFENDER=%s", (value) => {
    expect(refusal({ MDR_RATE_LIMIT_DEFENDER: value })).toBe(
      invalid(
        'MDR_RATE_LIMIT_DEFENDER: must be "CALLS/WINDOW" items like "90/60s,1350/1h" (ms, s, m, h; at most 24 h), or "none"',
      ),
    );
  });
});

describe("parseConfig: MDR_TRUST_PROXY and MDR_ACTOR_RATE_LIMIT", () => {
  it("takes a number of proxies; true is 1, false and 0 none (the old values keep their meaning)", () => {
    for (const [value, n] of [
      ["true", 1],
      ["TRUE", 1],
      ["1", 1],
      ["false", 0],
      ["0", 0],
      ["2", 2],
      ["99", 99],
    ] as const) {
      const auth = parseConfig({ MDR_TRUST_PROXY: value }).auth;
      expect([value, auth.trustedProxies, auth.trustProxy]).toEqual([value, n, n > 0]);
    }
  });

  it.each(["yes", "-1", "1.5", "100", "01", "2 proxies"])("refuses MDR_TRUST_PROXY=%s", (value) => {
    expect(refusal({ MDR_TRUST_PROXY: value })).toBe(
      invalid("MDR_TRUST_PROXY: must be the number of proxies in front (0-99), true (1) or false (0)"),
    );
  });

  it("allows 1000 actions a minute per caller by default: a bulk of 500 a minute beside ordinary work", () => {
    expect(parseConfig({}).auth.actorRateLimitPerMinute).toBe(1000);
  });
});

describe("parseConfig: simulation", () => {
  it("an empty environment gives the defaults, in simulation", () => {
    expect(parseConfig({})).toEqual(DEFAULTS);
  });

  it("ignores variables it does not know, and treats empty ones as unset", () => {
    expect(parseConfig({ PATH: "/usr/bin", MDR_UNKNOWN: "x", MDR_SIM_STEP_MS: "", MDR_MODE: " ", AZURE_CLIENT_ID: "" })).toEqual(
      DEFAULTS,
    );
  });

  it.each([
    { env: { MDR_DB_PATH: "/var/lib/mdr/mdr.db" }, expected: { dbPath: "/var/lib/mdr/mdr.db" } },
    { env: { MDR_SIM_FAILURE_RATE: "0.25" }, expected: { sim: { ...DEFAULTS.sim, failureRate: 0.25 } } },
    { env: { MDR_SIM_FAULTS: "graph:down" }, expected: { sim: { ...DEFAULTS.sim, faults: "graph:down" } } },
    { env: { MDR_SIM_STEP_MS: "0" }, expected: { sim: { ...DEFAULTS.sim, stepMs: 0 } } },
    { env: { MDR_SIM_EXTRA_DEVICES: "20000" }, expected: { sim: { ...DEFAULTS.sim, extraDevices: 20_000 } } },
    { env: { MDR_SIM_MAX_INDICATORS: "1000000" }, expected: { sim: { ...DEFAULTS.sim, maxIndicators: 1_000_000 } } },
    { env: { MDR_STATUS_TTL_SECONDS: "10" }, expected: { statusTtlMs: 10_000 } },
    { env: { MDR_SWEEP_INTERVAL_MS: "100" }, expected: { sweepIntervalMs: 100 } },
    { env: { MDR_POLL_INTERVAL_MS: "3600000" }, expected: { pollIntervalMs: 3_600_000 } },
    { env: { MDR_PROVIDER_TIMEOUT_MS: "600000" }, expected: { providerTimeoutMs: 600_000 } },
    { env: { AZURE_NSG_PRIORITY_RANGE: " 200 - 299 " }, expected: { nsgPriorityRange: { min: 200, max: 299 } } },
    { env: { AWS_NACL_RULE_RANGE: "1-32766" }, expected: { naclRuleRange: { min: 1, max: 32766 } } },
    { env: { MDR_MODE: "simulation", ...LIVE }, expected: {} },
  ])("reads $env", ({ env, expected }) => {
    expect(parseConfig(env)).toEqual({ ...DEFAULTS, ...expected });
  });

  const nsg = 'AZURE_NSG_PRIORITY_RANGE: must be "LOW-HIGH" within 100-4096';
  const nacl = 'AWS_NACL_RULE_RANGE: must be "LOW-HIGH" within 1-32766';
  it.each([
    { env: { AZURE_NSG_PRIORITY_RANGE: "200" }, lines: [nsg] },
    { env: { AZURE_NSG_PRIORITY_RANGE: "99-199" }, lines: [nsg] },
    { env: { AZURE_NSG_PRIORITY_RANGE: "300-200" }, lines: [nsg] },
    { env: { AZURE_NSG_PRIORITY_RANGE: "1.5-3" }, lines: [nsg] },
    { env: { AWS_NACL_RULE_RANGE: "0-10" }, lines: [nacl] },
    { env: { AWS_NACL_RULES_QUOTA: "41" }, lines: ["AWS_NACL_RULES_QUOTA: Too big: expected number to be <=40"] },
    { env: { MDR_MODE: "Live" }, lines: ['MDR_MODE: Invalid option: expected one of "simulation"|"live"'] },
    { env: { MDR_SIM_FAILURE_RATE: "often" }, lines: ["MDR_SIM_FAILURE_RATE: Invalid input: expected number, received NaN"] },
    { env: { MDR_SIM_EXTRA_DEVICES: "1.5" }, lines: ["MDR_SIM_EXTRA_DEVICES: Invalid input: expected int, received number"] },
    { env: { MDR_PROVIDER_TIMEOUT_MS: "50" }, lines: ["MDR_PROVIDER_TIMEOUT_MS: Too small: expected number to be >=100"] },
    { env: { MDR_CLOUD: "azure" }, lines: ['MDR_CLOUD: Invalid option: expected one of "public"|"gcc"|"gcchigh"|"dod"|"china"'] },
    { env: { MDE_API_URL: "ftp://x" }, lines: ["MDE_API_URL: must be an http(s) URL"] },
    { env: { AZURE_CLIENT_ID: "abc" }, lines: ["AZURE_CLIENT_ID: must be a GUID"] },
    {
      env: { MDR_SIM_FAILURE_RATE: "2", AZURE_NSG_PRIORITY_RANGE: "1-2", AWS_NACL_RULE_RANGE: "x" },
      lines: ["MDR_SIM_FAILURE_RATE: Too big: expected number to be <=1", nsg, nacl],
    },
  ])("refuses $env", ({ env, lines }) => {
    expect(refusal(env)).toBe(invalid(...lines));
  });
});

describe("parseConfig: live", () => {
  it("AZURE_CLIENT_ID selects live mode with one tenant from the environment", () => {
    expect(parseConfig(LIVE)).toEqual({
      ...DEFAULTS,
      mode: "live",
      live: {
        cloud: "public",
        endpoints: CLOUD_PRESETS.public,
        ec2Endpoint: undefined,
        wafEndpoint: undefined,
        tenants: [{ tenantId: TENANT, name: TENANT, clientId: CLIENT, clientSecret: "s3cret", azureNsg: undefined, awsNacl: undefined, awsWaf: undefined }],
      },
    });
  });

  it("reads the NSG and network ACL of the tenant", () => {
    const live = parseConfig({
      ...LIVE,
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_NSG_RESOURCE_GROUP: "rg-edge",
      AZURE_NSG_NAME: "nsg-edge",
      AZURE_NSG_PRIORITY_RANGE: "200-299",
      AWS_REGION: "eu-west-1",
      AWS_NETWORK_ACL_ID: "acl-0a1b2c3d4e5f67890",
      AWS_ENDPOINT_URL_EC2: "http://127.0.0.1:4566/",
    }).live!;
    expect(live.ec2Endpoint).toBe("http://127.0.0.1:4566");
    expect(live.tenants[0]).toEqual({
      tenantId: TENANT,
      name: TENANT,
      clientId: CLIENT,
      clientSecret: "s3cret",
      azureNsg: { subscriptionId: SUB, resourceGroup: "rg-edge", nsgName: "nsg-edge", priorityRange: { min: 200, max: 299 } },
      awsNacl: { region: "eu-west-1", networkAclId: "acl-0a1b2c3d4e5f67890", ruleRange: { min: 1, max: 99 }, rulesQuota: 20 },
      awsWaf: undefined,
    });
  });

  it("reads the WAF IP sets of the tenant: name, id and scope from each ARN; a CLOUDFRONT set is called in us-east-1", () => {
    const v4 = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/blocked-v4/a1b2c3d4-5678-90ab-cdef-111111111111";
    const v6 = "arn:aws:wafv2:us-east-1:111122223333:global/ipset/blocked-v6/a1b2c3d4-5678-90ab-cdef-222222222222";
    const live = parseConfig({ ...LIVE, AWS_WAF_IPV4_SET_ARN: v4, AWS_WAF_IPV6_SET_ARN: v6, AWS_ENDPOINT_URL_WAFV2: "http://127.0.0.1:4567/" }).live!;
    expect(live.wafEndpoint).toBe("http://127.0.0.1:4567");
    expect(live.tenants[0]!.awsWaf).toEqual({
      ipv4Set: { arn: v4, name: "blocked-v4", id: "a1b2c3d4-5678-90ab-cdef-111111111111", scope: "REGIONAL", region: "eu-west-1", account: "111122223333" },
      ipv6Set: { arn: v6, name: "blocked-v6", id: "a1b2c3d4-5678-90ab-cdef-222222222222", scope: "CLOUDFRONT", region: "us-east-1", account: "111122223333" },
    });
    expect(parseConfig({ ...LIVE, AWS_WAF_IPV6_SET_ARN: v6 }).live!.tenants[0]!.awsWaf).toEqual({ ipv4Set: undefined, ipv6Set: expect.objectContaining({ arn: v6 }) });
  });

  it.each([
    ["an ACL id", "acl-0a1b2c3d4e5f67890", "AWS_WAF_IPV4_SET_ARN: must be a WAF v2 IP set ARN: arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id> (or global/... for CloudFront)"],
    ["a web ACL's ARN", "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/edge/a1b2c3d4", "AWS_WAF_IPV4_SET_ARN: must be a WAF v2 IP set ARN: arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id> (or global/... for CloudFront)"],
    ["a global set outside us-east-1", "arn:aws:wafv2:eu-west-1:111122223333:global/ipset/x/a1b2", "AWS_WAF_IPV4_SET_ARN: a global (CLOUDFRONT) IP set lives in us-east-1, not eu-west-1"],
  ])("refuses %s as an IP set ARN", (_, arn, line) => {
    expect(refusal({ ...LIVE, AWS_WAF_IPV4_SET_ARN: arn })).toBe(invalid(line));
  });

  it("refuses one set named for both address families", () => {
    const arn = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/blocked/a1b2c3d4";
    expect(refusal({ ...LIVE, AWS_WAF_IPV4_SET_ARN: arn, AWS_WAF_IPV6_SET_ARN: arn })).toBe(
      invalid("AWS_WAF_IPV4_SET_ARN, AWS_WAF_IPV6_SET_ARN: the IPv4 and the IPv6 IP set must be two sets (a set holds one address family)"),
    );
  });

  it.each([
    {
      cloud: "public",
      hosts: ["https://login.microsoftonline.com", "https://api.security.microsoft.com", "https://graph.microsoft.com", "https://management.azure.com"],
      resources: ["https://api.securitycenter.microsoft.com", "https://graph.microsoft.com", "https://management.azure.com"],
    },
    {
      cloud: "gcc",
      hosts: ["https://login.microsoftonline.com", "https://api-gcc.securitycenter.microsoft.us", "https://graph.microsoft.com", "https://management.azure.com"],
      resources: ["https://api-gcc.securitycenter.microsoft.us", "https://graph.microsoft.com", "https://management.azure.com"],
    },
    {
      cloud: "gcchigh",
      hosts: ["https://login.microsoftonline.us", "https://api-gov.securitycenter.microsoft.us", "https://graph.microsoft.us", "https://management.usgovcloudapi.net"],
      resources: ["https://api-gov.securitycenter.microsoft.us", "https://graph.microsoft.us", "https://management.usgovcloudapi.net"],
    },
    {
      cloud: "dod",
      hosts: ["https://login.microsoftonline.us", "https://api-gov.securitycenter.microsoft.us", "https://dod-graph.microsoft.us", "https://management.usgovcloudapi.net"],
      resources: ["https://api-gov.securitycenter.microsoft.us", "https://dod-graph.microsoft.us", "https://management.usgovcloudapi.net"],
    },
    {
      cloud: "china",
      hosts: ["https://login.chinacloudapi.cn", undefined, "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn"],
      resources: [undefined, "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn"],
    },
  ])("MDR_CLOUD=$cloud presets every host and token resource", ({ cloud, hosts, resources }) => {
    const e = parseConfig({ ...LIVE, MDR_CLOUD: cloud }).live!.endpoints;
    expect([e.authorityHost, e.mdeApiUrl, e.graphApiUrl, e.armUrl]).toEqual(hosts);
    expect([e.mdeResource, e.graphResource, e.armResource]).toEqual(resources);
  });

  it("overrides move the calls, never the token resources", () => {
    const e = parseConfig({
      ...LIVE,
      MDR_CLOUD: "gcchigh",
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:8443/",
      MDE_API_URL: "https://127.0.0.1:8443",
      GRAPH_API_URL: "https://127.0.0.1:8443",
      AZURE_RESOURCE_MANAGER_URL: "https://127.0.0.1:8443",
    }).live!.endpoints;
    expect(e).toEqual({
      ...CLOUD_PRESETS.gcchigh,
      authorityHost: "https://127.0.0.1:8443",
      mdeApiUrl: "https://127.0.0.1:8443",
      graphApiUrl: "https://127.0.0.1:8443",
      armUrl: "https://127.0.0.1:8443",
    });
  });

  it.each([
    {
      env: { MDR_MODE: "live" },
      lines: [
        "AZURE_TENANT_ID: is required in live mode (or use MDR_TENANTS_FILE)",
        "AZURE_CLIENT_ID: is required in live mode (or use MDR_TENANTS_FILE)",
        "AZURE_CLIENT_SECRET: is required in live mode (or use MDR_TENANTS_FILE)",
      ],
    },
    {
      env: { AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: TENANT },
      lines: ["AZURE_CLIENT_SECRET: is required in live mode (or use MDR_TENANTS_FILE)"],
    },
    {
      env: { ...LIVE, AZURE_SUBSCRIPTION_ID: SUB },
      lines: ["AZURE_SUBSCRIPTION_ID, AZURE_NSG_RESOURCE_GROUP, AZURE_NSG_NAME: set all three to use an NSG, or none"],
    },
    { env: { ...LIVE, AWS_NETWORK_ACL_ID: "acl-0a1b2c3d" }, lines: ["AWS_REGION: is required with AWS_NETWORK_ACL_ID"] },
    { env: { ...LIVE, AWS_NETWORK_ACL_ID: "sg-0a1b2c3d" }, lines: ["AWS_NETWORK_ACL_ID: must be a network ACL id like acl-0123abcd"] },
  ])("refuses an incomplete live configuration: $lines", ({ env, lines }) => {
    expect(refusal(env)).toBe(invalid(...lines));
  });
});

describe("parseConfig: MDR_TENANTS_FILE", () => {
  const SECOND = "22222222-3333-4444-5555-666666666666";
  const THIRD = "33333333-4444-4555-8666-777777777777";
  function file(content: unknown): string {
    const p = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-tenants-")), "tenants.json");
    fs.writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
    return p;
  }

  it("reads several tenants, each with its own credentials and firewalls; secrets by variable name", () => {
    const p = file({
      tenants: [
        {
          tenant_id: TENANT,
          name: "Contoso",
          client_id: CLIENT,
          client_secret_env: "CONTOSO_SECRET",
          azure_nsg: { subscription_id: SUB, resource_group: "rg", nsg_name: "nsg", priority_range: "300-310" },
        },
        {
          tenant_id: SECOND,
          client_id: SECOND,
          client_secret: "inline",
          aws_nacl: { region: "us-east-1", network_acl_id: "acl-12345678", access_key_id_env: "AK", secret_access_key_env: "SK" },
        },
        {
          tenant_id: THIRD,
          client_id: THIRD,
          client_secret: "inline",
          aws_nacl: { region: "eu-west-1", network_acl_id: "acl-87654321", rules_quota: 40 },
        },
      ],
    });
    // AWS_NACL_RULES_QUOTA for a tenant that names none, its own rules_quota before it.
    const cfg = parseConfig({ MDR_TENANTS_FILE: p, CONTOSO_SECRET: "from-env", AK: "AKIAEXAMPLE", SK: "secret-key", AWS_NACL_RULES_QUOTA: "30" });
    expect(cfg.mode).toBe("live");
    expect(cfg.live!.tenants).toEqual([
      {
        tenantId: TENANT,
        name: "Contoso",
        clientId: CLIENT,
        clientSecret: "from-env",
        azureNsg: { subscriptionId: SUB, resourceGroup: "rg", nsgName: "nsg", priorityRange: { min: 300, max: 310 } },
        awsNacl: undefined,
        awsWaf: undefined,
      },
      {
        tenantId: SECOND,
        name: SECOND,
        clientId: SECOND,
        clientSecret: "inline",
        azureNsg: undefined,
        awsNacl: {
          region: "us-east-1",
          networkAclId: "acl-12345678",
          ruleRange: { min: 1, max: 99 },
          rulesQuota: 30,
          credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret-key" },
        },
        awsWaf: undefined,
      },
      {
        tenantId: THIRD,
        name: THIRD,
        clientId: THIRD,
        clientSecret: "inline",
        azureNsg: undefined,
        awsNacl: { region: "eu-west-1", networkAclId: "acl-87654321", ruleRange: { min: 1, max: 99 }, rulesQuota: 40, credentials: undefined },
      },
    ]);
  });

  it("a tenant's aws_waf: its IP sets and its own AWS keys; a region they are not in, or a set for neither family, is refused", () => {
    const v4 = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/blocked-v4/a1b2c3d4";
    const p = file({
      tenants: [
        { tenant_id: TENANT, client_id: CLIENT, client_secret: "a", aws_waf: { ipv4_set_arn: v4, region: "eu-west-1", access_key_id_env: "AK", secret_access_key_env: "SK" } },
      ],
    });
    expect(parseConfig({ MDR_TENANTS_FILE: p, AK: "AKIAEXAMPLE", SK: "secret-key" }).live!.tenants[0]!.awsWaf).toEqual({
      ipv4Set: { arn: v4, name: "blocked-v4", id: "a1b2c3d4", scope: "REGIONAL", region: "eu-west-1", account: "111122223333" },
      ipv6Set: undefined,
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret-key" },
    });
    const wrong = file({ tenants: [{ tenant_id: TENANT, client_id: CLIENT, client_secret: "a", aws_waf: { ipv4_set_arn: v4, region: "us-west-2" } }] });
    expect(refusal({ MDR_TENANTS_FILE: wrong })).toBe(
      invalid(`MDR_TENANTS_FILE: tenants.0.aws_waf: region us-west-2: the IP set ${v4} is called in eu-west-1`),
    );
    const none = file({ tenants: [{ tenant_id: TENANT, client_id: CLIENT, client_secret: "a", aws_waf: {} }] });
    expect(refusal({ MDR_TENANTS_FILE: none })).toBe(invalid("MDR_TENANTS_FILE: tenants.0.aws_waf: name the IPv4 or the IPv6 IP set (or both)"));
  });

  it("Defender's token scope: MDE_TOKEN_SCOPE for every tenant, a tenant's defender.token_scope before it", () => {
    const scoped = "https://securitycenter.onmicrosoft.us/.default";
    const own = "api://mde-gov/.default";
    const p = file({
      tenants: [
        { tenant_id: TENANT, client_id: CLIENT, client_secret: "a" },
        { tenant_id: SECOND, client_id: SECOND, client_secret: "b", defender: { token_scope: own } },
      ],
    });
    const scopes = (env: Record<string, string>) => parseConfig({ MDR_TENANTS_FILE: p, ...env }).live!.tenants.map((t) => t.mdeTokenScope);
    expect(scopes({})).toEqual([undefined, own]);
    expect(scopes({ MDE_TOKEN_SCOPE: scoped })).toEqual([scoped, own]);
    expect(parseConfig({ ...LIVE, MDE_TOKEN_SCOPE: scoped }).live!.tenants[0]!.mdeTokenScope).toBe(scoped);
    expect(parseConfig(LIVE).live!.tenants[0]).not.toHaveProperty("mdeTokenScope");
    const wrong = 'must be a resource followed by /.default, e.g. https://securitycenter.onmicrosoft.us/.default';
    expect(refusal({ ...LIVE, MDE_TOKEN_SCOPE: "https://securitycenter.onmicrosoft.us" }).split("\n")[1]!.trim()).toBe(`MDE_TOKEN_SCOPE: ${wrong}`);
    expect(refusal({ ...LIVE, MDE_TOKEN_SCOPE: "a b/.default" }).split("\n")[1]!.trim()).toBe(`MDE_TOKEN_SCOPE: ${wrong}`);
    const bad = file({ tenants: [{ tenant_id: TENANT, client_id: CLIENT, client_secret: "a", defender: { token_scope: "x" } }] });
    expect(refusal({ MDR_TENANTS_FILE: bad }).split("\n")[1]!.trim()).toBe(`MDR_TENANTS_FILE: tenants.0.defender.token_scope: ${wrong}`);
  });

  it.each([
    { content: "{not json", line: /^MDR_TENANTS_FILE: cannot read .*tenants\.json: / },
    { content: { tenants: [] }, line: /^MDR_TENANTS_FILE: tenants: Too small/ },
    {
      content: { tenants: [{ tenant_id: TENANT, client_id: CLIENT }] },
      line: /^MDR_TENANTS_FILE: tenants\.0: give exactly one of client_secret and client_secret_env$/,
    },
    {
      content: { tenants: [{ tenant_id: TENANT, client_id: CLIENT, client_secret_env: "NOPE" }] },
      line: /^MDR_TENANTS_FILE: tenants\.0\.client_secret_env names NOPE, which is not set$/,
    },
    {
      content: {
        tenants: [
          { tenant_id: TENANT, client_id: CLIENT, client_secret: "a" },
          { tenant_id: TENANT.toUpperCase(), client_id: CLIENT, client_secret: "b" },
        ],
      },
      line: new RegExp(`^MDR_TENANTS_FILE: tenant ${TENANT} is listed twice$`),
    },
    {
      content: {
        tenants: [
          { tenant_id: TENANT, client_id: CLIENT, client_secret: "a", aws_nacl: { region: "eu-west-1", network_acl_id: "acl-12345678", access_key_id_env: "AK" } },
        ],
      },
      line: /^MDR_TENANTS_FILE: tenants\.0\.aws_nacl: give both access_key_id_env and secret_access_key_env, or neither$/,
    },
    {
      content: { tenants: [{ tenant_id: TENANT, client_id: CLIENT, client_secret: "a", extra: 1 }] },
      line: /^MDR_TENANTS_FILE: tenants\.0: Unrecognized key: "extra"$/,
    },
  ])("refuses a bad tenants file: $line", ({ content, line }) => {
    const message = refusal({ MDR_TENANTS_FILE: file(content) });
    expect(message.split("\n")[0]).toBe("Invalid configuration:");
    expect(message.split("\n")[1]!.trim()).toMatch(line);
  });

  it("never puts a secret in its messages", () => {
    const p = file({ tenants: [{ tenant_id: TENANT, client_id: "bad", client_secret: "hunter2-secret" }] });
    expect(refusal({ MDR_TENANTS_FILE: p })).not.toContain("hunter2");
  });
});

describe("parseConfig: SIEM forwarding", () => {
  it("reads a syslog URL (tcp, or tls with a CA file) and a HEC URL with its token", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-siem-config-"));
    const ca = path.join(dir, "ca.pem");
    fs.writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    expect(parseConfig({ MDR_SIEM_SYSLOG_URL: "tcp://siem.example.com:514" }).siem).toEqual({
      ...DEFAULTS.siem,
      syslog: { protocol: "tcp", host: "siem.example.com", port: 514, url: "tcp://siem.example.com:514", ca: undefined },
    });
    expect(
      parseConfig({
        MDR_SIEM_SYSLOG_URL: "tls://10.0.0.5:6514",
        MDR_SIEM_SYSLOG_CA_FILE: ca,
        MDR_SIEM_HEC_URL: "https://splunk.example.com:8088/",
        MDR_SIEM_HEC_TOKEN: "0a1b2c3d-hec",
        MDR_SIEM_INTERVAL_MS: "200",
        MDR_SIEM_RETRY_MAX_MS: "2000",
      }).siem,
    ).toEqual({
      syslog: { protocol: "tls", host: "10.0.0.5", port: 6514, url: "tls://10.0.0.5:6514", ca: fs.readFileSync(ca, "utf8") },
      hec: { url: "https://splunk.example.com:8088/services/collector/event", token: "0a1b2c3d-hec" },
      intervalMs: 200,
      retryMaxMs: 2000,
    });
    // The full event endpoint is taken as it is.
    expect(
      parseConfig({ MDR_SIEM_HEC_URL: "http://127.0.0.1:8088/services/collector/event", MDR_SIEM_HEC_TOKEN: "t" }).siem.hec,
    ).toEqual({ url: "http://127.0.0.1:8088/services/collector/event", token: "t" });
  });

  it("refuses a bad URL, a token without its URL and the reverse, a CA for plain TCP; never echoes the token", () => {
    expect(refusal({ MDR_SIEM_SYSLOG_URL: "udp://siem:514" })).toBe(
      invalid('MDR_SIEM_SYSLOG_URL: must be "tcp://host:port" or "tls://host:port"'),
    );
    expect(refusal({ MDR_SIEM_SYSLOG_URL: "tcp://siem:70000" })).toBe(invalid("MDR_SIEM_SYSLOG_URL: the port must be 1-65535"));
    expect(refusal({ MDR_SIEM_SYSLOG_URL: "tcp://siem:514", MDR_SIEM_SYSLOG_CA_FILE: "/nonexistent/ca.pem" })).toBe(
      invalid("MDR_SIEM_SYSLOG_CA_FILE: only for a tls:// syslog URL", "MDR_SIEM_SYSLOG_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)"),
    );
    expect(refusal({ MDR_SIEM_HEC_URL: "https://splunk:8088" })).toBe(invalid("MDR_SIEM_HEC_TOKEN: required with MDR_SIEM_HEC_URL"));
    expect(refusal({ MDR_SIEM_HEC_TOKEN: "secret-token-1" })).toBe(invalid("MDR_SIEM_HEC_URL: required with MDR_SIEM_HEC_TOKEN"));
    const spaced = refusal({ MDR_SIEM_HEC_URL: "https://splunk:8088", MDR_SIEM_HEC_TOKEN: "secret token" });
    expect(spaced).toBe(invalid("MDR_SIEM_HEC_TOKEN: must be the HEC token (printable, no spaces)"));
    expect(spaced).not.toContain("secret");
  });
});

describe("parseConfig: audit retention", () => {
  it("keeps everything by default, or a whole number of days", () => {
    expect(parseConfig({}).audit.retentionDays).toBeUndefined();
    expect(parseConfig({ MDR_AUDIT_RETENTION_DAYS: "" }).audit.retentionDays).toBeUndefined();
    expect(parseConfig({ MDR_AUDIT_RETENTION_DAYS: "365" }).audit).toEqual({ signingKeyPem: undefined, retentionDays: 365 });
    expect(parseConfig({ MDR_AUDIT_RETENTION_DAYS: " 90 " }).audit.retentionDays).toBe(90);
  });

  it("refuses nonsense at start, naming the variable", () => {
    for (const value of ["0", "-3", "1.5", "ninety", "36501"]) {
      expect(refusal({ MDR_AUDIT_RETENTION_DAYS: value })).toBe(invalid("MDR_AUDIT_RETENTION_DAYS: must be a whole number of days (1-36500)"));
    }
  });
});
