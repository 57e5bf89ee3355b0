// An Azure network security group (Azure Resource Manager): a block is an inbound Deny rule.
import type { ServiceFacts } from "../facts";

export const azureNsg = {
  provider: "azure_nsg",
  names: { label: "Azure NSG", title: "Azure NSG", table: "Azure NSG" },
  firewall: { label: "Azure network security group", position: 1 },
  choice: { label: "Azure NSG", description: "Deny rule on the network security group" },
  /** ARM's bounds of a security rule: its priority, the length of its name. */
  rules: { priorities: { min: 100, max: 4096 }, nameMax: 80 },
  // ARM writes refill at 10 a second per subscription (request-limits-and-throttling.md).
  limits: { rate: "300/60s", concurrency: 10 },
  configured: (_live, tenant) => tenant.azureNsg !== undefined,
  simulatedLatencyMs: 5,
} as const satisfies ServiceFacts;
