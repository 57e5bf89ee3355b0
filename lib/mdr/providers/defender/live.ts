// Defender in live mode: its client, or, where the cloud has no API host and none is configured,
// a stand-in that refuses every call.
import type { LiveModule } from "@/lib/mdr/providers/live";
import { type EndpointProvider, type FirewallProvider, ProviderError } from "@/lib/mdr/providers/types";
import { defaultScope } from "@/lib/mdr/providers/live/tokens";
import { DefenderClient } from "./client";

/** Stands in for Defender where the cloud has no API host and none is configured. */
function missingDefender(cloud: string): EndpointProvider & FirewallProvider {
  const refuse = async (): Promise<never> => {
    throw new ProviderError("defender", "bad_request", `Defender for Endpoint has no API host in cloud ${cloud}: set MDE_API_URL`);
  };
  return {
    findMachines: refuse,
    findMachinesByNames: refuse,
    getMachine: refuse,
    isolate: refuse,
    release: refuse,
    getMachineAction: refuse,
    listMachineActions: refuse,
    block: refuse,
    blockMany: refuse,
    unblock: refuse,
    unblockMany: refuse,
    findBlock: refuse,
    setExpiry: refuse,
  };
}

export const defenderLive: LiveModule = ({ live, tokens, retry, gate }) => {
  const { mdeApiUrl, mdeResource } = live.endpoints;
  // A tenant's own scope (MDE_TOKEN_SCOPE, or its defender.token_scope) where the resource's default is not the one.
  const scopes = new Map(live.tenants.map((t) => [t.tenantId, t.mdeTokenScope]));
  const client =
    mdeApiUrl && mdeResource
      ? new DefenderClient({ baseUrl: mdeApiUrl, scope: (t) => scopes.get(t) ?? defaultScope(mdeResource), tokens, retry, gate })
      : undefined;
  const defender = client ?? missingDefender(live.cloud);
  return { endpoint: defender, firewall: defender, probe: (t) => client!.probe(t) };
};
