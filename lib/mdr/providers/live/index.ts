// The live providers: the real Defender, Graph, Azure and AWS (EC2, WAF) APIs, per configured tenant. Loaded
// in live mode only (lib/mdr/context.ts): the cloud SDKs behind the clients stay unloaded in a
// simulation.
import type { Config, LiveConfig } from "@/lib/config";
import { awsLive } from "@/lib/mdr/providers/aws/live";
import { awsWafLive } from "@/lib/mdr/providers/aws-waf/live";
import { azureNsgLive } from "@/lib/mdr/providers/azure-nsg/live";
import { defenderLive } from "@/lib/mdr/providers/defender/live";
import { type Service, SERVICES, type ServiceParts, assemble } from "@/lib/mdr/providers";
import { perService } from "@/lib/mdr/providers/facts";
import { type CallGate, openGate } from "@/lib/mdr/providers/gate";
import { graphLive } from "@/lib/mdr/providers/graph/live";
import { DEFAULT_RETRY, type RetryPolicy } from "@/lib/mdr/providers/live/retry";
import { TokenSource } from "@/lib/mdr/providers/live/tokens";
import type { Providers, ServiceHealth } from "@/lib/mdr/providers/types";

/** What a system's live part is made with. */
export interface LiveDeps {
  live: LiveConfig;
  tokens: TokenSource;
  retry: RetryPolicy;
  /** How long one call (with its long-running operation) may take, for SDKs that bound it themselves. */
  timeoutMs: number;
  gate: CallGate;
}

/** A system's live client, and its health check: a token and the cheapest read. */
export type LiveModule = (deps: LiveDeps) => ServiceParts & { probe(tenantId: string): Promise<void> };

/** Each system's live part, by the keys of SERVICES (providers/index.ts). */
const LIVE = { defender: defenderLive, graph: graphLive, azure_nsg: azureNsgLive, aws: awsLive, aws_waf: awsWafLive } satisfies Record<Service, LiveModule>;

export function createLiveProviders(cfg: Config, gate: CallGate = openGate()): Providers {
  const live = cfg.live;
  if (!live) throw new Error("live providers need the live configuration");
  const { tenants } = live;
  // No call (with its retries) may outlive the action it is part of: once the pipeline has answered
  // 504 and recorded the action failed, a retry that then succeeded would act in its name unseen.
  // The same bound keeps a status check from hanging on a slow probe.
  const retry = {
    ...DEFAULT_RETRY,
    attemptTimeoutMs: Math.min(DEFAULT_RETRY.attemptTimeoutMs, cfg.providerTimeoutMs),
    budgetMs: Math.min(DEFAULT_RETRY.budgetMs, cfg.providerTimeoutMs),
  };
  const deps: LiveDeps = {
    live,
    tokens: new TokenSource(live.endpoints.authorityHost, tenants),
    retry,
    timeoutMs: Math.min(30_000, cfg.providerTimeoutMs),
    gate,
  };
  const parts = perService((s) => LIVE[s](deps));

  const configured = (service: Service, tenantId: string): boolean => {
    const tenant = tenants.find((t) => t.tenantId === tenantId);
    return tenant !== undefined && SERVICES[service].facts.configured(live, tenant);
  };

  return {
    mode: "live",
    examples: null,
    gate,
    tenants: tenants.map((t) => t.tenantId),
    configured,
    ...assemble(parts),
    // A token and the cheapest read, in the default tenant.
    async health(service: Service, tenantId = tenants[0]!.tenantId): Promise<ServiceHealth> {
      if (!configured(service, tenantId)) return { status: "not_configured", latency_ms: null, error: null };
      const started = performance.now();
      try {
        await parts[service].probe(tenantId);
        return { status: "up", latency_ms: Math.round(performance.now() - started), error: null };
      } catch (err) {
        return { status: "down", latency_ms: Math.round(performance.now() - started), error: (err as Error).message };
      }
    },
  };
}
