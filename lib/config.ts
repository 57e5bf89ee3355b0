// The environment, parsed once with zod. Nothing else in the project reads process.env.
import fs from "node:fs";
import { z } from "zod";

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
  azureNsg?: { subscriptionId: string; resourceGroup: string; nsgName: string; priorityRange: Range };
  awsNacl?: {
    region: string;
    networkAclId: string;
    ruleRange: Range;
    /** Omitted: the AWS SDK's default credential chain. */
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  };
}

export interface LiveConfig {
  cloud: Cloud;
  endpoints: CloudEndpoints;
  /** EC2 endpoint override (the SDK's own AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL). */
  ec2Endpoint: string | undefined;
  tenants: TenantConfig[];
}

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
  MDR_PROVIDER_TIMEOUT_MS: number(100, 600_000, 30_000),
  MDR_CLOUD: z.enum(CLOUDS).default("public"),
  AZURE_AUTHORITY_HOST: url.optional(),
  MDE_API_URL: url.optional(),
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
  AWS_ENDPOINT_URL_EC2: url.optional(),
  AWS_ENDPOINT_URL: url.optional(),
  MDR_TENANTS_FILE: z.string().optional(),
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
  providerTimeoutMs: number;
  nsgPriorityRange: Range;
  naclRuleRange: Range;
  /** Present in live mode only. */
  live: LiveConfig | undefined;
};

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

function tenantsFromFile(file: string, env: Record<string, string | undefined>): TenantConfig[] {
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
    return {
      tenantId: t.tenant_id,
      name: t.name ?? t.tenant_id,
      clientId: t.client_id,
      clientSecret: t.client_secret ?? fromEnv(t.client_secret_env, `${at}.client_secret_env`) ?? "",
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
              credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
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
  return {
    tenantId: e.AZURE_TENANT_ID!,
    name: e.AZURE_TENANT_ID!,
    clientId: e.AZURE_CLIENT_ID!,
    clientSecret: e.AZURE_CLIENT_SECRET!,
    azureNsg: e.AZURE_SUBSCRIPTION_ID
      ? {
          subscriptionId: e.AZURE_SUBSCRIPTION_ID,
          resourceGroup: e.AZURE_NSG_RESOURCE_GROUP!,
          nsgName: e.AZURE_NSG_NAME!,
          priorityRange: e.AZURE_NSG_PRIORITY_RANGE,
        }
      : undefined,
    awsNacl: e.AWS_NETWORK_ACL_ID
      ? { region: e.AWS_REGION!, networkAclId: e.AWS_NETWORK_ACL_ID, ruleRange: e.AWS_NACL_RULE_RANGE }
      : undefined,
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
    tenants: e.MDR_TENANTS_FILE ? tenantsFromFile(e.MDR_TENANTS_FILE, env) : [tenantFromEnv(e)],
  };
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) fail(issuesOf(parsed.error));
  const e = parsed.data;
  const mode = e.MDR_MODE ?? (e.AZURE_CLIENT_ID || e.MDR_TENANTS_FILE ? "live" : "simulation");
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
    providerTimeoutMs: e.MDR_PROVIDER_TIMEOUT_MS,
    nsgPriorityRange: e.AZURE_NSG_PRIORITY_RANGE,
    naclRuleRange: e.AWS_NACL_RULE_RANGE,
    live: mode === "live" ? liveConfig(e, env) : undefined,
  };
}

const cache = globalThis as unknown as { __mdrConfig?: Config };

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cache.__mdrConfig ??= parseConfig(process.env);
  return cache.__mdrConfig;
}
