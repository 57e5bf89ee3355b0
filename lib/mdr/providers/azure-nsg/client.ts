// Azure network security group rules through @azure/arm-network: a block is an inbound Deny rule
// named after the action, at the requested priority or the lowest free one in the range. A bulk
// (blockMany) puts up to 500 addresses of one family in one rule (`sourceAddressPrefixes`), named
// after the first action of the batch; undoing one of them rewrites that rule without it.
import { Serial } from "@/lib/mdr/providers/serial";
import type { TokenCredential } from "@azure/core-auth";
import { NetworkManagementClient, type SecurityRule } from "@azure/arm-network";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { lowestFree } from "@/lib/mdr/providers/numbers";
import type { TenantConfig } from "@/lib/config";
import { asProviderError, kindOfStatus, refusalMessage, retryAfterSeconds, withTimeout } from "@/lib/mdr/providers/live/retry";
import { type TokenSource, defaultScope } from "@/lib/mdr/providers/live/tokens";
import { parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import {
  type BatchOutcome,
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { azureNsg } from "./facts";
import { nsgBulkRuleName, nsgRuleName, planNsgBatch } from "./names";

export { nsgBulkRuleName, nsgRuleName };

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

/**
 * Adds `If-Match: <etag>` to the PUT or DELETE of a rule that `expect` names: a rule rewritten from
 * what was read is written only if nobody changed it in between (ARM answers 412 otherwise). Not
 * through the operation's requestOptions, which the long-running operation's polls would repeat.
 */
function ifMatchPolicy(expected: Map<string, string>): PipelinePolicy {
  return {
    name: "mdrIfMatch",
    async sendRequest(request, next) {
      if (request.method === "PUT" || request.method === "DELETE") {
        const path = decodeURIComponent(new URL(request.url).pathname).toLowerCase();
        const etag = expected.get(`${request.method} ${path.slice(Math.max(0, path.indexOf("/subscriptions/")))}`);
        if (etag !== undefined) request.headers.set("If-Match", etag);
      }
      return next(request);
    },
  };
}

const PERMISSION =
  "Microsoft.Network/networkSecurityGroups/securityRules/write and /delete on the NSG (for example the Network Contributor role)";
const DESCRIPTION_MAX = azureNsg.rules.descriptionMax;
const PER_RULE = azureNsg.rules.prefixesPerRule;
const MAX_RULES = azureNsg.rules.perNsg;
const MAX_PREFIXES = azureNsg.rules.sourcePrefixesPerNsg;

/** What an NSG holds now: its inbound priorities, its rules and source prefixes (ARM's limits count both). */
interface NsgUsage {
  used: Map<number, string>;
  names: Set<string>;
  rules: number;
  prefixes: number;
}

/** IP addresses and ranges a rule names as sources: what the NSG's 4,000 count (tags and `*` are not addresses). */
export function sourcePrefixCount(rule: Pick<SecurityRule, "sourceAddressPrefix" | "sourceAddressPrefixes">): number {
  const single = rule.sourceAddressPrefix !== undefined && parseAddress(rule.sourceAddressPrefix) ? 1 : 0;
  return single + (rule.sourceAddressPrefixes?.length ?? 0);
}

/** The sources of a rule, whichever form it has. */
function sourcesOf(rule: SecurityRule): string[] {
  if (rule.sourceAddressPrefixes && rule.sourceAddressPrefixes.length > 0) return [...rule.sourceAddressPrefixes];
  return rule.sourceAddressPrefix !== undefined ? [rule.sourceAddressPrefix] : [];
}


/** A bulk rule's description: the first action's, naming how many more the rule holds. */
function bulkDescription(requests: BlockRequest[]): string {
  const first = requests[0]!;
  if (requests.length === 1) return first.description.slice(0, DESCRIPTION_MAX);
  const own = `MDR ${first.actionId} `;
  const rest = first.description.startsWith(own) ? first.description.slice(own.length) : first.description;
  return `MDR ${first.actionId} and ${requests.length - 1} more ${rest}`.slice(0, DESCRIPTION_MAX);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long to wait before writing again after a refusal that nothing was written: ARM's own word, or a growing backoff. */
function backoff(err: ProviderError, attempt: number): number {
  return (err.retryAfterSeconds ?? 0) * 1000 || Math.min(250 * 2 ** Math.min(attempt, 4), 2000) * (0.5 + Math.random());
}


export class AzureNsgFirewall implements FirewallProvider {
  private readonly clients = new Map<string, NetworkManagementClient>();
  /** `METHOD /path` of a rule write -> the etag it must still have (see ifMatchPolicy). */
  private readonly ifMatch = new Map<string, string>();
  /** One rewrite at a time per rule in this process: the others wait rather than lose a race on its etag. */
  private readonly ruleLocks = new Serial();
  /** The most addresses one blockMany or unblockMany takes: at most 3 rule writes. */
  readonly batchSize = 2 * PER_RULE;

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
        additionalPolicies: [
          { policy: ifMatchPolicy(this.ifMatch), position: "perCall" },
          { policy: gatePolicy(this.opts.gate, tenantId), position: "perRetry" },
        ],
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
    return (await this.usage(tenantId)).used;
  }

  /** One GET of the NSG: its inbound priorities, rule names, and the counts ARM's limits bound. */
  private async usage(tenantId: string): Promise<NsgUsage> {
    const { client, nsg } = this.target(tenantId);
    const group = await this.run("GET networkSecurityGroup", (abortSignal) =>
      client.networkSecurityGroups.get(nsg.resourceGroup, nsg.nsgName, { abortSignal }),
    );
    const usage: NsgUsage = { used: new Map(), names: new Set(), rules: 0, prefixes: 0 };
    for (const rule of group.securityRules ?? []) {
      usage.rules++;
      usage.prefixes += sourcePrefixCount(rule);
      if (rule.name) usage.names.add(rule.name.toLowerCase());
      if (rule.direction === "Inbound" && rule.priority !== undefined) usage.used.set(rule.priority, rule.name ?? "?");
    }
    return usage;
  }

  /** Free priorities of the configured range, lowest first. */
  private freePriorities(nsg: NsgConfig, used: Map<number, string>): number[] {
    const free: number[] = [];
    for (let p = nsg.priorityRange.min; p <= nsg.priorityRange.max; p++) if (!used.has(p)) free.push(p);
    return free;
  }

  /**
   * How many more addresses a bulk can add: free priorities of the range times 500 a rule,
   * bounded by the NSG's 1,000 rules and 4,000 source prefixes, counting what it holds (one GET).
   * A list of both address families takes a rule per family: blockMany refuses it whole if that
   * does not fit.
   */
  async capacity(tenantId: string): Promise<FirewallCapacity> {
    const { nsg } = this.target(tenantId);
    const usage = await this.usage(tenantId);
    const priorities = this.freePriorities(nsg, usage.used).length;
    const rules = Math.max(0, MAX_RULES - usage.rules);
    const prefixes = Math.max(0, MAX_PREFIXES - usage.prefixes);
    const free = Math.min(prefixes, Math.min(priorities, rules) * PER_RULE);
    return {
      free,
      detail:
        `${free} more addresses fit in ${nsg.nsgName}: ${prefixes} of its ${MAX_PREFIXES} source prefixes and ` +
        `${rules} of its ${MAX_RULES} rules are free, and ${priorities} priorities of ` +
        `${nsg.priorityRange.min}-${nsg.priorityRange.max} (AZURE_NSG_PRIORITY_RANGE), at ${PER_RULE} addresses a rule`,
    };
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

  /**
   * Blocks many addresses in the fewest rule writes: each address family's addresses in rules of
   * up to 500 `sourceAddressPrefixes`, at the lowest free priorities, one PUT each. Refused whole
   * (thrown, nothing written) when the range's priorities or the NSG's rules or prefixes cannot
   * take them. Each request's `planned` is told its rule and priority before that rule is written.
   */
  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    const { nsg } = this.target(tenantId);
    if (requests.length > this.batchSize) {
      throw new ProviderError("azure_nsg", "bad_request", `${requests.length} addresses in one batch; at most ${this.batchSize}`);
    }
    const outcomes: (BatchOutcome<BlockResult> | undefined)[] = new Array(requests.length);
    const fail = (i: number, kind: ProviderError["kind"], message: string) => {
      outcomes[i] = { ok: false, error: new ProviderError("azure_nsg", kind, message, { httpStatus: kind === "conflict" ? 409 : 400 }) };
    };
    const { refused, single, chunks } = planNsgBatch(requests);
    for (const r of refused) fail(r.index, r.kind, r.message);

    if (chunks.length > 0) {
      const usage = await this.usage(tenantId);
      const free = this.freePriorities(nsg, usage.used);
      const addresses = chunks.reduce((n, c) => n + c.length, 0);
      const refuse = (why: string) =>
        new ProviderError("azure_nsg", "conflict", `${addresses} addresses in ${chunks.length === 1 ? "1 rule" : `${chunks.length} rules`} do not fit in ${nsg.nsgName}: ${why}; nothing was written`, {
          httpStatus: 409,
        });
      if (free.length < chunks.length) {
        throw refuse(`${free.length} priorities of ${nsg.priorityRange.min}-${nsg.priorityRange.max} are free (AZURE_NSG_PRIORITY_RANGE)`);
      }
      if (usage.rules + chunks.length > MAX_RULES) throw refuse(`it holds ${usage.rules} of its ${MAX_RULES} rules`);
      if (usage.prefixes + addresses > MAX_PREFIXES) {
        throw refuse(`it holds ${usage.prefixes} of its ${MAX_PREFIXES} source prefixes, ${MAX_PREFIXES - usage.prefixes} more fit`);
      }
      // Named after the batch's first action; a name already in the NSG (an earlier try of the
      // same batch, cut off) is never written over: its addresses are another try's.
      const firstId = requests[chunks[0]![0]!]!.actionId;
      let n = 0;
      const nextName = () => {
        let name: string;
        do name = nsgBulkRuleName(firstId, ++n);
        while (usage.names.has(name.toLowerCase()));
        return name;
      };
      for (const [c, chunk] of chunks.entries()) {
        const batch = chunk.map((i) => requests[i]!);
        const name = nextName();
        try {
          const priority = await this.writeBulkRule(tenantId, name, free[c]!, batch);
          for (const i of chunk) {
            outcomes[i] = {
              ok: true,
              value: { ref: name, details: { rule_name: name, priority, nsg: nsg.nsgName, address: requests[i]!.address } },
            };
          }
        } catch (err) {
          const error = err instanceof ProviderError ? err : new ProviderError("azure_nsg", "unavailable", (err as Error).message);
          for (const i of chunk) outcomes[i] = { ok: false, error };
        }
      }
    }
    for (const i of single) {
      try {
        outcomes[i] = { ok: true, value: await this.block(tenantId, requests[i]!) };
      } catch (err) {
        outcomes[i] = { ok: false, error: err instanceof ProviderError ? err : new ProviderError("azure_nsg", "unavailable", (err as Error).message) };
      }
    }
    return outcomes as BatchOutcome<BlockResult>[];
  }

  /**
   * One PUT of a bulk rule at `priority` (or, when another writer took it meanwhile, the lowest
   * free one), tried again while ARM is busy with another write on the NSG. Returns its priority.
   */
  private async writeBulkRule(tenantId: string, name: string, priority: number, batch: BlockRequest[]): Promise<number> {
    const { client, nsg } = this.target(tenantId);
    const deadline = Date.now() + this.opts.timeoutMs - 1000;
    for (let attempt = 0; ; attempt++) {
      for (const r of batch) r.planned?.({ rule_name: name, priority, nsg: nsg.nsgName, address: r.address });
      const rule: SecurityRule = {
        access: "Deny",
        direction: "Inbound",
        priority,
        protocol: "*",
        sourceAddressPrefixes: batch.map((r) => r.address),
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
        description: bulkDescription(batch),
      };
      try {
        await this.run(`PUT securityRules/${name}`, (abortSignal) =>
          client.securityRules.beginCreateOrUpdateAndWait(nsg.resourceGroup, nsg.nsgName, name, rule, {
            abortSignal,
            updateIntervalInMs: this.opts.pollIntervalMs,
          }),
        );
        return priority;
      } catch (err) {
        if (!(err instanceof ProviderError) || err.kind !== "conflict" || /LimitReached/.test(err.message)) throw err;
        const busy = /AnotherOperationInProgress/.test(err.message);
        const wait = busy ? backoff(err, attempt) : 50 * Math.random();
        if (Date.now() + wait >= deadline) throw err;
        await sleep(wait);
        if (!busy) {
          // Another writer took the priority between our read and our write: the lowest free one now.
          const free = this.freePriorities(nsg, await this.usedPriorities(tenantId));
          if (free[0] === undefined) throw err;
          priority = free[0];
        }
      }
    }
  }

  /**
   * Removes exactly what `block` / `blockMany` created (`ref`, for `address`): a rule of its own is
   * deleted; from a shared rule only this address is removed (the rule rewritten, or deleted with
   * its last address), written only if the rule is still as read (If-Match), else read again.
   */
  async unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }> {
    const [outcome] = await this.removeFromRule(tenantId, ref, [address]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  /** Removes many blocks: one rewrite (or delete) per rule for all of its addresses being removed. */
  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    const byRule = new Map<string, number[]>();
    items.forEach((item, i) => {
      const key = item.ref.toLowerCase();
      byRule.set(key, [...(byRule.get(key) ?? []), i]);
    });
    const outcomes: BatchOutcome<{ alreadyAbsent: boolean }>[] = new Array(items.length);
    for (const indexes of byRule.values()) {
      const ref = items[indexes[0]!]!.ref;
      let results: BatchOutcome<{ alreadyAbsent: boolean }>[];
      try {
        results = await this.removeFromRule(tenantId, ref, indexes.map((i) => items[i]!.address));
      } catch (err) {
        const error = err instanceof ProviderError ? err : new ProviderError("azure_nsg", "unavailable", (err as Error).message);
        results = indexes.map(() => ({ ok: false, error }));
      }
      indexes.forEach((i, k) => (outcomes[i] = results[k]!));
    }
    return outcomes;
  }

  /**
   * Takes `addresses` out of rule `ref`: read it, write it back without them (or delete it when
   * none is left), If-Match its etag; when ARM says it changed meanwhile (412) or is busy, again.
   * One outcome per address: absent already, removed, or refused (the rule now says something else).
   */
  private removeFromRule(tenantId: string, ref: string, addresses: string[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    const { client, nsg } = this.target(tenantId);
    const path = `/subscriptions/${nsg.subscriptionId}/resourcegroups/${nsg.resourceGroup}/providers/microsoft.network/networksecuritygroups/${nsg.nsgName}/securityrules/${ref}`.toLowerCase();
    return this.ruleLocks.run(`${tenantId} ${path}`, async () => {
      const deadline = Date.now() + this.opts.timeoutMs - 1000;
      for (let attempt = 0; ; attempt++) {
        let rule: SecurityRule;
        try {
          rule = await this.run(`GET securityRules/${ref}`, (abortSignal) =>
            client.securityRules.get(nsg.resourceGroup, nsg.nsgName, ref, { abortSignal }),
          );
        } catch (err) {
          if (err instanceof ProviderError && err.kind === "not_found") return addresses.map(() => ({ ok: true, value: { alreadyAbsent: true } }));
          throw err;
        }
        const sources = sourcesOf(rule);
        const shared = (rule.sourceAddressPrefixes?.length ?? 0) > 0;
        const outcomes = addresses.map((address): BatchOutcome<{ alreadyAbsent: boolean }> => {
          // Remove exactly what the block created: a rule of that name that no longer denies the
          // address (someone rewrote it) is left alone. An address gone from a shared rule was
          // removed already (another undo of the same rule).
          if (rule.access !== "Deny" || (!shared && rule.sourceAddressPrefix !== address)) {
            const now = shared ? `${rule.access} ${sources.join(", ")}` : `${rule.access} ${rule.sourceAddressPrefix}`;
            return {
              ok: false,
              error: new ProviderError("azure_nsg", "conflict", `rule ${ref} no longer denies ${address} (it now ${now}); left in place`, {
                httpStatus: 409,
              }),
            };
          }
          return { ok: true, value: { alreadyAbsent: !sources.includes(address) } };
        });
        const removing = new Set(addresses.filter((_, i) => outcomes[i]!.ok && !(outcomes[i] as { value: { alreadyAbsent: boolean } }).value.alreadyAbsent));
        if (removing.size === 0) return outcomes;
        const remaining = sources.filter((p) => !removing.has(p));
        const method = remaining.length === 0 ? "DELETE" : "PUT";
        const key = `${method} ${path}`;
        if (rule.etag) this.ifMatch.set(key, rule.etag);
        try {
          if (method === "DELETE") {
            await this.run(`DELETE securityRules/${ref}`, (abortSignal) =>
              client.securityRules.beginDeleteAndWait(nsg.resourceGroup, nsg.nsgName, ref, {
                abortSignal,
                updateIntervalInMs: this.opts.pollIntervalMs,
              }),
            );
          } else {
            const rewritten: SecurityRule = {
              access: rule.access,
              direction: rule.direction,
              priority: rule.priority,
              protocol: rule.protocol,
              sourceAddressPrefixes: remaining,
              sourcePortRange: rule.sourcePortRange,
              sourcePortRanges: rule.sourcePortRanges,
              destinationAddressPrefix: rule.destinationAddressPrefix,
              destinationAddressPrefixes: rule.destinationAddressPrefixes,
              destinationPortRange: rule.destinationPortRange,
              destinationPortRanges: rule.destinationPortRanges,
              description: rule.description,
            };
            await this.run(`PUT securityRules/${ref}`, (abortSignal) =>
              client.securityRules.beginCreateOrUpdateAndWait(nsg.resourceGroup, nsg.nsgName, ref, rewritten, {
                abortSignal,
                updateIntervalInMs: this.opts.pollIntervalMs,
              }),
            );
          }
          return outcomes;
        } catch (err) {
          // 412: the rule changed since it was read (its etag is not ours); busy: ARM runs another
          // write on the NSG. Neither wrote anything: read it again and redo the removal.
          if (!(err instanceof ProviderError) || !(err.httpStatus === 412 || /AnotherOperationInProgress/.test(err.message))) throw err;
          const wait = err.httpStatus === 412 ? 20 * Math.random() : backoff(err, attempt);
          if (Date.now() + wait >= deadline) throw err;
          await sleep(wait);
        } finally {
          this.ifMatch.delete(key);
        }
      }
    });
  }

  /**
   * The rule the block of `actionId` put `address` in: its own (`mdr-block-<id>`), or the bulk rule
   * `planned` recorded (`known.rule_name`), if it still denies the address.
   */
  async findBlock(tenantId: string, actionId: string, address: string, known?: Record<string, unknown> | null): Promise<BlockResult | null> {
    const { client, nsg } = this.target(tenantId);
    const name = typeof known?.rule_name === "string" ? known.rule_name : nsgRuleName(actionId);
    let rule: SecurityRule;
    try {
      rule = await this.run(`GET securityRules/${name}`, (abortSignal) =>
        client.securityRules.get(nsg.resourceGroup, nsg.nsgName, name, { abortSignal }),
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not_found") return null;
      throw err;
    }
    if (rule.access !== "Deny" || rule.priority === undefined) return null;
    if ((rule.sourceAddressPrefixes?.length ?? 0) > 0) {
      if (!rule.sourceAddressPrefixes!.includes(address)) return null;
      return { ref: rule.name ?? name, details: { rule_name: rule.name ?? name, priority: rule.priority, nsg: nsg.nsgName, address } };
    }
    if (rule.sourceAddressPrefix !== address) return null;
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
