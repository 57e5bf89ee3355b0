import type { LiveModule } from "@/lib/mdr/providers/live";
import { AwsWafFirewall } from "./client";

export const awsWafLive: LiveModule = ({ live, timeoutMs, gate }) => {
  const waf = new AwsWafFirewall({ tenants: live.tenants, endpoint: live.wafEndpoint, timeoutMs, gate });
  return { firewall: waf, probe: (t) => waf.probe(t) };
};
