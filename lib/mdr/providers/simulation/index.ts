// The simulated "Contoso" tenant: in-process providers with the behaviour of the real APIs
// (ids, limits, conflicts, asynchronous isolation), for first run, demos, training and tests.
// Calls answer without artificial delay: performance benchmarks run against this.
import { type CallGate, openGate } from "@/lib/mdr/providers/gate";
import { assemble, SERVICES, type SimulatedSettings } from "@/lib/mdr/providers";
import { perService, SERVICE_FACTS } from "@/lib/mdr/providers/facts";
import type { Providers, Service, ServiceHealth, TargetExamples } from "@/lib/mdr/providers/types";
import type { NumberRange } from "@/lib/mdr/providers/numbers";
import { type FaultController, OUTAGE_MESSAGE } from "./faults";
import { SimRuntime } from "./runtime";
import {
  SIM_DEVICES,
  SIM_MAILBOXES,
  SIM_MAX_EXTRA_DEVICES,
  SIM_MAX_INDICATORS,
  SIM_PHISHING_MESSAGE,
  SIM_TENANT_ID,
  SIM_USERS,
} from "./seed";

export { type FaultController, parseFaultSpec, SIM_OPERATIONS, type SimOperation } from "./faults";
export {
  SIM_DEVICES,
  SIM_MAILBOXES,
  SIM_MAX_EXTRA_DEVICES,
  SIM_MAX_INDICATORS,
  SIM_NACL,
  SIM_NSG,
  SIM_PHISHING_MESSAGE,
  SIM_TENANT_ID,
  SIM_USERS,
  SIM_WAF,
  type SimDeviceSeed,
  type SimMessageSeed,
  type SimNaclEntrySeed,
  type SimNaclSeed,
  type SimNsgRuleSeed,
  type SimNsgSeed,
  type SimUserSeed,
  type SimWafSeed,
  simFleetDevice,
} from "./seed";

export interface SimulationOptions {
  /** 0-1: probability that a mutating call fails with 503 (and, separately, that an accepted isolation fails). */
  failureRate: number;
  /** MDR_SIM_FAULTS, e.g. "graph:down, defender.isolate=403". */
  faults: string;
  /** Isolation stays Pending for one step, InProgress for a second, then finishes. */
  stepMs: number;
  /** Generated devices fleet-000001... added to the seeded ones (default 0). */
  extraDevices?: number;
  /** Most Defender indicators the tenant holds (default SIM_MAX_INDICATORS, Defender's own limit). */
  maxIndicators?: number;
  nsgPriorityRange: NumberRange;
  naclRuleRange: NumberRange;
  now?: () => number;
  random?: () => number;
  /** The process's rate limiter and circuit breaker; none given: calls are never held back. */
  gate?: CallGate;
}

/** The seeded tenant's short host names, enabled users, mailboxes and the phishing message, for the page's forms. */
const SIM_EXAMPLES: TargetExamples = {
  hosts: [...new Set(SIM_DEVICES.map((d) => d.computerDnsName.split(".")[0]!))],
  users: SIM_USERS.filter((u) => u.accountEnabled).map((u) => u.userPrincipalName),
  mailboxes: Object.keys(SIM_MAILBOXES),
  messageIds: [SIM_PHISHING_MESSAGE.internetMessageId],
};

export function createSimulatedProviders(opts: SimulationOptions): Providers & { faults: FaultController } {
  checkOptions(opts);
  const rt = new SimRuntime({
    failureRate: opts.failureRate,
    faults: opts.faults,
    stepMs: opts.stepMs,
    now: opts.now ?? Date.now,
    random: opts.random ?? Math.random,
    gate: opts.gate ?? openGate(),
  });
  const settings: SimulatedSettings = {
    extraDevices: opts.extraDevices ?? 0,
    maxIndicators: opts.maxIndicators ?? SIM_MAX_INDICATORS,
    nsgPriorityRange: opts.nsgPriorityRange,
    naclRuleRange: opts.naclRuleRange,
  };
  const parts = perService((s) => SERVICES[s].simulated(rt, settings));
  return {
    mode: "simulation",
    examples: SIM_EXAMPLES,
    tenants: [SIM_TENANT_ID],
    // Every simulated service exists in the simulated tenant.
    configured: () => true,
    ...assemble(parts),
    faults: rt.faults,
    gate: rt.gate,
    async health(service: Service): Promise<ServiceHealth> {
      const started = performance.now();
      if (rt.faults.isDown(service)) return { status: "down", latency_ms: null, error: OUTAGE_MESSAGE };
      const elapsed = performance.now() - started;
      return { status: "up", latency_ms: Math.round(SERVICES[service].facts.simulatedLatencyMs + elapsed), error: null };
    },
  };
}

function checkOptions(opts: SimulationOptions): void {
  const problems: string[] = [];
  if (!(opts.failureRate >= 0 && opts.failureRate <= 1)) problems.push(`failureRate ${opts.failureRate} is not within 0-1`);
  if (!(opts.stepMs >= 0)) problems.push(`stepMs ${opts.stepMs} is negative`);
  const extra = opts.extraDevices ?? 0;
  if (!(Number.isInteger(extra) && extra >= 0 && extra <= SIM_MAX_EXTRA_DEVICES)) {
    problems.push(`extraDevices ${extra} is not a whole number within 0-${SIM_MAX_EXTRA_DEVICES}`);
  }
  const maxIndicators = opts.maxIndicators ?? SIM_MAX_INDICATORS;
  if (!(Number.isInteger(maxIndicators) && maxIndicators >= 1)) problems.push(`maxIndicators ${maxIndicators} is not a whole number above 0`);
  const range = (name: string, r: NumberRange, min: number, max: number) => {
    if (!(Number.isInteger(r.min) && Number.isInteger(r.max) && min <= r.min && r.min <= r.max && r.max <= max)) {
      problems.push(`${name} ${r.min}-${r.max} is not within ${min}-${max}`);
    }
  };
  const { priorities } = SERVICE_FACTS.azure_nsg.rules;
  const { numbers } = SERVICE_FACTS.aws.rules;
  range("nsgPriorityRange", opts.nsgPriorityRange, priorities.min, priorities.max);
  range("naclRuleRange", opts.naclRuleRange, numbers.min, numbers.max);
  if (problems.length > 0) throw new Error(`Invalid simulation options: ${problems.join("; ")}`);
}
