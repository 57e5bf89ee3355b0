// The live providers: the real Defender, Graph, Azure and AWS APIs, per configured tenant.
import type { Config, TenantConfig } from "@/lib/config";
import { AwsNaclFirewall } from "@/lib/mdr/providers/aws-nacl";
import { AzureNsgFirewall } from "@/lib/mdr/providers/azure-nsg";
import { DefenderClient } from "@/lib/mdr/providers/defender";
import { GraphProvider } from "@/lib/mdr/providers/graph";
import { type CallGate, openGate } from "@/lib/mdr/providers/gate";
import { DEFAULT_RETRY } from "@/lib/mdr/providers/live/retry";
import { TokenSource } from "@/lib/mdr/providers/live/tokens";
import {
  type EndpointProvider,
  type FirewallProvider,
  ProviderError,
  type Providers,
  type Service,
  type ServiceHealth,
} from "@/lib/mdr/providers/types";

/** Stands in for Defender where the cloud has no API host and none is configured. */
function missingDefender(cloud: string): EndpointProvider & FirewallProvider {
  const refuse = async (): Promise<never> => {
    throw new ProviderError("defender", "bad_request", `Defender for Endpoint has no API host in cloud ${cloud}: set MDE_API_URL`);
  };
  return {
    findMachines: refuse,
    getMachine: refuse,
    isolate: refuse,
    release: refuse,
    getMachineAction: refuse,
    listMachineActions: refuse,
    block: refuse,
    unblock: refuse,
    findBlock: refuse,
    setExpiry: refuse,
  };
}

export function createLiveProviders(cfg: Config, gate: CallGate = openGate()): Providers {
  const live = cfg.live;
  if (!live) throw new Error("live providers need the live configuration");
  const { endpoints, tenants } = live;
  const tokens = new TokenSource(endpoints.authorityHost, tenants);
  // No call (with its retries) may outlive the action it is part of: once the pipeline has answered
  // 504 and recorded the action failed, a retry that then succeeded would act in its name unseen.
  // The same bound keeps a status check from hanging on a slow probe.
  const retry = {
    ...DEFAULT_RETRY,
    attemptTimeoutMs: Math.min(DEFAULT_RETRY.attemptTimeoutMs, cfg.providerTimeoutMs),
    budgetMs: Math.min(DEFAULT_RETRY.budgetMs, cfg.providerTimeoutMs),
  };
  const timeoutMs = Math.min(30_000, cfg.providerTimeoutMs);

  const defender =
    endpoints.mdeApiUrl && endpoints.mdeResource
      ? new DefenderClient({ baseUrl: endpoints.mdeApiUrl, resource: endpoints.mdeResource, tokens, retry, gate })
      : undefined;
  const graph = new GraphProvider({ baseUrl: endpoints.graphApiUrl, resource: endpoints.graphResource, tokens, retry, gate });
  const nsg = new AzureNsgFirewall({
    armUrl: endpoints.armUrl,
    armResource: endpoints.armResource,
    tokens,
    tenants,
    timeoutMs,
    pollIntervalMs: 1000,
    gate,
  });
  const aws = new AwsNaclFirewall({ tenants, endpoint: live.ec2Endpoint, timeoutMs, gate });
  const tenantOf = (id: string): TenantConfig | undefined => tenants.find((t) => t.tenantId === id);

  const configured = (service: Service, tenantId: string): boolean => {
    const tenant = tenantOf(tenantId);
    if (!tenant) return false;
    if (service === "defender") return defender !== undefined;
    if (service === "azure_nsg") return tenant.azureNsg !== undefined;
    if (service === "aws") return tenant.awsNacl !== undefined;
    return true;
  };

  const probes: Record<Service, (tenantId: string) => Promise<void>> = {
    defender: (t) => defender!.probe(t),
    graph: (t) => graph.probe(t),
    azure_nsg: (t) => nsg.probe(t),
    aws: (t) => aws.probe(t),
  };

  const missing = missingDefender(live.cloud);
  return {
    mode: "live",
    examples: null,
    gate,
    tenants: tenants.map((t) => t.tenantId),
    configured,
    endpoint: defender ?? missing,
    firewalls: { defender: defender ?? missing, azure_nsg: nsg, aws_sg: aws },
    identity: graph,
    mail: graph,
    // A token and the cheapest read, in the default tenant.
    async health(service: Service): Promise<ServiceHealth> {
      const tenantId = tenants[0]!.tenantId;
      if (!configured(service, tenantId)) return { status: "not_configured", latency_ms: null, error: null };
      const started = performance.now();
      try {
        await probes[service](tenantId);
        return { status: "up", latency_ms: Math.round(performance.now() - started), error: null };
      } catch (err) {
        return { status: "down", latency_ms: Math.round(performance.now() - started), error: (err as Error).message };
      }
    },
  };
}
