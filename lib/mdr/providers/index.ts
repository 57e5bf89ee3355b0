// One module per outside system (providers/<system>/): its facts, its simulated double and, in
// live mode, its client. The record below is the one list of them; the simulated tenant and the
// live provider set are assembled from it, and every name list is derived from its facts.
//
// The live clients are not in this record: this file is loaded in simulation too, and the cloud
// SDKs behind the clients take about 100 MB that a simulation never uses. Each system's live part
// (providers/<system>/live.ts) is listed, by the same keys, in providers/live/index.ts, which is
// loaded in live mode only.
import { awsModule } from "./aws";
import { awsWafModule } from "./aws-waf";
import { azureNsgModule } from "./azure-nsg";
import { defenderModule } from "./defender";
import type { Service, ServiceFacts } from "./facts";
import { graphModule } from "./graph";
import type { SimRuntime } from "./simulation/runtime";
import type { EndpointProvider, FirewallProvider, IdentityProvider, MailProvider, Providers } from "./types";

export { type Service, SERVICE_FACTS, type ServiceFacts } from "./facts";

/** What one system contributes to the provider set: the interfaces it answers. */
export interface ServiceParts {
  endpoint?: EndpointProvider;
  /** Filed under the service's `provider` name (its firewall_type). */
  firewall?: FirewallProvider;
  identity?: IdentityProvider;
  mail?: MailProvider;
}

/** The simulated tenant's settings a double needs. */
export interface SimulatedSettings {
  extraDevices: number;
  maxIndicators: number;
  nsgPriorityRange: { min: number; max: number };
  naclRuleRange: { min: number; max: number };
}

export interface ProviderModule {
  facts: ServiceFacts;
  /** Its double in the simulated tenant. */
  simulated(rt: SimRuntime, settings: SimulatedSettings): ServiceParts;
}

export const SERVICES = {
  defender: defenderModule,
  graph: graphModule,
  azure_nsg: azureNsgModule,
  aws: awsModule,
  aws_waf: awsWafModule,
} satisfies Record<Service, ProviderModule>;

/** The provider set's interfaces, from what each system contributes. */
export function assemble(parts: Record<Service, ServiceParts>): Pick<Providers, "endpoint" | "firewalls" | "identity" | "mail"> {
  const all = Object.entries(parts) as [Service, ServiceParts][];
  const one = <K extends keyof ServiceParts>(key: K): NonNullable<ServiceParts[K]> => {
    const found = all.filter(([, p]) => p[key] !== undefined);
    if (found.length !== 1) throw new Error(`exactly one service must provide the ${key}; found ${found.length}`);
    return found[0]![1][key]!;
  };
  const firewalls = Object.fromEntries(
    all.filter(([, p]) => p.firewall !== undefined).map(([s, p]) => [SERVICES[s].facts.provider, p.firewall!]),
  ) as Providers["firewalls"];
  return { endpoint: one("endpoint"), identity: one("identity"), mail: one("mail"), firewalls };
}
