// The environment, parsed once with zod. Nothing else in the project reads process.env.
import { z } from "zod";

const range = (name: string, min: number, max: number, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m ? Number(m[2]) : NaN;
      if (!m || lo < min || hi > max || lo > hi) {
        ctx.addIssue({ code: "custom", message: `${name} must be "LOW-HIGH" within ${min}-${max}` });
        return z.NEVER;
      }
      return { min: lo, max: hi };
    });

const number = (min: number, max: number, fallback: number) =>
  z.coerce.number().min(min).max(max).default(fallback);

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const EnvSchema = z.object({
  MDR_MODE: z.enum(["simulation", "live"]).optional(),
  MDR_DB_PATH: z.string().min(1).default("./data/mdr.db"),
  MDR_SIM_FAILURE_RATE: number(0, 1, 0),
  MDR_SIM_FAULTS: z.string().default(""),
  MDR_SIM_STEP_MS: number(0, 600_000, 1500),
  MDR_STATUS_TTL_SECONDS: number(0, 3600, 30),
  MDR_SWEEP_INTERVAL_MS: number(100, 3_600_000, 5000),
  MDR_POLL_INTERVAL_MS: number(100, 3_600_000, 2000),
  MDR_PROVIDER_TIMEOUT_MS: number(100, 600_000, 30_000),
  AZURE_TENANT_ID: optional,
  AZURE_CLIENT_ID: optional,
  AZURE_NSG_PRIORITY_RANGE: range("AZURE_NSG_PRIORITY_RANGE", 100, 4096, "100-199"),
  AWS_NACL_RULE_RANGE: range("AWS_NACL_RULE_RANGE", 1, 32766, "1-99"),
});

export type Config = {
  mode: "simulation" | "live";
  dbPath: string;
  sim: { failureRate: number; faults: string; stepMs: number };
  statusTtlMs: number;
  sweepIntervalMs: number;
  pollIntervalMs: number;
  providerTimeoutMs: number;
  azureTenantId: string | undefined;
  azureClientId: string | undefined;
  nsgPriorityRange: { min: number; max: number };
  naclRuleRange: { min: number; max: number };
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  return {
    mode: e.MDR_MODE ?? (e.AZURE_CLIENT_ID ? "live" : "simulation"),
    dbPath: e.MDR_DB_PATH,
    sim: { failureRate: e.MDR_SIM_FAILURE_RATE, faults: e.MDR_SIM_FAULTS, stepMs: e.MDR_SIM_STEP_MS },
    statusTtlMs: e.MDR_STATUS_TTL_SECONDS * 1000,
    sweepIntervalMs: e.MDR_SWEEP_INTERVAL_MS,
    pollIntervalMs: e.MDR_POLL_INTERVAL_MS,
    providerTimeoutMs: e.MDR_PROVIDER_TIMEOUT_MS,
    azureTenantId: e.AZURE_TENANT_ID,
    azureClientId: e.AZURE_CLIENT_ID,
    nsgPriorityRange: e.AZURE_NSG_PRIORITY_RANGE,
    naclRuleRange: e.AWS_NACL_RULE_RANGE,
  };
}

const cache = globalThis as unknown as { __mdrConfig?: Config };

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cache.__mdrConfig ??= parseConfig(process.env);
  return cache.__mdrConfig;
}
