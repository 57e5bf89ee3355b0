// The simulated Azure network security group: named Deny rules at a free priority, with the
// limits of the real service, since those are what operators run into.
import { type BlockRequest, type BlockResult, type FirewallProvider, ProviderError } from "@/lib/mdr/providers/types";
import { lowestFree, type NumberRange } from "@/lib/mdr/providers/numbers";
import { absent, parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_NSG } from "@/lib/mdr/providers/simulation/seed";
import { azureNsg } from "./facts";

interface NsgRule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  sourceAddressPrefix: string;
  description: string;
}

const NSG_PRIORITY = azureNsg.rules.priorities;
const NSG_NAME_MAX = azureNsg.rules.nameMax;
// Azure resource names: start with a letter or digit, end with one or an underscore.
const NSG_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

export class SimulatedAzureNsg implements FirewallProvider {
  private readonly rules: Map<string, NsgRule>;

  constructor(
    private readonly rt: SimRuntime,
    private readonly range: NumberRange,
  ) {
    this.rules = new Map(SIM_NSG.rules.map((r) => [r.name.toLowerCase(), { ...r }]));
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: true });
    const bad = (message: string) => new ProviderError("azure_nsg", "bad_request", message, { httpStatus: 400 });
    const conflict = (message: string) => new ProviderError("azure_nsg", "conflict", message, { httpStatus: 409 });
    const name = `mdr-block-${request.actionId}`;
    if (name.length > NSG_NAME_MAX || !NSG_NAME_RE.test(name)) {
      throw bad(`InvalidResourceName: '${name}' is not a valid security rule name (at most ${NSG_NAME_MAX} characters)`);
    }
    const parsed = parseAddress(request.address);
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
      throw conflict(`SecurityRulesLimitExceeded: ${SIM_NSG.name} already has the maximum of ${SIM_NSG.maxRules} rules`);
    }
    const address = parsed.isRange ? `${parsed.address}/${parsed.prefix}` : parsed.address;
    this.rules.set(name.toLowerCase(), {
      name,
      priority,
      access: "Deny",
      sourceAddressPrefix: address,
      description: request.description,
    });
    return { ref: name, details: { rule_name: name, priority } };
  }

  async unblock(tenantId: string, ref: string, _address?: string): Promise<{ alreadyAbsent: boolean }> {
    await this.rt.enter("azure_nsg", "azure_nsg.unblock", tenantId, { mutating: true });
    return this.rules.delete(ref.toLowerCase()) ? { alreadyAbsent: false } : absent();
  }

  async findBlock(tenantId: string, actionId: string, address: string): Promise<BlockResult | null> {
    await this.rt.enter("azure_nsg", "azure_nsg.block", tenantId, { mutating: false });
    const rule = this.rules.get(`mdr-block-${actionId}`.toLowerCase());
    if (!rule || rule.access !== "Deny" || rule.sourceAddressPrefix !== address) return null;
    return { ref: rule.name, details: { rule_name: rule.name, priority: rule.priority } };
  }

  async setExpiry(): Promise<void> {}
}
