// The simulated AWS WAF: two IP sets (IPv4 and IPv6) in the simulated account, with the real
// service's bounds (10,000 addresses a set, one family a set). One simulated call per set a batch
// touches, as the live client makes one GetIPSet + UpdateIPSet per set.
import {
  type BatchOutcome,
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_WAF } from "@/lib/mdr/providers/simulation/seed";
import { parseWafIpSetArn, parseWafRef, type WafIpSetRef, wafCidr, wafRef } from "./arn";
import { awsWaf } from "./facts";
import { ADDRESSES_PER_SET, capacityOf, cidrKey, planAdd, planRemove } from "./plan";

interface SimSet {
  ref: WafIpSetRef;
  family: "ipv4" | "ipv6";
  addresses: string[];
}

export class SimulatedAwsWaf implements FirewallProvider {
  readonly batchSize = awsWaf.rules.batchSize;
  private readonly sets: Record<"ipv4" | "ipv6", SimSet>;

  constructor(private readonly rt: SimRuntime) {
    const make = (family: "ipv4" | "ipv6"): SimSet => ({
      ref: parseWafIpSetArn(SIM_WAF[family].arn) as WafIpSetRef,
      family,
      addresses: [...SIM_WAF[family].addresses],
    });
    this.sets = { ipv4: make("ipv4"), ipv6: make("ipv6") };
  }

  /** The addresses of a set, as a test or the page might inspect them. */
  addresses(family: "ipv4" | "ipv6"): readonly string[] {
    return this.sets[family].addresses;
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    const [outcome] = await this.blockMany(tenantId, [request]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    const outcomes: BatchOutcome<BlockResult>[] = new Array(requests.length);
    const byFamily: Record<"ipv4" | "ipv6", number[]> = { ipv4: [], ipv6: [] };
    requests.forEach((r, i) => {
      const parsed = parseAddress(r.address);
      if (!parsed) {
        outcomes[i] = { ok: false, error: invalid(r.address) };
        return;
      }
      byFamily[parsed.family].push(i);
    });
    for (const family of ["ipv4", "ipv6"] as const) {
      const indexes = byFamily[family];
      if (indexes.length === 0) continue;
      // One GetIPSet + UpdateIPSet per set: one turn at the gate for the whole set's share.
      await this.rt.enter("aws_waf", "aws_waf.block", tenantId, { mutating: true });
      const set = this.sets[family];
      const plan = planAdd(set.addresses, indexes.map((i) => wafCidr(requests[i]!.address)));
      plan.outcomes.forEach((o, k) => {
        const request = requests[indexes[k]!]!;
        if ("full" in o) {
          outcomes[indexes[k]!] = { ok: false, error: full(set) };
          return;
        }
        request.planned?.({ ip_set_arn: set.ref.arn, cidr: o.cidr, already_present: o.alreadyPresent ? 1 : 0 });
        outcomes[indexes[k]!] = { ok: true, value: blocked(set, o.cidr, o.alreadyPresent) };
      });
      if (plan.write) set.addresses = plan.write;
    }
    return outcomes;
  }

  async unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }> {
    const [outcome] = await this.unblockMany(tenantId, [{ ref, address }]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    const outcomes: BatchOutcome<{ alreadyAbsent: boolean }>[] = new Array(items.length);
    const bySet = new Map<SimSet, { index: number; cidr: string; keep: boolean }[]>();
    items.forEach((item, index) => {
      const ref = parseWafRef(item.ref);
      const set = ref && Object.values(this.sets).find((s) => s.ref.arn === ref.arn);
      if (!ref || !set) {
        outcomes[index] = { ok: false, error: new ProviderError("aws_waf", "bad_request", `WAFInvalidParameterException: '${item.ref}' names no IP set of the account`, { httpStatus: 400 }) };
        return;
      }
      bySet.set(set, [...(bySet.get(set) ?? []), { index, cidr: ref.cidr, keep: ref.alreadyPresent }]);
    });
    for (const [set, list] of bySet) {
      await this.rt.enter("aws_waf", "aws_waf.unblock", tenantId, { mutating: true });
      const plan = planRemove(set.addresses, list);
      plan.outcomes.forEach((o, k) => (outcomes[list[k]!.index] = { ok: true, value: o }));
      if (plan.write) set.addresses = plan.write;
    }
    return outcomes;
  }

  async capacity(tenantId: string): Promise<FirewallCapacity | null> {
    await this.rt.enter("aws_waf", "aws_waf.block", tenantId, { mutating: false });
    return capacityOf(Object.values(this.sets).map((s) => ({ ref: s.ref, family: s.family, count: s.addresses.length })));
  }

  /** The block's CIDR in the set it recorded before writing (see AwsWafFirewall.findBlock). */
  async findBlock(tenantId: string, _actionId: string, address: string, known: Record<string, unknown> | null): Promise<BlockResult | null> {
    await this.rt.enter("aws_waf", "aws_waf.block", tenantId, { mutating: false });
    const set = Object.values(this.sets).find((s) => s.ref.arn === known?.ip_set_arn);
    if (!set) return null;
    const cidr = wafCidr(address);
    if (!set.addresses.some((a) => cidrKey(a) === cidrKey(cidr))) return null;
    return blocked(set, cidr, Boolean(known?.already_present));
  }

  async setExpiry(): Promise<void> {}
}

function blocked(set: { ref: WafIpSetRef }, cidr: string, alreadyPresent: boolean): BlockResult {
  return {
    ref: wafRef(set.ref.arn, cidr, alreadyPresent),
    details: { ip_set_arn: set.ref.arn, ip_set: set.ref.name, cidr, already_present: alreadyPresent },
  };
}

function invalid(address: string): ProviderError {
  return new ProviderError("aws_waf", "bad_request", `WAFInvalidParameterException: '${address}' is not an IP address in CIDR notation`, { httpStatus: 400 });
}

function full(set: { ref: WafIpSetRef }): ProviderError {
  return new ProviderError(
    "aws_waf",
    "conflict",
    `WAFLimitsExceededException: the IP set ${set.ref.name} holds the most addresses an IP set may (${ADDRESSES_PER_SET.toLocaleString("en-US")})`,
    { httpStatus: 409 },
  );
}
