// The three simulated firewalls: Defender IP indicators, one Azure NSG, one AWS network ACL.
// Each enforces the limits of the real service, since those are what operators run into.
import ipaddr from "ipaddr.js";
import {
  type BlockRequest,
  type BlockResult,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import type { SimRuntime } from "./runtime";
import { SIM_MAX_INDICATORS, SIM_NACL, SIM_NSG } from "./seed";

export interface NumberRange {
  min: number;
  max: number;
}

interface Address {
  family: "ipv4" | "ipv6";
  /** Normalised address without prefix. */
  address: string;
  prefix: number;
  isRange: boolean;
}

/** Strict parse: dotted-quad IPv4 or IPv6, optionally with a prefix; undefined when not one. */
function parseAddress(raw: string): Address | undefined {
  const [addr = "", prefixText, ...rest] = raw.trim().split("/");
  if (rest.length > 0) return undefined;
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && !ipaddr.IPv6.isValid(addr)) return undefined;
  const bits = v4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
    prefix = Number(prefixText);
  }
  return { family: v4 ? "ipv4" : "ipv6", address: ipaddr.parse(addr).toString(), prefix, isRange: prefix < bits };
}

function absent(): { alreadyAbsent: boolean } {
  return { alreadyAbsent: true };
}

function expirationIso(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new ProviderError("defender", "bad_request", "ExpirationTime is not a valid date", { httpStatus: 400 });
  }
  return date.toISOString();
}

interface Indicator {
  id: string;
  actionId: string;
  value: string;
  title: string;
  expiresAt: number;
}

export class SimulatedDefenderIndicators implements FirewallProvider {
  private readonly indicators = new Map<string, Indicator>();
  /**
   * The newest indicator of each address. One is created only when every earlier one for the
   * address has expired, so it is the only one that can still be active: the duplicate check is a
   * lookup rather than a scan of up to 15,000 indicators per block.
   */
  private readonly latestByValue = new Map<string, Indicator>();
  // Real indicator ids are small increasing integers; start past zero so they do not look fake.
  private nextId = 4201;

  constructor(
    private readonly rt: SimRuntime,
    private readonly maxIndicators = SIM_MAX_INDICATORS,
  ) {}

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: true });
    const bad = (message: string) => new ProviderError("defender", "bad_request", message, { httpStatus: 400 });
    const parsed = parseAddress(request.address);
    if (!parsed) throw bad(`IndicatorValue '${request.address}' is not a valid IP address`);
    if (parsed.isRange) {
      throw bad(`IndicatorValue '${request.address}' is a CIDR range; IpAddress indicators take single addresses only`);
    }
    const range = ipaddr.parse(parsed.address).range();
    if (range !== "unicast") {
      throw bad(`IndicatorValue '${request.address}' is not a public address (${range}); only public IPs can be blocked`);
    }
    const expirationTime = expirationIso(request.expiresAt);
    const now = this.rt.now();
    const latest = this.latestByValue.get(parsed.address);
    const duplicate = latest && latest.expiresAt > now ? latest : undefined;
    if (duplicate) {
      throw new ProviderError(
        "defender",
        "conflict",
        `An active IpAddress indicator for '${parsed.address}' already exists (id ${duplicate.id})`,
        { httpStatus: 409 },
      );
    }
    if (this.indicators.size >= this.maxIndicators) {
      throw new ProviderError(
        "defender",
        "conflict",
        `The tenant has reached the maximum of ${this.maxIndicators} indicators`,
        { httpStatus: 409 },
      );
    }
    const id = String(this.nextId++);
    const indicator = {
      id,
      actionId: request.actionId,
      value: parsed.address,
      title: request.description,
      expiresAt: request.expiresAt.getTime(),
    };
    this.indicators.set(id, indicator);
    this.latestByValue.set(indicator.value, indicator);
    return { ref: id, details: { indicator_id: id, expiration_time: expirationTime } };
  }

  async unblock(tenantId: string, ref: string, _address?: string): Promise<{ alreadyAbsent: boolean }> {
    await this.rt.enter("defender", "defender.unblock", tenantId, { mutating: true });
    const indicator = this.indicators.get(ref);
    if (!indicator) return absent();
    this.indicators.delete(ref);
    if (this.latestByValue.get(indicator.value) === indicator) this.latestByValue.delete(indicator.value);
    return { alreadyAbsent: false };
  }

  async findBlock(tenantId: string, actionId: string): Promise<BlockResult | null> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: false });
    const own = [...this.indicators.values()].find((i) => i.actionId === actionId);
    return own ? { ref: own.id, details: { indicator_id: own.id, expiration_time: new Date(own.expiresAt).toISOString() } } : null;
  }

  /** Submit-or-update: the indicator keeps its id, with the new expiry. */
  async setExpiry(tenantId: string, ref: string, request: BlockRequest): Promise<void> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: true });
    const own = this.indicators.get(ref);
    if (!own || own.actionId !== request.actionId) {
      throw new ProviderError("defender", "conflict", `indicator ${ref} for ${request.address} no longer exists; nothing was changed`, {
        httpStatus: 409,
      });
    }
    own.expiresAt = new Date(expirationIso(request.expiresAt)).getTime();
  }
}

interface NsgRule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  sourceAddressPrefix: string;
  description: string;
}

const NSG_PRIORITY = { min: 100, max: 4096 } as const;
const NSG_NAME_MAX = 80;
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
      const used = new Set(others.map((r) => r.priority));
      let free: number | undefined;
      for (let p = this.range.min; p <= this.range.max && free === undefined; p++) {
        if (!used.has(p)) free = p;
      }
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

interface NaclEntry {
  ruleNumber: number;
  cidr: string;
  family: "ipv4" | "ipv6";
  ruleAction: "allow" | "deny";
}

const NACL_RULE_NUMBER = { min: 1, max: 32766 } as const;

export class SimulatedAwsNacl implements FirewallProvider {
  private readonly inbound: Map<number, NaclEntry>;

  constructor(
    private readonly rt: SimRuntime,
    private readonly range: NumberRange,
  ) {
    this.inbound = new Map(
      SIM_NACL.inbound.map((e) => [
        e.ruleNumber,
        { ...e, family: ipaddr.parseCIDR(e.cidr)[0].kind() },
      ]),
    );
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    await this.rt.enter("aws", "aws.block", tenantId, { mutating: true });
    const aclId = SIM_NACL.networkAclId;
    const conflict = (message: string) => new ProviderError("aws", "conflict", message, { httpStatus: 409 });
    const parsed = parseAddress(request.address);
    if (!parsed) {
      throw new ProviderError("aws", "bad_request", `InvalidParameterValue: '${request.address}' is not a valid CIDR block`, {
        httpStatus: 400,
      });
    }
    const network = ipaddr[parsed.family === "ipv4" ? "IPv4" : "IPv6"]
      .networkAddressFromCIDR(`${parsed.address}/${parsed.prefix}`)
      .toString();
    const cidr = `${network}/${parsed.prefix}`;
    const entries = [...this.inbound.values()];
    const same = entries.find((e) => e.ruleAction === "deny" && e.cidr === cidr);
    if (same) throw conflict(`${cidr} is already denied by rule ${same.ruleNumber} of ${aclId}`);
    const familyLabel = parsed.family === "ipv4" ? "IPv4" : "IPv6";
    if (entries.filter((e) => e.family === parsed.family).length >= SIM_NACL.maxEntriesPerFamily) {
      throw conflict(
        `NetworkAclEntryLimitExceeded: ${aclId} already has the maximum of ${SIM_NACL.maxEntriesPerFamily} inbound ${familyLabel} entries`,
      );
    }
    // Rule numbers are shared by both address families within a direction.
    let ruleNumber: number | undefined;
    const min = Math.max(this.range.min, NACL_RULE_NUMBER.min);
    const max = Math.min(this.range.max, NACL_RULE_NUMBER.max);
    for (let n = min; n <= max && ruleNumber === undefined; n++) {
      if (!this.inbound.has(n)) ruleNumber = n;
    }
    if (ruleNumber === undefined) {
      throw conflict(
        `NetworkAclEntryLimitExceeded: no free inbound rule number in ${this.range.min}-${this.range.max} on ${aclId}`,
      );
    }
    request.planned?.({ network_acl_id: aclId, rule_number: ruleNumber, cidr });
    this.inbound.set(ruleNumber, { ruleNumber, cidr, family: parsed.family, ruleAction: "deny" });
    return { ref: String(ruleNumber), details: { network_acl_id: aclId, rule_number: ruleNumber, cidr } };
  }

  async unblock(tenantId: string, ref: string, _address?: string): Promise<{ alreadyAbsent: boolean }> {
    await this.rt.enter("aws", "aws.unblock", tenantId, { mutating: true });
    if (!/^\d{1,5}$/.test(ref)) {
      throw new ProviderError("aws", "bad_request", `InvalidParameterValue: '${ref}' is not a rule number`, {
        httpStatus: 400,
      });
    }
    return this.inbound.delete(Number(ref)) ? { alreadyAbsent: false } : absent();
  }

  /** Its own entry: at the rule number the block recorded before writing it (see AwsNaclFirewall). */
  async findBlock(
    tenantId: string,
    _actionId: string,
    address: string,
    known: Record<string, unknown> | null,
  ): Promise<BlockResult | null> {
    await this.rt.enter("aws", "aws.block", tenantId, { mutating: false });
    const parsed = parseAddress(address);
    if (!parsed) return null;
    const cidr = `${parsed.address}/${parsed.prefix}`;
    const entry = this.inbound.get(Number(known?.rule_number));
    if (entry?.ruleAction !== "deny" || entry.cidr !== cidr) return null;
    return {
      ref: String(entry.ruleNumber),
      details: { network_acl_id: SIM_NACL.networkAclId, rule_number: entry.ruleNumber, cidr },
    };
  }

  async setExpiry(): Promise<void> {}
}
