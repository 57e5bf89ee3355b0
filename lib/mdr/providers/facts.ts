// The outside systems and what is known of each: one record, keyed by service, from which every
// list of names is derived (the services, the audit log's provider names, the firewall types) and
// every label. Free of server code: the page's client components read it too.
import type { LiveConfig, TenantConfig } from "@/lib/config";
import { aws } from "./aws/facts";
import { awsWaf } from "./aws-waf/facts";
import { azureNsg } from "./azure-nsg/facts";
import { defender } from "./defender/facts";
import { graph } from "./graph/facts";

export interface ServiceFacts {
  /** Its name in the audit log's `provider` column and the API's `provider`; a firewall's `firewall_type`. */
  provider: string;
  names: {
    /** Its short name in messages: `[Defender] ...`, "circuit open: 5 consecutive failures of AWS". */
    label: string;
    /** Its name on the page (service health). */
    title: string;
    /** What the page's actions table calls its provider. */
    table: string;
  };
  /**
   * A service that blocks addresses (`firewall_type: provider`): `label` in the timeline ("Blocked
   * 1.2.3.4 on {label} ..."), `position` in the list of firewall types (the API's enum, the page's
   * choices).
   */
  firewall?: {
    label: string;
    position: number;
    /**
     * For a firewall that takes a block as a submission that devices enforce later, not a rule in
     * force at once: what the block is submitted as, and what its enforcement depends on. Its
     * timeline, the page's toast and choice then say "submitted", with this caveat.
     */
    submitted?: { as: string; caveat: string };
  };
  /** A firewall's choice on the page: its name and what it does. */
  choice?: { label: string; description: string };
  /** What the live credentials need, where a firewall says so in the API's description of firewall_type. */
  permissions?: string;
  /** A firewall's bounds of the rules it holds, where they matter to a block. */
  rules?: Record<string, unknown>;
  /**
   * Calls per tenant: `rate`, the published limits it stays below (MDR_RATE_LIMIT_<SERVICE> when
   * unset); `concurrency`, how many may be in flight at once; `batchRate`, where the service counts
   * its batch calls apart with a limit of their own, that limit (MDR_RATE_LIMIT_<SERVICE>_BATCH),
   * kept in the gate's lane "batch".
   */
  limits: { rate: string; concurrency: number; batchRate?: string };
  /** Whether a live configuration gives it settings for this tenant. */
  configured(live: LiveConfig, tenant: TenantConfig): boolean;
  /** Added to a simulated health check's (near zero) time, so the page does not show a suspicious 0 ms. */
  simulatedLatencyMs: number;
}

export const SERVICE_FACTS = { defender, graph, azure_nsg: azureNsg, aws, aws_waf: awsWaf } as const satisfies Record<string, ServiceFacts>;

type Facts = typeof SERVICE_FACTS;
export type Service = keyof Facts;
/** The audit log's provider names: a service's `provider`. */
export type ProviderName = Facts[Service]["provider"];
type FirewallService = { [S in Service]: Facts[S] extends { firewall: object } ? S : never }[Service];
/** A firewall's `firewall_type`: the `provider` of a service that blocks addresses. */
export type FirewallType = Facts[FirewallService]["provider"];

type NonEmpty<T> = readonly [T, ...T[]];
const entries = Object.entries(SERVICE_FACTS) as [Service, ServiceFacts][];

/** Every service, in the record's order. */
export const SERVICE_KEYS = entries.map(([s]) => s) as unknown as NonEmpty<Service>;

/** The provider names the audit log holds, in the record's order. */
export const PROVIDERS = entries.map(([, f]) => f.provider) as unknown as NonEmpty<ProviderName>;

/** The firewall types, in their positions. */
export const FIREWALL_TYPES = entries
  .filter(([, f]) => f.firewall)
  .sort(([, a], [, b]) => a.firewall!.position - b.firewall!.position)
  .map(([, f]) => f.provider) as unknown as NonEmpty<FirewallType>;

const SERVICE_OF_PROVIDER = new Map(entries.map(([s, f]) => [f.provider, s]));

/** The service behind a provider name of the audit log (`aws_sg` is AWS). */
export function serviceOf(provider: ProviderName): Service {
  return SERVICE_OF_PROVIDER.get(provider)!;
}

/** The facts of a firewall type's service. */
export function firewallFacts(
  type: FirewallType,
): NonNullable<ServiceFacts["firewall"]> & { choice: NonNullable<ServiceFacts["choice"]>; permissions?: string } {
  const facts: ServiceFacts = SERVICE_FACTS[serviceOf(type)];
  return { ...facts.firewall!, choice: facts.choice!, ...(facts.permissions ? { permissions: facts.permissions } : {}) };
}

/** What a block says once done: "Blocked ... on" a firewall whose rule is in force, "Submitted ... to" one whose devices enforce it later, with that caveat. */
export function blockedMessage(firewall: FirewallType, target: string, ref: string, until: string): string {
  const { label, submitted } = firewallFacts(firewall);
  return submitted
    ? `Submitted ${target} to ${label} as ${submitted.as} (${ref})${until}: ${submitted.caveat}`
    : `Blocked ${target} on ${label} (${ref})${until}`;
}

/** The caveat of a firewall whose blocks devices enforce later (see blockedMessage), or undefined. */
export const enforcementCaveat = (firewall: FirewallType): string | undefined => firewallFacts(firewall).submitted?.caveat;

/** Whether a string names a firewall type. */
export const isFirewallType = (value: string): value is FirewallType => (FIREWALL_TYPES as readonly string[]).includes(value);

/** Whether a string names a service. */
export function isService(value: string): value is Service {
  return Object.hasOwn(SERVICE_FACTS, value);
}

/** A value per service, in the record's order. */
export function perService<T>(value: (service: Service, facts: ServiceFacts) => T): Record<Service, T> {
  return Object.fromEntries(entries.map(([s, f]) => [s, value(s, f)])) as Record<Service, T>;
}
