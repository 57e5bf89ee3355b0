// An AWS VPC network ACL (EC2): a block is an inbound deny entry. Its provider name and firewall
// type is `aws_sg` (the API's and the audit log's value since the first release), its service `aws`.
import type { ServiceFacts } from "../facts";

export const aws = {
  provider: "aws_sg",
  names: { label: "AWS", title: "AWS network ACL", table: "AWS NACL" },
  firewall: { label: "AWS network ACL", position: 2 },
  choice: { label: "AWS network ACL", description: "Deny entry on the VPC's network ACL" },
  /**
   * EC2's rule numbers of an ACL entry, shared by both address families in one direction; the
   * VPC quota "Rules per network ACL" (amazon-vpc-limits.md): 20 by default, at most 40, per
   * direction and separately for IPv4 and IPv6, the default deny entry (32767 / 32768) included.
   */
  rules: { numbers: { min: 1, max: 32766 }, quota: { default: 20, max: 40 } },
  // EC2 mutating actions refill at 5 a second (ec2-api-throttling.md).
  limits: { rate: "240/60s", concurrency: 10 },
  configured: (_live, tenant) => tenant.awsNacl !== undefined,
  simulatedLatencyMs: 2,
} as const satisfies ServiceFacts;
