// Names of the security rules MDR writes, and how a batch of addresses is cut into rules: shared by
// the live adapter and its simulated double.
import { parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { BlockRequest } from "@/lib/mdr/providers/types";
import { azureNsg } from "./facts";

/** The rule a single block creates is named after its action, so it can be found and removed exactly. */
export function nsgRuleName(actionId: string): string {
  return `mdr-block-${actionId}`.slice(0, azureNsg.rules.nameMax);
}

/** The n-th rule of a bulk whose first action is `actionId` (`mdr-bulk-<id>-<n>`). */
export function nsgBulkRuleName(actionId: string, n: number): string {
  const suffix = `-${n}`;
  return `mdr-bulk-${actionId}`.slice(0, azureNsg.rules.nameMax - suffix.length) + suffix;
}

/**
 * How a batch of blocks is written: each address family's addresses in rules of up to
 * `prefixesPerRule`, an address with an explicit priority a rule of its own, and the requests
 * refused on their own (not an address, or listed twice).
 */
export function planNsgBatch(requests: BlockRequest[]): {
  refused: { index: number; kind: "bad_request" | "conflict"; message: string }[];
  single: number[];
  chunks: number[][];
} {
  const perRule = azureNsg.rules.prefixesPerRule;
  const refused: { index: number; kind: "bad_request" | "conflict"; message: string }[] = [];
  const families: Record<"ipv4" | "ipv6", number[]> = { ipv4: [], ipv6: [] };
  const single: number[] = [];
  const seen = new Map<string, number>();
  requests.forEach((r, i) => {
    const parsed = parseAddress(r.address);
    if (!parsed) return refused.push({ index: i, kind: "bad_request", message: `'${r.address}' is not an IP address or CIDR range` });
    const key = parsed.isRange ? `${parsed.address}/${parsed.prefix}` : parsed.address;
    const first = seen.get(key);
    if (first !== undefined) {
      return refused.push({ index: i, kind: "conflict", message: `${r.address} is listed twice in this batch (with ${requests[first]!.actionId})` });
    }
    seen.set(key, i);
    // An explicit priority is a rule of its own.
    if (r.priority !== undefined) single.push(i);
    else families[parsed.family].push(i);
  });
  const chunks: number[][] = [];
  for (const list of [families.ipv4, families.ipv6]) {
    for (let at = 0; at < list.length; at += perRule) chunks.push(list.slice(at, at + perRule));
  }
  return { refused, single, chunks };
}
