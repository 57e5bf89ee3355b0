import type { LiveModule } from "@/lib/mdr/providers/live";
import { AzureNsgFirewall } from "./client";

export const azureNsgLive: LiveModule = ({ live, tokens, timeoutMs, gate }) => {
  const nsg = new AzureNsgFirewall({
    armUrl: live.endpoints.armUrl,
    armResource: live.endpoints.armResource,
    tokens,
    tenants: live.tenants,
    timeoutMs,
    pollIntervalMs: 1000,
    gate,
  });
  return { firewall: nsg, probe: (t) => nsg.probe(t) };
};
