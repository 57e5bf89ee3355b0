// Azure network security group rules through @azure/arm-network: a block is an inbound Deny rule
// named after the action, at the requested priority or the lowest free one in the range.
import type { TokenCredential } from "@azure/core-auth";
import { NetworkManagementClient, type SecurityRule } from "@azure/arm-network";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { lowestFree } from "@/lib/mdr/providers/numbers";
import type { TenantConfig } from "@/lib/config";
import { asProviderError, kindOfStatus, refusalMessage, retryAfterSeconds, withTimeout } from "@/lib/mdr/providers/live/retry";
import { type TokenSource, defaultScope } from "@/lib/mdr/providers/live/tokens";
import { azureNsg } from "./facts";
import { type BlockRequest, type BlockResult, type FirewallProvider, ProviderError } from "@/lib/mdr/providers/types";

type NsgConfig = NonNullable<TenantConfig["azureNsg"]>;

export interface AzureNsgOptions {
  armUrl: string;
  armResource: string;
  tokens: TokenSource;
  tenants: readonly TenantConfig[];
  /** How long one call (with its long-running operation) may take. */
  timeoutMs: number;
  /** How often a long-running operation is polled when the service gives no Retry-After. */
  pollIntervalMs: number;
  gate: CallGate;
}

/**
 * Each request the ARM client sends (retries and long-running-operation polls included) takes a
 * turn at the gate and reports whether ARM answered.
 */
function gatePolicy(gate: CallGate, tenantId: string): PipelinePolicy {
  return {
    name: "mdrGate",
    async sendRequest(request, next) {
      const ticket = await gate.enter("azure_nsg", tenantId);
      try {
        const response = await next(request);
        ticket.done(response.status >= 500 ? "failure" : "ok", `${response.status} from ARM`);
        return response;
      } catch (err) {
        ticket.done("failure", (err as Error).message);
        throw err;
      }
    },
  };
}

const PERMISSION =
  "Microsoft.Network/networkSecurityGroups/securityRules/write and /delete on the NSG (for example the Network Contributor role)";
const DESCRIPTION_MAX = 140;

/** The rule a block creates is named after its action, so it can be found and removed exactly. */
export function nsgRuleName(actionId: string): string {
  return `mdr-block-${actionId}`.slice(0, azureNsg.rules.nameMax);
}

export class AzureNsgFirewall implements FirewallProvider {
  private readonly clients = new Map<string, NetworkManagementClient>();

  constructor(private readonly opts: AzureNsgOptions) {}

  private target(tenantId: string): { client: NetworkManagementClient; nsg: NsgConfig } {
    const nsg = this.opts.tenants.find((t) => t.tenantId === tenantId)?.azureNsg;
    if (!nsg) throw new ProviderError("azure_nsg", "bad_request", `no NSG is configured for tenant ${tenantId}`);
    let client = this.clients.get(tenantId);
    if (!client) {
      const credential: TokenCredential = {
        // The token's real expiry: the pipeline keeps a token until shortly before it, so it must
        // not be told a later one than the token has (an expired token is refused with 401).
        getToken: () => this.opts.tokens.access("azure_nsg", tenantId, defaultScope(this.opts.armResource)),
      };
      client = new NetworkManagementClient(credential, nsg.subscriptionId, {
        endpoint: this.opts.armUrl,
        credentialScopes: [defaultScope(this.opts.armResource)],
        // The pipeline's own retries honour Retry-After: 3 tries in all.
        retryOptions: { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 },
        additionalPolicies: [{ policy: gatePolicy(this.opts.gate, tenantId), position: "perRetry" }],
      });
      this.clients.set(tenantId, client);
    }
    return { client, nsg };
  }

  private run<T>(what: string, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withTimeout(this.opts.timeoutMs, work, (err, abortSignal) => armError(err, what, abortSignal));
  }

  /** Priorities taken by inbound rules. */
  private async usedPriorities(tenantId: string): Promise<Map<number, string>> {
    const { client, nsg } = this.target(tenantId);
    const group = await this.run("GET networkSecurityGroup", (abortSignal) =>
      client.networkSecurityGroups.get(nsg.resourceGroup, nsg.nsgName, { abortSignal }),
    );
    const used = new Map<number, string>();
    for (const rule of group.securityRules ?? []) {
      if (rule.direction === "Inbound" && rule.priority !== undefined) used.set(rule.priority, rule.name ?? "?");
    }
    return used;
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    const { client, nsg } = this.target(tenantId);
    const name = nsgRuleName(request.actionId);
    // ARM runs one write at a time on an NSG: a PUT while another is running is refused with 409
    // AnotherOperationInProgress (nothing was written), and another writer may take the same free
    // priority at the same moment (400 SecurityRuleConflict). Both are tried again, the first after
    // a growing wait, for as long as the call may take (no new attempt in its last second).
    const deadline = Date.now() + this.opts.timeoutMs - 1000;
    for (let attempt = 0; ; attempt++) {
      const used = await this.usedPriorities(tenantId);
      if (request.priority !== undefined && used.has(request.priority)) {
        throw new ProviderError("azure_nsg", "conflict", `priority ${request.priority} is already used by rule ${used.get(request.priority)}`, {
          httpStatus: 409,
        });
      }
      const priority = request.priority ?? lowestFree(nsg.priorityRange, used);
      if (priority === undefined) {
        throw new ProviderError(
          "azure_nsg",
          "conflict",
          `no free priority in ${nsg.priorityRange.min}-${nsg.priorityRange.max} on ${nsg.nsgName} (AZURE_NSG_PRIORITY_RANGE)`,
          { httpStatus: 409 },
        );
      }
      const rule: SecurityRule = {
        access: "Deny",
        direction: "Inbound",
        priority,
        protocol: "*",
        sourceAddressPrefix: request.address,
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
        description: request.description.slice(0, DESCRIPTION_MAX),
      };
      try {
        await this.run(`PUT securityRules/${name}`, (abortSignal) =>
          client.securityRules.beginCreateOrUpdateAndWait(nsg.resourceGroup, nsg.nsgName, name, rule, {
            abortSignal,
            updateIntervalInMs: this.opts.pollIntervalMs,
          }),
        );
      } catch (err) {
        if (!(err instanceof ProviderError) || err.kind !== "conflict") throw err;
        const busy = /AnotherOperationInProgress/.test(err.message);
        if (!busy && request.priority !== undefined) throw err;
        const wait = busy
          ? (err.retryAfterSeconds ?? 0) * 1000 || Math.min(250 * 2 ** Math.min(attempt, 4), 2000) * (0.5 + Math.random())
          : 50 * Math.random();
        if (Date.now() + wait >= deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      return { ref: name, details: { rule_name: name, priority, nsg: nsg.nsgName } };
    }
  }

  async unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }> {
    const { client, nsg } = this.target(tenantId);
    let rule: SecurityRule;
    try {
      rule = await this.run(`GET securityRules/${ref}`, (abortSignal) =>
        client.securityRules.get(nsg.resourceGroup, nsg.nsgName, ref, { abortSignal }),
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not_found") return { alreadyAbsent: true };
      throw err;
    }
    // Remove exactly what the block created: a rule of that name for another address is not ours.
    if (rule.access !== "Deny" || rule.sourceAddressPrefix !== address) {
      throw new ProviderError(
        "azure_nsg",
        "conflict",
        `rule ${ref} no longer denies ${address} (it now ${rule.access} ${rule.sourceAddressPrefix}); left in place`,
        { httpStatus: 409 },
      );
    }
    await this.run(`DELETE securityRules/${ref}`, (abortSignal) =>
      client.securityRules.beginDeleteAndWait(nsg.resourceGroup, nsg.nsgName, ref, {
        abortSignal,
        updateIntervalInMs: this.opts.pollIntervalMs,
      }),
    );
    return { alreadyAbsent: false };
  }

  async findBlock(tenantId: string, actionId: string, address: string): Promise<BlockResult | null> {
    const { client, nsg } = this.target(tenantId);
    const name = nsgRuleName(actionId);
    let rule: SecurityRule;
    try {
      rule = await this.run(`GET securityRules/${name}`, (abortSignal) =>
        client.securityRules.get(nsg.resourceGroup, nsg.nsgName, name, { abortSignal }),
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not_found") return null;
      throw err;
    }
    if (rule.access !== "Deny" || rule.sourceAddressPrefix !== address || rule.priority === undefined) return null;
    return { ref: name, details: { rule_name: name, priority: rule.priority, nsg: nsg.nsgName } };
  }

  /** An NSG rule has no expiry of its own: the sweep removes it at the row's expires_at. */
  async setExpiry(): Promise<void> {}

  async probe(tenantId: string): Promise<void> {
    await this.usedPriorities(tenantId);
  }
}

function armError(err: unknown, what: string, signal: AbortSignal): ProviderError {
  const e = err as { statusCode?: number; code?: string; message?: string; response?: { headers?: { get(name: string): string | undefined } } };
  const status = e?.statusCode;
  // A long-running operation that ARM accepted and then ended Failed: core-lro throws a plain
  // Error "The long-running operation has failed. {code}. {message}" (no status). The service was
  // reached and said no; that is not a network failure.
  const lro = /^The long-running operation has failed(?:\. (\S+?)\.(?: ([\s\S]*))?)?$/.exec(e?.message ?? "");
  if (lro && !signal.aborted) {
    const code = lro[1] ?? "";
    const kind = /Conflict|InUse|AnotherOperationInProgress/i.test(code)
      ? "conflict"
      : /AuthorizationFailed|Forbidden/i.test(code)
        ? "permission"
        : /InternalServerError|RetryableError|ServiceUnavailable|Canceled|Preempted|Timeout/i.test(code) || code === ""
          ? "unavailable"
          : "bad_request";
    return new ProviderError(
      "azure_nsg",
      kind,
      `${what}: the operation failed at Azure${code ? ` (${code})` : ""}: ${(lro[2] || "no error was given").slice(0, 300)}`,
    );
  }
  if (typeof status !== "number" || status <= 0) return asProviderError("azure_nsg", err, signal);
  let kind = kindOfStatus(status);
  const code = e.code ?? "";
  if (status === 400 && /Conflict|InUse|AnotherOperationInProgress/i.test(code)) kind = "conflict";
  const head = `${status}${code ? ` ${code}` : ""} on ${what}`;
  const message = (e.message ?? "").slice(0, 300);
  return new ProviderError("azure_nsg", kind, refusalMessage(head, status, kind, PERMISSION, message), {
    httpStatus: status,
    retryAfterSeconds: retryAfterSeconds(e.response?.headers?.get("retry-after")),
  });
}
