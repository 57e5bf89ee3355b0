// An Azure network security group (Azure Resource Manager): a block is an inbound Deny rule.
import type { ServiceFacts } from "../facts";

export const azureNsg = {
  label: "Azure NSG",
  title: "Azure NSG",
  provider: "azure_nsg",
  providerLabel: "Azure NSG",
  firewall: {
    label: "Azure network security group",
    choice: { label: "Azure NSG", description: "Deny rule on the network security group" },
    position: 1,
  },
  // ARM writes refill at 10 a second per subscription (request-limits-and-throttling.md).
  rateLimits: "300/60s",
  concurrency: 10,
  configured: (_live, tenant) => tenant.azureNsg !== undefined,
  simulatedLatencyMs: 5,
} as const satisfies ServiceFacts;
