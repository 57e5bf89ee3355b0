// The simulated AWS network ACL: inbound deny entries at a free rule number, with the limits of
// the real service, since those are what operators run into.
import ipaddr from "ipaddr.js";
import {
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { lowestFree, type NumberRange } from "@/lib/mdr/providers/numbers";
import { absent, parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_NACL } from "@/lib/mdr/providers/simulation/seed";
import { aws } from "./facts";

interface NaclEntry {
  ruleNumber: number;
  cidr: string;
  family: "ipv4" | "ipv6";
  ruleAction: "allow" | "deny";
}

const NACL_RULE_NUMBER = aws.rules.numbers;

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
    // AWS's quota counts the default deny entry (32767 / 32768) of each family.
    if (entries.filter((e) => e.family === parsed.family).length + 1 >= SIM_NACL.maxEntriesPerFamily) {
      throw conflict(
        `NetworkAclEntryLimitExceeded: ${aclId} already has the maximum of ${SIM_NACL.maxEntriesPerFamily} inbound ${familyLabel} entries`,
      );
    }
    // Rule numbers are shared by both address families within a direction.
    const within = { min: Math.max(this.range.min, NACL_RULE_NUMBER.min), max: Math.min(this.range.max, NACL_RULE_NUMBER.max) };
    const ruleNumber = lowestFree(within, this.inbound);
    if (ruleNumber === undefined) {
      throw conflict(
        `NetworkAclEntryLimitExceeded: no free inbound rule number in ${this.range.min}-${this.range.max} on ${aclId}`,
      );
    }
    request.planned?.({ network_acl_id: aclId, rule_number: ruleNumber, cidr });
    this.inbound.set(ruleNumber, { ruleNumber, cidr, family: parsed.family, ruleAction: "deny" });
    return { ref: String(ruleNumber), details: { network_acl_id: aclId, rule_number: ruleNumber, cidr } };
  }

  /** As the live adapter: the quota less the inbound IPv4 entries (and the default deny), within the free rule numbers. */
  async capacity(tenantId: string): Promise<FirewallCapacity> {
    await this.rt.enter("aws", "aws.block", tenantId, { mutating: false });
    const aclId = SIM_NACL.networkAclId;
    const entries = [...this.inbound.values()];
    const v4 = entries.filter((e) => e.family === "ipv4").length + 1;
    const v6 = entries.filter((e) => e.family === "ipv6").length + 1;
    let numbers = 0;
    for (let n = this.range.min; n <= this.range.max; n++) if (!this.inbound.has(n)) numbers++;
    const quota = SIM_NACL.maxEntriesPerFamily;
    const free = Math.max(0, Math.min(quota - v4, numbers));
    return {
      free,
      detail:
        `${free} more inbound entries fit in ${aclId}: it holds ${v4} of its ${quota} inbound IPv4 entries ` +
        `(the default deny included; AWS_NACL_RULES_QUOTA) and ${v6} of its ${quota} IPv6 ones, and ${numbers} rule numbers ` +
        `of ${this.range.min}-${this.range.max} are free (AWS_NACL_RULE_RANGE)`,
    };
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
  async findBlock(tenantId: string, _actionId: string, address: string, known: Record<string, unknown> | null): Promise<BlockResult | null> {
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
