// An AWS WAF v2 IP set (one per address family): a block adds the address, as a CIDR, to the set
// that a web ACL's blocking rule references. Its provider name and firewall type is `aws_waf`.
import type { ServiceFacts } from "../facts";

export const awsWaf = {
  provider: "aws_waf",
  names: { label: "AWS WAF", title: "AWS WAF IP set", table: "AWS WAF" },
  firewall: { label: "AWS WAF IP set", position: 4 },
  choice: { label: "AWS WAF IP set", description: "Address in the web ACL's blocking IP set (one set per address family)" },
  permissions: "wafv2:GetIPSet and wafv2:UpdateIPSet on the IP sets",
  /**
   * WAF's bounds of an IP set (limits.md, "Maximum number of IP addresses in CIDR notation per IP
   * set": 10,000), and how many addresses one batch of ours writes (see AwsWafFirewall.batchSize).
   */
  rules: { addressesPerSet: 10_000, batchSize: 1_000 },
  // "AWS WAF allows a maximum of one request per second, per account, per AWS Region for API calls
  // to any individual Create, Put, or Update action" (Security Automations for AWS WAF, quotas.md).
  // The gate counts every call of the service alike (GetIPSet too): at one a second, no two
  // UpdateIPSet calls can ever fall within one second, whatever reads come between them.
  limits: { rate: "1/1s", concurrency: 1 },
  configured: (_live, tenant) => tenant.awsWaf !== undefined,
  simulatedLatencyMs: 3,
} as const satisfies ServiceFacts;
