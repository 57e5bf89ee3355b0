import type { LiveModule } from "@/lib/mdr/providers/live";
import { AwsNaclFirewall } from "./client";

export const awsLive: LiveModule = ({ live, timeoutMs, gate }) => {
  const acl = new AwsNaclFirewall({ tenants: live.tenants, endpoint: live.ec2Endpoint, timeoutMs, gate });
  return { firewall: acl, probe: (t) => acl.probe(t) };
};
