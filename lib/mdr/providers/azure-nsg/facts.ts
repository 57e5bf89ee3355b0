// An Azure network security group (Azure Resource Manager): a block is an inbound Deny rule.
import type { ServiceFacts } from "../facts";

export const azureNsg = {
  provider: "azure_nsg",
  names: { label: "Azure NSG", title: "Azure NSG", table: "Azure NSG" },
  firewall: { label: "Azure network security group", position: 1 },
  choice: { label: "Azure NSG", description: "Deny rule on the network security group" },
  /**
   * ARM's bounds of a security rule: its priority, the length of its name and of its description
   * (network-security-groups-overview.md, the SecurityRule model: "Restricted to 140 chars").
   * An NSG holds at most 1,000 rules and 4,000 IP addresses and ranges as sources (and 4,000 as
   * destinations: "The limit applies separately to source and destination"), the "Networking
   * limits - Azure Resource Manager" of azure-subscription-service-limits.md; beyond them ARM
   * answers 400 SecurityRuleCountLimitReached / SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached.
   * No bound of prefixes per rule is published: a bulk rule takes `prefixesPerRule` (500), so the
   * NSG's 4,000 fill 8 rules (8 priorities of the configured range), 500 addresses of one family
   * take one rule write and a batch of 1,000 at most 3 (a rule holds one address family), while
   * undoing one address rewrites a rule of at most 500 prefixes (some 10 KB).
   */
  rules: {
    priorities: { min: 100, max: 4096 },
    nameMax: 80,
    descriptionMax: 140,
    perNsg: 1000,
    sourcePrefixesPerNsg: 4000,
    prefixesPerRule: 500,
  },
  // ARM writes refill at 10 a second per subscription (request-limits-and-throttling.md).
  limits: { rate: "300/60s", concurrency: 10 },
  configured: (_live, tenant) => tenant.azureNsg !== undefined,
  simulatedLatencyMs: 5,
} as const satisfies ServiceFacts;
