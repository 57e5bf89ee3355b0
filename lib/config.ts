// The environment, parsed once with zod. Nothing else in the project reads process.env.
import { createPrivateKey } from "node:crypto";
import fs from "node:fs";
import { z } from "zod";
import { parseWafIpSetArn, type WafIpSetRef } from "@/lib/mdr/providers/aws-waf/arn";
import { perService, type Service, SERVICE_FACTS, SERVICE_KEYS } from "@/lib/mdr/providers/facts";

type Range = { min: number; max: number };

function parseRange(value: string, min: number, max: number): Range | undefined {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo >= min && hi <= max && lo <= hi ? { min: lo, max: hi } : undefined;
}

const range = (min: number, max: number, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const r = parseRange(value, min, max);
      if (!r) {
        ctx.addIssue({ code: "custom", message: `must be "LOW-HIGH" within ${min}-${max}` });
        return z.NEVER;
      }
      return r;
    });

type RateWindow = { limit: number; windowMs: number };
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90/60s,1350/1h": at most 90 calls in any 60 s and 1,350 in any hour; "none": no limit. */
export function parseRateLimits(value: string): RateWindow[] | undefined {
  if (value.trim().toLowerCase() === "none") return [];
  const windows: RateWindow[] = [];
  for (const part of value.split(",")) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(part);
    if (!m) return undefined;
    const limit = Number(m[1]);
    const windowMs = Number(m[2]) * UNIT_MS[m[3]!]!;
    if (limit < 1 || windowMs < 1 || windowMs > 24 * 3_600_000) return undefined;
    windows.push({ limit, windowMs });
  }
  return windows;
}

const rateLimits = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const windows = parseRateLimits(value);
      if (!windows) {
        ctx.addIssue({ code: "custom", message: 'must be "CALLS/WINDOW" items like "90/60s,1350/1h" (ms, s, m, h; at most 24 h), or "none"' });
        return z.NEVER;
      }
      return windows;
    });

/** A service's rate limit variable: MDR_RATE_LIMIT_DEFENDER, MDR_RATE_LIMIT_AWS_WAF... */
type RateLimitVar = `MDR_RATE_LIMIT_${Uppercase<Service>}`;
const rateLimitVar = (service: Service) => `MDR_RATE_LIMIT_${service.toUpperCase()}` as RateLimitVar;
// Below the published limits, each system's own (lib/mdr/providers/<system>/facts.ts).
const RATE_LIMIT_VARS = Object.fromEntries(
  SERVICE_KEYS.map((s) => [rateLimitVar(s), rateLimits(SERVICE_FACTS[s].limits.rate)]),
) as Record<RateLimitVar, ReturnType<typeof rateLimits>>;

/** A WAF v2 IP set's ARN, parsed. */
const wafIpSetArn = z.string().transform((value, ctx) => {
  const parsed = parseWafIpSetArn(value);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: "custom", message: parsed });
    return z.NEVER;
  }
  return parsed;
});

const number = (min: number, max: number, fallback: number) => z.coerce.number().min(min).max(max).default(fallback);

const url = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).transform((u) => u.replace(/\/+$/, ""));

export const CLOUDS = ["public", "gcc", "gcchigh", "dod", "china"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** Hosts of each cloud, and the resource each token is asked for (PROVIDERS.md; Graph deployments.md; MDE gov.md). */
export interface CloudEndpoints {
  authorityHost: string;
  /** Undefined where Defender for Endpoint has no published API host (China): set MDE_API_URL. */
  mdeApiUrl: string | undefined;
  mdeResource: string | undefined;
  graphApiUrl: string;
  graphResource: string;
  armUrl: string;
  armResource: string;
}

export const CLOUD_PRESETS: Record<Cloud, CloudEndpoints> = {
  public: {
    authorityHost: "https://login.microsoftonline.com",
    mdeApiUrl: "https://api.security.microsoft.com",
    mdeResource: "https://api.securitycenter.microsoft.com",
    graphApiUrl: "https://graph.microsoft.com",
    graphResource: "https://graph.microsoft.com",
    armUrl: "https://management.azure.com",
    armResource: "https://management.azure.com",
  },
  // GCC: commercial Entra ID, Graph and Azure; its own Defender for Endpoint host.
  gcc: {
    authorityHost: "https://login.microsoftonline.com",
    mdeApiUrl: "https://api-gcc.securitycenter.microsoft.us",
    mdeResource: "https://api-gcc.securitycenter.microsoft.us",
    graphApiUrl: "https://graph.microsoft.com",
    graphResource: "https://graph.microsoft.com",
    armUrl: "https://management.azure.com",
    armResource: "https://management.azure.com",
  },
  gcchigh: {
    authorityHost: "https://login.microsoftonline.us",
    mdeApiUrl: "https://api-gov.securitycenter.microsoft.us",
    mdeResource: "https://api-gov.securitycenter.microsoft.us",
    graphApiUrl: "https://graph.microsoft.us",
    graphResource: "https://graph.microsoft.us",
    armUrl: "https://management.usgovcloudapi.net",
    armResource: "https://management.usgovcloudapi.net",
  },
  dod: {
    authorityHost: "https://login.microsoftonline.us",
    mdeApiUrl: "https://api-gov.securitycenter.microsoft.us",
    mdeResource: "https://api-gov.securitycenter.microsoft.us",
    graphApiUrl: "https://dod-graph.microsoft.us",
    graphResource: "https://dod-graph.microsoft.us",
    armUrl: "https://management.usgovcloudapi.net",
    armResource: "https://management.usgovcloudapi.net",
  },
  china: {
    authorityHost: "https://login.chinacloudapi.cn",
    mdeApiUrl: undefined,
    mdeResource: undefined,
    graphApiUrl: "https://microsoftgraph.chinacloudapi.cn",
    graphResource: "https://microsoftgraph.chinacloudapi.cn",
    armUrl: "https://management.chinacloudapi.cn",
    armResource: "https://management.chinacloudapi.cn",
  },
};

/** One tenant the app can act in, with its own credentials and its own firewalls. */
export interface TenantConfig {
  tenantId: string;
  name: string;
  clientId: string;
  clientSecret: string;
  /** The scope Defender tokens are asked for, where it is not `<Defender resource>/.default`. */
  mdeTokenScope?: string;
  azureNsg?: { subscriptionId: string; resourceGroup: string; nsgName: string; priorityRange: Range };
  awsNacl?: {
    region: string;
    networkAclId: string;
    ruleRange: Range;
    /**
     * Entries an ACL holds per direction and address family, the default deny entry included
     * (the account's VPC quota "Rules per network ACL": 20, at most 40). The API cannot tell it.
     */
    rulesQuota: number;
    /** Omitted: the AWS SDK's default credential chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
  /** AWS WAF v2: the IP set each address family is blocked in (at least one). */
  awsWaf?: {
    ipv4Set?: WafIpSetRef;
    ipv6Set?: WafIpSetRef;
    /** Omitted: the AWS SDK's default credential chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
}

export interface LiveConfig {
  cloud: Cloud;
  endpoints: CloudEndpoints;
  /** EC2 endpoint override (the SDK's own AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL). */
  ec2Endpoint: string | undefined;
  /** WAF v2 endpoint override (AWS_ENDPOINT_URL_WAFV2 / AWS_ENDPOINT_URL). */
  wafEndpoint: string | undefined;
  tenants: TenantConfig[];
}

/** A client-credentials scope: a resource (its URI or app id) followed by /.default. */
const tokenScope = z
  .string()
  .regex(/^[^\s/][^\s]*\/\.default$/, "must be a resource followed by /.default, e.g. https://securitycenter.onmicrosoft.us/.default");

const GUID = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a GUID")
  .transform((g) => g.toLowerCase());

// A tenants file entry. A secret may be given inline or, better, as the name of an environment variable.
const TenantFileEntry = z
  .strictObject({
    tenant_id: GUID,
    name: z.string().min(1).max(100).optional(),
    client_id: GUID,
    client_secret: z.string().min(1).optional(),
    client_secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must name an environment variable").optional(),
    defender: z.strictObject({ token_scope: tokenScope.optional() }).optional(),
    azure_nsg: z
      .strictObject({
        subscription_id: GUID,
        resource_group: z.string().min(1).max(90),
        nsg_name: z.string().min(1).max(80),
        priority_range: z.string().default("100-199"),
      })
      .optional(),
    aws_nacl: z
      .strictObject({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-west-1"),
        network_acl_id: z.string().regex(/^acl-[0-9a-f]{8,17}$/, "must be a network ACL id like acl-0123abcd"),
        rule_range: z.string().default("1-99"),
        rules_quota: z.number().int().min(1).max(40).optional(),
        access_key_id_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
        secret_access_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
      })
      .optional(),
    aws_waf: z
      .strictObject({
        ipv4_set_arn: wafIpSetArn.optional(),
        ipv6_set_arn: wafIpSetArn.optional(),
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region like eu-west-1").optional(),
        access_key_id_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
        secret_access_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
      })
      .optional(),
  })
  .refine((t) => (t.client_secret === undefined) !== (t.client_secret_env === undefined), {
    message: "give exactly one of client_secret and client_secret_env",
  });
const TenantsFile = z.strictObject({ tenants: z.array(TenantFileEntry).min(1) });

// Every variable: empty counts as unset, so `FOO=` never turns into 0 or "".
const EnvSchema = z.object({
  MDR_MODE: z.enum(["simulation", "live"]).optional(),
  MDR_DB_PATH: z.string().min(1).default("./data/mdr.db"),
  MDR_SIM_FAILURE_RATE: number(0, 1, 0),
  MDR_SIM_FAULTS: z.string().default(""),
  MDR_SIM_STEP_MS: number(0, 600_000, 1500),
  MDR_SIM_EXTRA_DEVICES: z.coerce.number().int().min(0).max(1_000_000).default(0),
  MDR_SIM_MAX_INDICATORS: z.coerce.number().int().min(1).max(10_000_000).default(15_000),
  MDR_STATUS_TTL_SECONDS: number(0, 3600, 30),
  MDR_SWEEP_INTERVAL_MS: number(100, 3_600_000, 5000),
  MDR_POLL_INTERVAL_MS: number(100, 3_600_000, 2000),
  MDR_QUEUE_INTERVAL_MS: number(50, 60_000, 1000),
  MDR_PROVIDER_TIMEOUT_MS: number(100, 600_000, 30_000),
  ...RATE_LIMIT_VARS,
  MDR_RATE_LIMIT_DEFENDER_BATCH: rateLimits(SERVICE_FACTS.defender.limits.batchRate),
  MDR_RATE_QUEUE_MAX_WAIT_MS: number(0, 600_000, 30_000),
  MDR_BREAKER_THRESHOLD: number(0, 1000, 5),
  MDR_BREAKER_COOLDOWN_MS: number(100, 3_600_000, 30_000),
  MDR_CLOUD: z.enum(CLOUDS).default("public"),
  AZURE_AUTHORITY_HOST: url.optional(),
  MDE_API_URL: url.optional(),
  MDE_TOKEN_SCOPE: tokenScope.optional(),
  GRAPH_API_URL: url.optional(),
  AZURE_RESOURCE_MANAGER_URL: url.optional(),
  AZURE_TENANT_ID: GUID.optional(),
  AZURE_CLIENT_ID: GUID.optional(),
  AZURE_CLIENT_SECRET: z.string().optional(),
  AZURE_SUBSCRIPTION_ID: GUID.optional(),
  AZURE_NSG_RESOURCE_GROUP: z.string().max(90).optional(),
  AZURE_NSG_NAME: z.string().max(80).optional(),
  AZURE_NSG_PRIORITY_RANGE: range(100, 4096, "100-199"),
  AWS_REGION: z.string().optional(),
  AWS_NETWORK_ACL_ID: z.string().regex(/^acl-[0-9a-f]{8,17}$/, "must be a network ACL id like acl-0123abcd").optional(),
  AWS_NACL_RULE_RANGE: range(1, 32766, "1-99"),
  // The VPC quota "Rules per network ACL" (20 by default, 40 at most), which the EC2 API does not tell.
  AWS_NACL_RULES_QUOTA: z.coerce.number().int().min(1).max(40).default(20),
  AWS_ENDPOINT_URL_EC2: url.optional(),
  AWS_ENDPOINT_URL: url.optional(),
  AWS_WAF_IPV4_SET_ARN: wafIpSetArn.optional(),
  AWS_WAF_IPV6_SET_ARN: wafIpSetArn.optional(),
  AWS_ENDPOINT_URL_WAFV2: url.optional(),
  MDR_TENANTS_FILE: z.string().optional(),
  MDR_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").max(256).optional(),
  MDR_SESSION_TTL_HOURS: number(0.1, 720, 12),
  MDR_ACTOR_RATE_LIMIT: number(0, 1_000_000, 1000),
  MDR_LOGIN_MAX_FAILURES: number(1, 1000, 5),
  MDR_PUBLIC_URL: url.optional(),
  // How many reverse proxies stand in front, each appending to X-Forwarded-For: `true` is one, `false` none.
  MDR_TRUST_PROXY: z
    .string()
    .default("false")
    .transform((v, ctx) => {
      const t = v.trim().toLowerCase();
      if (t === "true") return 1;
      if (t === "false") return 0;
      if (/^(?:0|[1-9]\d?)$/.test(t)) return Number(t);
      ctx.addIssue({ code: "custom", message: "must be the number of proxies in front (0-99), true (1) or false (0)" });
      return z.NEVER;
    }),
  MDR_PROTECTED_ASSETS_FILE: z.string().optional(),
  MDR_AUDIT_SIGNING_KEY: z.string().optional(),
  // Unset: the audit log is kept whole.
  MDR_AUDIT_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days (1-36500)" })
    .int("must be a whole number of days (1-36500)")
    .min(1, "must be a whole number of days (1-36500)")
    .max(36_500, "must be a whole number of days (1-36500)")
    .optional(),
  MDR_OIDC_ISSUER: url.optional(),
  MDR_OIDC_CLIENT_ID: z.string().max(200).optional(),
  MDR_OIDC_CLIENT_SECRET: z.string().max(500).optional(),
  MDR_OIDC_SCOPES: z.string().default("openid profile email"),
  MDR_OIDC_ROLE_CLAIM: z.string().min(1).default("roles"),
  MDR_OIDC_ROLE_MAP: z.string().default("MDR.Admin=admin,MDR.Responder=responder,MDR.Viewer=viewer"),
  MDR_OIDC_TENANT_CLAIM: z.string().min(1).optional(),
  MDR_OIDC_TENANT_MAP: z.string().optional(),
  MDR_OIDC_USERNAME_CLAIM: z.string().min(1).default("preferred_username"),
  // SIEM forwarding (lib/mdr/siem): syslog (RFC 5424, CEF payload) over TCP or TLS, Splunk HEC.
  MDR_SIEM_SYSLOG_URL: z
    .string()
    .regex(/^(tcp|tls):\/\/[^/:\s]+:\d{1,5}\/?$/, 'must be "tcp://host:port" or "tls://host:port"')
    .optional(),
  MDR_SIEM_SYSLOG_CA_FILE: z.string().optional(),
  MDR_SIEM_HEC_URL: url.optional(),
  MDR_SIEM_HEC_TOKEN: z.string().regex(/^[\x21-\x7e]{1,512}$/, "must be the HEC token (printable, no spaces)").optional(),
  MDR_SIEM_INTERVAL_MS: number(50, 3_600_000, 1000),
  MDR_SIEM_RETRY_MAX_MS: number(100, 3_600_000, 300_000),
});
type Env = z.infer<typeof EnvSchema>;

export type Config = {
  mode: "simulation" | "live";
  dbPath: string;
  /**
   * extraDevices: generated fleet-NNNNNN devices on top of the seeded ones; maxIndicators: the
   * Defender indicator quota (load tests need many hosts, and more blocks than a tenant may hold).
   */
  sim: { failureRate: number; faults: string; stepMs: number; extraDevices: number; maxIndicators: number };
  statusTtlMs: number;
  sweepIntervalMs: number;
  pollIntervalMs: number;
  /** How often the bulk queue's waiting targets are looked at (each goes when its provider has a turn). */
  queueIntervalMs: number;
  providerTimeoutMs: number;
  /** Outgoing calls per service and tenant: every window applies. */
  rateLimits: Record<Service, RateWindow[]>;
  /** Calls a service counts apart (its lanes, by name): Defender's indicator import and batch delete ("batch"). */
  rateLanes: Partial<Record<Service, Record<string, RateWindow[]>>>;
  rateQueueMaxWaitMs: number;
  /** Consecutive failures that open a service's circuit (0: never), and how long it stays open. */
  breaker: { threshold: number; cooldownMs: number };
  nsgPriorityRange: Range;
  naclRuleRange: Range;
  /** Present in live mode only. */
  live: LiveConfig | undefined;
  auth: AuthConfig;
  audit: AuditConfig;
  siem: SiemConfig;
};

export interface AuditConfig {
  /** The Ed25519 private key that signs the audit chain's checkpoints (PKCS#8 PEM); else one kept in the database's folder. */
  signingKeyPem: string | undefined;
  /** Days the audit log is kept (older final records are pruned hourly); undefined: kept whole. */
  retentionDays: number | undefined;
}

/** Where audit records are forwarded (none configured: nothing is sent, the outbox is emptied). */
export interface SiemConfig {
  syslog: { protocol: "tcp" | "tls"; host: string; port: number; url: string; ca: string | undefined } | undefined;
  /** `url` is the collector's event endpoint (…/services/collector/event); the token is sent, never shown. */
  hec: { url: string; token: string } | undefined;
  /** How often the sender looks at the outbox. */
  intervalMs: number;
  /** The longest wait between two attempts at a failing destination (the backoff doubles up to it). */
  retryMaxMs: number;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string;
  roleClaim: string;
  /** Claim value (app role name or group id) -> role; the highest role matched wins. */
  roleMap: Record<string, "viewer" | "responder" | "admin">;
  /** The claim whose values name a person's tenants (default: the role claim). */
  tenantClaim: string;
  /**
   * Claim value -> the tenants it gives (null: every tenant); a person gets the union of theirs.
   * Undefined: no mapping, everyone signed in sees every tenant.
   */
  tenantMap: Record<string, string[] | null> | undefined;
  usernameClaim: string;
}

export interface AuthConfig {
  /** The first admin's password on a database without users; generated and printed when unset. */
  adminPassword: string | undefined;
  sessionTtlMs: number;
  /** Actions per minute each actor may request; 0 turns the limit off. */
  actorRateLimitPerMinute: number;
  /** Failed sign-ins per account (and per client address x4) in 15 minutes before sign-in is refused. */
  loginMaxFailures: number;
  /** The origin the page is served at (https://mdr.example.com); else the request's own Host. */
  publicUrl: string | undefined;
  /** Whether X-Forwarded-For / X-Forwarded-Proto come from a proxy we trust (trustedProxies > 0). */
  trustProxy: boolean;
  /**
   * How many proxies in front append to X-Forwarded-For (MDR_TRUST_PROXY): the client's address is
   * that many entries from its right end; whatever is left of it the client wrote itself.
   */
  trustedProxies: number;
  protectedAssetsFile: string | undefined;
  oidc: OidcConfig | undefined;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function fail(lines: string[]): never {
  throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
}

function issuesOf(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map((i) => `${prefix}${i.path.join(".")}: ${i.message}`);
}

/** The tenant's Defender token scope, when one is set (the file's, else MDE_TOKEN_SCOPE). */
const scopeOf = (scope: string | undefined): Pick<TenantConfig, "mdeTokenScope"> => (scope ? { mdeTokenScope: scope } : {});

function tenantsFromFile(
  file: string,
  env: Record<string, string | undefined>,
  defaultScope: string | undefined,
  quota: number,
): TenantConfig[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    fail([`MDR_TENANTS_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  const parsed = TenantsFile.safeParse(raw);
  if (!parsed.success) fail(issuesOf(parsed.error, "MDR_TENANTS_FILE: "));
  const problems: string[] = [];
  const fromEnv = (name: string | undefined, what: string): string | undefined => {
    if (name === undefined) return undefined;
    const value = env[name];
    if (!value) problems.push(`MDR_TENANTS_FILE: ${what} names ${name}, which is not set`);
    return value;
  };
  const tenants = parsed.data.tenants.map((t, i): TenantConfig => {
    const at = `tenants.${i}`;
    const priorityRange = t.azure_nsg ? parseRange(t.azure_nsg.priority_range, 100, 4096) : undefined;
    if (t.azure_nsg && !priorityRange) problems.push(`MDR_TENANTS_FILE: ${at}.azure_nsg.priority_range: must be "LOW-HIGH" within 100-4096`);
    const ruleRange = t.aws_nacl ? parseRange(t.aws_nacl.rule_range, 1, 32766) : undefined;
    if (t.aws_nacl && !ruleRange) problems.push(`MDR_TENANTS_FILE: ${at}.aws_nacl.rule_range: must be "LOW-HIGH" within 1-32766`);
    if (t.aws_nacl && (t.aws_nacl.access_key_id_env === undefined) !== (t.aws_nacl.secret_access_key_env === undefined)) {
      // One without the other would silently fall back to the default credential chain.
      problems.push(`MDR_TENANTS_FILE: ${at}.aws_nacl: give both access_key_id_env and secret_access_key_env, or neither`);
    }
    const accessKeyId = fromEnv(t.aws_nacl?.access_key_id_env, `${at}.aws_nacl.access_key_id_env`);
    const secretAccessKey = fromEnv(t.aws_nacl?.secret_access_key_env, `${at}.aws_nacl.secret_access_key_env`);
    const waf = t.aws_waf;
    if (waf) {
      for (const problem of wafSetProblems(waf.ipv4_set_arn, waf.ipv6_set_arn, waf.region)) problems.push(`MDR_TENANTS_FILE: ${at}.aws_waf: ${problem}`);
      if ((waf.access_key_id_env === undefined) !== (waf.secret_access_key_env === undefined)) {
        problems.push(`MDR_TENANTS_FILE: ${at}.aws_waf: give both access_key_id_env and secret_access_key_env, or neither`);
      }
    }
    const wafKeyId = fromEnv(waf?.access_key_id_env, `${at}.aws_waf.access_key_id_env`);
    const wafSecret = fromEnv(waf?.secret_access_key_env, `${at}.aws_waf.secret_access_key_env`);
    return {
      tenantId: t.tenant_id,
      name: t.name ?? t.tenant_id,
      clientId: t.client_id,
      clientSecret: t.client_secret ?? fromEnv(t.client_secret_env, `${at}.client_secret_env`) ?? "",
      ...scopeOf(t.defender?.token_scope ?? defaultScope),
      azureNsg:
        t.azure_nsg && priorityRange
          ? {
              subscriptionId: t.azure_nsg.subscription_id,
              resourceGroup: t.azure_nsg.resource_group,
              nsgName: t.azure_nsg.nsg_name,
              priorityRange,
            }
          : undefined,
      awsNacl:
        t.aws_nacl && ruleRange
          ? {
              region: t.aws_nacl.region,
              networkAclId: t.aws_nacl.network_acl_id,
              ruleRange,
              rulesQuota: t.aws_nacl.rules_quota ?? quota,
              credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
            }
          : undefined,
      awsWaf: waf
        ? {
            ipv4Set: waf.ipv4_set_arn,
            ipv6Set: waf.ipv6_set_arn,
            credentials: wafKeyId && wafSecret ? { accessKeyId: wafKeyId, secretAccessKey: wafSecret } : undefined,
          }
        : undefined,
    };
  });
  const ids = tenants.map((t) => t.tenantId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) problems.push(`MDR_TENANTS_FILE: tenant ${dup} is listed twice`);
  if (problems.length > 0) fail(problems);
  return tenants;
}

/** What is wrong with a tenant's WAF IP sets: none given, one set named for both families, a region they are not in. */
function wafSetProblems(v4: WafIpSetRef | undefined, v6: WafIpSetRef | undefined, region?: string): string[] {
  const problems: string[] = [];
  if (!v4 && !v6) problems.push("name the IPv4 or the IPv6 IP set (or both)");
  if (v4 && v6 && v4.arn === v6.arn) problems.push("the IPv4 and the IPv6 IP set must be two sets (a set holds one address family)");
  for (const set of [v4, v6]) {
    if (set && region !== undefined && set.region !== region) problems.push(`region ${region}: the IP set ${set.arn} is called in ${set.region}`);
  }
  return problems;
}

function tenantFromEnv(e: Env): TenantConfig {
  const missing = (["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] as const).filter((k) => !e[k]);
  if (missing.length > 0) {
    fail(missing.map((k) => `${k}: is required in live mode (or use MDR_TENANTS_FILE)`));
  }
  const nsgVars = [e.AZURE_SUBSCRIPTION_ID, e.AZURE_NSG_RESOURCE_GROUP, e.AZURE_NSG_NAME];
  if (nsgVars.some(Boolean) && !nsgVars.every(Boolean)) {
    fail(["AZURE_SUBSCRIPTION_ID, AZURE_NSG_RESOURCE_GROUP, AZURE_NSG_NAME: set all three to use an NSG, or none"]);
  }
  if (e.AWS_NETWORK_ACL_ID && !e.AWS_REGION) {
    fail(["AWS_REGION: is required with AWS_NETWORK_ACL_ID"]);
  }
  const waf = e.AWS_WAF_IPV4_SET_ARN || e.AWS_WAF_IPV6_SET_ARN;
  if (waf) {
    const problems = wafSetProblems(e.AWS_WAF_IPV4_SET_ARN, e.AWS_WAF_IPV6_SET_ARN);
    if (problems.length > 0) fail(problems.map((p) => `AWS_WAF_IPV4_SET_ARN, AWS_WAF_IPV6_SET_ARN: ${p}`));
  }
  return {
    tenantId: e.AZURE_TENANT_ID!,
    name: e.AZURE_TENANT_ID!,
    clientId: e.AZURE_CLIENT_ID!,
    clientSecret: e.AZURE_CLIENT_SECRET!,
    ...scopeOf(e.MDE_TOKEN_SCOPE),
    azureNsg: e.AZURE_SUBSCRIPTION_ID
      ? {
          subscriptionId: e.AZURE_SUBSCRIPTION_ID,
          resourceGroup: e.AZURE_NSG_RESOURCE_GROUP!,
          nsgName: e.AZURE_NSG_NAME!,
          priorityRange: e.AZURE_NSG_PRIORITY_RANGE,
        }
      : undefined,
    awsNacl: e.AWS_NETWORK_ACL_ID
      ? { region: e.AWS_REGION!, networkAclId: e.AWS_NETWORK_ACL_ID, ruleRange: e.AWS_NACL_RULE_RANGE, rulesQuota: e.AWS_NACL_RULES_QUOTA }
      : undefined,
    awsWaf: waf ? { ipv4Set: e.AWS_WAF_IPV4_SET_ARN, ipv6Set: e.AWS_WAF_IPV6_SET_ARN } : undefined,
  };
}

function liveConfig(e: Env, env: Record<string, string | undefined>): LiveConfig {
  const preset = CLOUD_PRESETS[e.MDR_CLOUD];
  return {
    cloud: e.MDR_CLOUD,
    // An override changes where calls go, never which resource a token is asked for.
    endpoints: {
      ...preset,
      authorityHost: e.AZURE_AUTHORITY_HOST ?? preset.authorityHost,
      mdeApiUrl: e.MDE_API_URL ?? preset.mdeApiUrl,
      mdeResource: preset.mdeResource ?? (e.MDE_API_URL ? CLOUD_PRESETS.public.mdeResource : undefined),
      graphApiUrl: e.GRAPH_API_URL ?? preset.graphApiUrl,
      armUrl: e.AZURE_RESOURCE_MANAGER_URL ?? preset.armUrl,
    },
    ec2Endpoint: e.AWS_ENDPOINT_URL_EC2 ?? e.AWS_ENDPOINT_URL,
    wafEndpoint: e.AWS_ENDPOINT_URL_WAFV2 ?? e.AWS_ENDPOINT_URL,
    tenants: e.MDR_TENANTS_FILE ? tenantsFromFile(e.MDR_TENANTS_FILE, env, e.MDE_TOKEN_SCOPE, e.AWS_NACL_RULES_QUOTA) : [tenantFromEnv(e)],
  };
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) fail(issuesOf(parsed.error));
  const e = parsed.data;
  const mode = e.MDR_MODE ?? (e.AZURE_CLIENT_ID || e.MDR_TENANTS_FILE ? "live" : "simulation");
  const live = mode === "live" ? liveConfig(e, env) : undefined;
  const auth = authConfig(e);
  // A tenant the SSO mapping names must be one this deployment serves: a typo would give people nothing.
  const unknown = Object.values(auth.oidc?.tenantMap ?? {})
    .flatMap((ids) => ids ?? [])
    .filter((id) => !configuredTenants({ live }).includes(id));
  if (unknown.length > 0) fail([`MDR_OIDC_TENANT_MAP: ${[...new Set(unknown)].join(", ")} is not a configured tenant`]);
  return {
    mode,
    dbPath: e.MDR_DB_PATH,
    sim: {
      failureRate: e.MDR_SIM_FAILURE_RATE,
      faults: e.MDR_SIM_FAULTS,
      stepMs: e.MDR_SIM_STEP_MS,
      extraDevices: e.MDR_SIM_EXTRA_DEVICES,
      maxIndicators: e.MDR_SIM_MAX_INDICATORS,
    },
    statusTtlMs: e.MDR_STATUS_TTL_SECONDS * 1000,
    sweepIntervalMs: e.MDR_SWEEP_INTERVAL_MS,
    pollIntervalMs: e.MDR_POLL_INTERVAL_MS,
    queueIntervalMs: e.MDR_QUEUE_INTERVAL_MS,
    providerTimeoutMs: e.MDR_PROVIDER_TIMEOUT_MS,
    rateLimits: perService((s) => e[rateLimitVar(s)]),
    rateLanes: { defender: { batch: e.MDR_RATE_LIMIT_DEFENDER_BATCH } },
    rateQueueMaxWaitMs: e.MDR_RATE_QUEUE_MAX_WAIT_MS,
    breaker: { threshold: e.MDR_BREAKER_THRESHOLD, cooldownMs: e.MDR_BREAKER_COOLDOWN_MS },
    nsgPriorityRange: e.AZURE_NSG_PRIORITY_RANGE,
    naclRuleRange: e.AWS_NACL_RULE_RANGE,
    live,
    auth,
    siem: siemConfig(e),
    audit: {
      signingKeyPem: e.MDR_AUDIT_SIGNING_KEY === undefined ? undefined : signingKeyPem(e.MDR_AUDIT_SIGNING_KEY),
      retentionDays: e.MDR_AUDIT_RETENTION_DAYS,
    },
  };
}

/** MDR_AUDIT_SIGNING_KEY: an Ed25519 private key, PKCS#8 as PEM or as base64 of its DER; normalised to PEM. */
function signingKeyPem(value: string): string {
  const text = value.trim();
  try {
    const key = text.startsWith("-----BEGIN")
      ? createPrivateKey(text.replace(/\\n/g, "\n"))
      : createPrivateKey({ key: Buffer.from(text, "base64"), format: "der", type: "pkcs8" });
    if (key.asymmetricKeyType !== "ed25519") fail([`MDR_AUDIT_SIGNING_KEY: an Ed25519 key is needed, this is ${key.asymmetricKeyType}`]);
    return key.export({ format: "pem", type: "pkcs8" }) as string;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail(["MDR_AUDIT_SIGNING_KEY: not a private key (PKCS#8 PEM, or base64 of its DER)"]);
  }
}

function siemConfig(e: Env): SiemConfig {
  const problems: string[] = [];
  let syslog: SiemConfig["syslog"];
  if (e.MDR_SIEM_SYSLOG_URL) {
    const m = /^(tcp|tls):\/\/([^/:\s]+):(\d+)/.exec(e.MDR_SIEM_SYSLOG_URL)!;
    const port = Number(m[3]);
    if (port < 1 || port > 65535) problems.push("MDR_SIEM_SYSLOG_URL: the port must be 1-65535");
    let ca: string | undefined;
    if (e.MDR_SIEM_SYSLOG_CA_FILE) {
      if (m[1] !== "tls") problems.push("MDR_SIEM_SYSLOG_CA_FILE: only for a tls:// syslog URL");
      try {
        ca = fs.readFileSync(e.MDR_SIEM_SYSLOG_CA_FILE, "utf8");
      } catch (err) {
        problems.push(`MDR_SIEM_SYSLOG_CA_FILE: cannot read ${e.MDR_SIEM_SYSLOG_CA_FILE} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
      }
    }
    syslog = { protocol: m[1] as "tcp" | "tls", host: m[2]!, port, url: `${m[1]}://${m[2]}:${port}`, ca };
  } else if (e.MDR_SIEM_SYSLOG_CA_FILE) problems.push("MDR_SIEM_SYSLOG_CA_FILE: set MDR_SIEM_SYSLOG_URL too");
  let hec: SiemConfig["hec"];
  if (e.MDR_SIEM_HEC_URL) {
    const u = new URL(e.MDR_SIEM_HEC_URL);
    if (u.username || u.password || u.search) problems.push("MDR_SIEM_HEC_URL: no credentials or query in the URL (the token goes in MDR_SIEM_HEC_TOKEN)");
    if (!e.MDR_SIEM_HEC_TOKEN) problems.push("MDR_SIEM_HEC_TOKEN: required with MDR_SIEM_HEC_URL");
    const base = e.MDR_SIEM_HEC_URL.replace(/\/services\/collector(\/event)?$/, "");
    hec = { url: `${base}/services/collector/event`, token: e.MDR_SIEM_HEC_TOKEN ?? "" };
  } else if (e.MDR_SIEM_HEC_TOKEN) problems.push("MDR_SIEM_HEC_URL: required with MDR_SIEM_HEC_TOKEN");
  if (problems.length > 0) fail(problems);
  return { syslog, hec, intervalMs: e.MDR_SIEM_INTERVAL_MS, retryMaxMs: e.MDR_SIEM_RETRY_MAX_MS };
}

const ROLE_NAMES = ["viewer", "responder", "admin"] as const;

function authConfig(e: Env): AuthConfig {
  return {
    adminPassword: e.MDR_ADMIN_PASSWORD,
    sessionTtlMs: Math.round(e.MDR_SESSION_TTL_HOURS * 3_600_000),
    actorRateLimitPerMinute: e.MDR_ACTOR_RATE_LIMIT,
    loginMaxFailures: e.MDR_LOGIN_MAX_FAILURES,
    publicUrl: e.MDR_PUBLIC_URL,
    trustProxy: e.MDR_TRUST_PROXY > 0,
    trustedProxies: e.MDR_TRUST_PROXY,
    protectedAssetsFile: e.MDR_PROTECTED_ASSETS_FILE,
    oidc: oidcConfig(e),
  };
}

function oidcConfig(e: Env): OidcConfig | undefined {
  const given = [e.MDR_OIDC_ISSUER, e.MDR_OIDC_CLIENT_ID].filter(Boolean).length;
  if (given === 0) return undefined;
  if (!e.MDR_OIDC_ISSUER || !e.MDR_OIDC_CLIENT_ID) {
    fail(["MDR_OIDC_ISSUER and MDR_OIDC_CLIENT_ID: give both for single sign-on, or neither"]);
  }
  // Discovery, keys and the code exchange travel to the issuer: never over plain http.
  if (!e.MDR_OIDC_ISSUER.startsWith("https://")) fail(["MDR_OIDC_ISSUER: must be an https URL"]);
  const roleMap: OidcConfig["roleMap"] = {};
  const problems: string[] = [];
  for (const pair of e.MDR_OIDC_ROLE_MAP.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf("=");
    const value = pair.slice(0, at).trim();
    const role = pair.slice(at + 1).trim() as OidcConfig["roleMap"][string];
    if (at <= 0 || !ROLE_NAMES.includes(role)) {
      problems.push(`MDR_OIDC_ROLE_MAP: "${pair}" must be CLAIM_VALUE=viewer|responder|admin`);
    } else roleMap[value] = role;
  }
  if (problems.length) fail(problems);
  if (Object.keys(roleMap).length === 0) fail(["MDR_OIDC_ROLE_MAP: map at least one claim value to a role"]);
  const tenantMap = e.MDR_OIDC_TENANT_MAP === undefined ? undefined : parseTenantMap(e.MDR_OIDC_TENANT_MAP);
  return {
    issuer: e.MDR_OIDC_ISSUER,
    clientId: e.MDR_OIDC_CLIENT_ID,
    clientSecret: e.MDR_OIDC_CLIENT_SECRET,
    scopes: e.MDR_OIDC_SCOPES,
    roleClaim: e.MDR_OIDC_ROLE_CLAIM,
    roleMap,
    tenantClaim: e.MDR_OIDC_TENANT_CLAIM ?? e.MDR_OIDC_ROLE_CLAIM,
    tenantMap,
    usernameClaim: e.MDR_OIDC_USERNAME_CLAIM,
  };
}

/** "VALUE=TENANT|TENANT,VALUE=*": each claim value, the tenants it gives (`*`: all). */
function parseTenantMap(text: string): Record<string, string[] | null> {
  const map: Record<string, string[] | null> = {};
  const problems: string[] = [];
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf("=");
    const value = pair.slice(0, at).trim();
    const tenants = pair.slice(at + 1).trim();
    const ids = tenants.split("|").map((t) => t.trim().toLowerCase());
    if (at <= 0 || !(tenants === "*" || ids.every((t) => GUID.safeParse(t).success))) {
      problems.push(`MDR_OIDC_TENANT_MAP: "${pair}" must be CLAIM_VALUE=TENANT_ID[|TENANT_ID] or CLAIM_VALUE=*`);
    } else map[value] = tenants === "*" ? null : ids;
  }
  if (problems.length) fail(problems);
  if (Object.keys(map).length === 0) fail(["MDR_OIDC_TENANT_MAP: map at least one claim value to tenants, or leave it unset"]);
  return map;
}

/** The simulated tenant's id (Contoso): the one tenant of a simulation. */
export const SIM_TENANT_ID = "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d";

/** The tenants this deployment is configured for, the first being the default. */
export function configuredTenants(cfg: Pick<Config, "live">): string[] {
  return cfg.live ? cfg.live.tenants.map((t) => t.tenantId) : [SIM_TENANT_ID];
}

const cache = globalThis as unknown as { __mdrConfig?: Config };

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cache.__mdrConfig ??= parseConfig(process.env);
  return cache.__mdrConfig;
}
