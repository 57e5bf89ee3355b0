// The simulated Azure network security group: named Deny rules at a free priority, with the
// limits of the real service, since those are what operators run into. A bulk puts up to 500
// addresses of one family in one rule (`sourceAddressPrefixes`), as the live adapter does.
import {
  type BatchOutcome,
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { lowestFree, type NumberRange } from "@/lib/mdr/providers/numbers";
import { absent, parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_NSG } from "@/lib/mdr/providers/simulation/seed";
import { nsgBulkRuleName, planNsgBatch } from "./names";
import { azureNsg } from "./facts";

interface NsgRule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  /** One source (a single block, the seeded rules), or */
  sourceAddressPrefix?: string;
  /** many (a bulk's rule). */
  sourceAddressPrefixes?: string[];
  description: string;
}

const NSG_PRIORITY = azureNsg.rules.priorities;
const NSG_NAME_MAX = azureNsg.rules.nameMax;
const PER_RULE = azureNsg.rules.prefixesPerRule;
// Azure resource names: start with a letter or digit, end with one or an underscore.
const NSG_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

const bad = (message: string) => new ProviderError("azure_nsg", "bad_request", message, { httpStatus: 400 });
const conflict = (message: string) => new ProviderError("azure_nsg", "conflict", message, { httpStatus: 409 });

/** The address as a rule holds it: a single address bare, a range as CIDR; undefined when not one. */
function normalised(raw: string): { address: string; family: "ipv4" | "ipv6" } | undefined {
  const parsed = parseAddress(raw);
  if (!parsed) return undefined;
  return { address: parsed.isRange ? `${parsed.address}/${parsed.prefix}` : parsed.address, family: parsed.family };
}

/** IP addresses and ranges a rule names as sources (tags such as `Internet` are not addresses). */
function prefixCount(rule: NsgRule): number {
  return (rule.sourceAddressPrefix !== undefined && parseAddress(rule.sourceAddressPrefix) ? 1 : 0) + (rule.sourceAddressPrefixes?.length ?? 0);
}

export class SimulatedAzureNsg implements FirewallProvider {
  private readonly rules: Map<string, NsgRule>;
  readonly batchSize = 2 * PER_RULE;

  constructor(
    private readonly rt: SimRuntime,
    private readonly range: NumberRange,
  ) {
    this.rules = new Map(SIM_NSG.rules.map((r) => [r.name.toLowerCase(), { ...r }]));
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: true });
    const name = `mdr-block-${request.actionId}`;
    if (name.length > NSG_NAME_MAX || !NSG_NAME_RE.test(name)) {
      throw bad(`InvalidResourceName: '${name}' is not a valid security rule name (at most ${NSG_NAME_MAX} characters)`);
    }
    const parsed = normalised(request.address);
    if (!parsed) throw bad(`SecurityRuleInvalidAddressPrefix: '${request.address}' is not a valid address prefix`);

    // createOrUpdate is a PUT: the same action writing again updates its own rule.
    const own = this.rules.get(name.toLowerCase());
    const others = [...this.rules.values()].filter((r) => r !== own);
    let priority: number;
    if (request.priority !== undefined) {
      priority = request.priority;
      if (!Number.isInteger(priority) || priority < NSG_PRIORITY.min || priority > NSG_PRIORITY.max) {
        throw bad(
          `SecurityRuleInvalidPriority: priority ${priority} is outside the allowed range ${NSG_PRIORITY.min}-${NSG_PRIORITY.max}`,
        );
      }
      const holder = others.find((r) => r.priority === priority);
      if (holder) throw conflict(`SecurityRuleConflict: priority ${priority} is already used by rule ${holder.name}`);
    } else if (own) {
      priority = own.priority;
    } else {
      const free = lowestFree(this.range, new Set(others.map((r) => r.priority)));
      if (free === undefined) {
        throw conflict(
          `SecurityRuleConflict: no free priority in ${this.range.min}-${this.range.max} on ${SIM_NSG.name}; every one is used`,
        );
      }
      priority = free;
    }
    if (!own && this.rules.size >= SIM_NSG.maxRules) {
      throw conflict(`SecurityRuleCountLimitReached: ${SIM_NSG.name} already has the maximum of ${SIM_NSG.maxRules} rules`);
    }
    if (this.prefixes(own) + 1 > SIM_NSG.maxSourcePrefixes) {
      throw conflict(`SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached: ${SIM_NSG.name} already names ${SIM_NSG.maxSourcePrefixes} source prefixes`);
    }
    this.rules.set(name.toLowerCase(), {
      name,
      priority,
      access: "Deny",
      sourceAddressPrefix: parsed.address,
      description: request.description,
    });
    return { ref: name, details: { rule_name: name, priority } };
  }

  /** Source prefixes of every rule but `except`. */
  private prefixes(except?: NsgRule): number {
    return [...this.rules.values()].filter((r) => r !== except).reduce((n, r) => n + prefixCount(r), 0);
  }

  private freePriorities(): number[] {
    const used = new Set([...this.rules.values()].map((r) => r.priority));
    const free: number[] = [];
    for (let p = this.range.min; p <= this.range.max; p++) if (!used.has(p)) free.push(p);
    return free;
  }

  async capacity(tenantId: string): Promise<FirewallCapacity> {
    await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: false });
    const priorities = this.freePriorities().length;
    const rules = Math.max(0, SIM_NSG.maxRules - this.rules.size);
    const prefixes = Math.max(0, SIM_NSG.maxSourcePrefixes - this.prefixes());
    const free = Math.min(prefixes, Math.min(priorities, rules) * PER_RULE);
    return {
      free,
      detail:
        `${free} more addresses fit in ${SIM_NSG.name}: ${prefixes} of its ${SIM_NSG.maxSourcePrefixes} source prefixes and ` +
        `${rules} of its ${SIM_NSG.maxRules} rules are free, and ${priorities} priorities of ${this.range.min}-${this.range.max} ` +
        `(AZURE_NSG_PRIORITY_RANGE), at ${PER_RULE} addresses a rule`,
    };
  }

  /** As the live adapter: up to 500 addresses of one family a rule, refused whole when they do not fit. */
  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    if (requests.length > this.batchSize) throw bad(`${requests.length} addresses in one batch; at most ${this.batchSize}`);
    const outcomes: (BatchOutcome<BlockResult> | undefined)[] = new Array(requests.length);
    const { refused, single, chunks } = planNsgBatch(requests);
    for (const r of refused) outcomes[r.index] = { ok: false, error: r.kind === "conflict" ? conflict(r.message) : bad(r.message) };
    if (chunks.length > 0) {
      await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: false });
      const free = this.freePriorities();
      const addresses = chunks.reduce((n, c) => n + c.length, 0);
      const refuse = (why: string) =>
        conflict(`${addresses} addresses in ${chunks.length === 1 ? "1 rule" : `${chunks.length} rules`} do not fit in ${SIM_NSG.name}: ${why}; nothing was written`);
      if (free.length < chunks.length) {
        throw refuse(`${free.length} priorities of ${this.range.min}-${this.range.max} are free (AZURE_NSG_PRIORITY_RANGE)`);
      }
      if (this.rules.size + chunks.length > SIM_NSG.maxRules) throw refuse(`it holds ${this.rules.size} of its ${SIM_NSG.maxRules} rules`);
      const held = this.prefixes();
      if (held + addresses > SIM_NSG.maxSourcePrefixes) {
        throw refuse(`it holds ${held} of its ${SIM_NSG.maxSourcePrefixes} source prefixes, ${SIM_NSG.maxSourcePrefixes - held} more fit`);
      }
      const firstId = requests[chunks[0]![0]!]!.actionId;
      let n = 0;
      for (const [c, chunk] of chunks.entries()) {
        let name: string;
        do name = nsgBulkRuleName(firstId, ++n);
        while (this.rules.has(name.toLowerCase()));
        const priority = free[c]!;
        for (const i of chunk) requests[i]!.planned?.({ rule_name: name, priority, nsg: SIM_NSG.name, address: requests[i]!.address });
        try {
          await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: true });
        } catch (err) {
          for (const i of chunk) outcomes[i] = { ok: false, error: err as ProviderError };
          continue;
        }
        const first = requests[chunk[0]!]!;
        this.rules.set(name.toLowerCase(), {
          name,
          priority,
          access: "Deny",
          sourceAddressPrefixes: chunk.map((i) => normalised(requests[i]!.address)!.address),
          description: `${first.description} (and ${chunk.length - 1} more)`,
        });
        for (const i of chunk) {
          outcomes[i] = { ok: true, value: { ref: name, details: { rule_name: name, priority, nsg: SIM_NSG.name, address: requests[i]!.address } } };
        }
      }
    }
    for (const i of single) {
      try {
        outcomes[i] = { ok: true, value: await this.block(tenantId, requests[i]!) };
      } catch (err) {
        outcomes[i] = { ok: false, error: err as ProviderError };
      }
    }
    return outcomes as BatchOutcome<BlockResult>[];
  }

  /** A rule of its own is deleted; from a shared rule only `address` is removed (the rule goes with its last). */
  async unblock(tenantId: string, ref: string, address?: string): Promise<{ alreadyAbsent: boolean }> {
    await this.rt.enter("azure_nsg", "azure_nsg.unblock", tenantId, { mutating: true });
    return this.remove(ref, address);
  }

  private remove(ref: string, address: string | undefined): { alreadyAbsent: boolean } {
    const key = ref.toLowerCase();
    const rule = this.rules.get(key);
    if (!rule) return absent();
    if (!rule.sourceAddressPrefixes) {
      this.rules.delete(key);
      return { alreadyAbsent: false };
    }
    const target = address === undefined ? undefined : (normalised(address)?.address ?? address);
    if (target === undefined || !rule.sourceAddressPrefixes.includes(target)) return absent();
    rule.sourceAddressPrefixes = rule.sourceAddressPrefixes.filter((p) => p !== target);
    if (rule.sourceAddressPrefixes.length === 0) this.rules.delete(key);
    return { alreadyAbsent: false };
  }

  /** One rewrite per rule for all of its addresses being removed. */
  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    const outcomes: BatchOutcome<{ alreadyAbsent: boolean }>[] = new Array(items.length);
    const byRule = new Map<string, number[]>();
    items.forEach((item, i) => byRule.set(item.ref.toLowerCase(), [...(byRule.get(item.ref.toLowerCase()) ?? []), i]));
    for (const indexes of byRule.values()) {
      try {
        await this.rt.enter("azure_nsg", "azure_nsg.unblock", tenantId, { mutating: true });
      } catch (err) {
        for (const i of indexes) outcomes[i] = { ok: false, error: err as ProviderError };
        continue;
      }
      for (const i of indexes) outcomes[i] = { ok: true, value: this.remove(items[i]!.ref, items[i]!.address) };
    }
    return outcomes;
  }

  /** Its own rule (`mdr-block-<id>`), or the bulk rule `planned` recorded, if it still denies the address. */
  async findBlock(tenantId: string, actionId: string, address: string, known?: Record<string, unknown> | null): Promise<BlockResult | null> {
    await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: false });
    const name = typeof known?.rule_name === "string" ? known.rule_name : `mdr-block-${actionId}`;
    const rule = this.rules.get(name.toLowerCase());
    if (!rule || rule.access !== "Deny") return null;
    if (rule.sourceAddressPrefixes) {
      const target = normalised(address)?.address ?? address;
      if (!rule.sourceAddressPrefixes.includes(target)) return null;
      return { ref: rule.name, details: { rule_name: rule.name, priority: rule.priority, nsg: SIM_NSG.name, address } };
    }
    if (rule.sourceAddressPrefix !== address) return null;
    return { ref: rule.name, details: { rule_name: rule.name, priority: rule.priority } };
  }

  async setExpiry(): Promise<void> {}
}
