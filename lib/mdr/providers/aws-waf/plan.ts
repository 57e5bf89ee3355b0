// What a batch does to one IP set, worked out from the set's addresses as read: the list to write
// back and each item's outcome. Shared by the live client and the simulated double, so both
// decide alike (which address is already there, what no longer fits, what an undo may remove).
import ipaddr from "ipaddr.js";
import type { FirewallCapacity } from "@/lib/mdr/providers/types";
import type { WafIpSetRef } from "./arn";
import { awsWaf } from "./facts";

export const ADDRESSES_PER_SET = awsWaf.rules.addressesPerSet;

/** One spelling per CIDR (IPv6 compressed, lower case), so "2001:DB8:0::1/128" is "2001:db8::1/128". */
export function cidrKey(cidr: string): string {
  const [addr = "", prefix = ""] = cidr.split("/");
  try {
    return `${ipaddr.parse(addr).toString()}/${prefix}`;
  } catch {
    return cidr.toLowerCase();
  }
}

export type AddOutcome = { cidr: string; alreadyPresent: boolean } | { full: true };

/**
 * Adds `cidrs` to a set holding `current`: those already there are left as they are (blocked, not
 * ours), the rest appended while the set has room (10,000 addresses); the others get `full`.
 * `write` is undefined when nothing changes (no UpdateIPSet needed).
 */
export function planAdd(
  current: readonly string[],
  cidrs: readonly string[],
  /** CIDRs an earlier attempt of this batch wrote: found there now, they are ours, not someone else's. */
  ours: ReadonlySet<string> = new Set(),
): { outcomes: AddOutcome[]; write: string[] | undefined } {
  const present = new Set(current.map(cidrKey));
  const added = new Set<string>();
  const write = [...current];
  const outcomes = cidrs.map((cidr): AddOutcome => {
    const key = cidrKey(cidr);
    if (present.has(key)) return { cidr, alreadyPresent: !ours.has(key) };
    if (added.has(key)) return { cidr, alreadyPresent: false };
    if (write.length >= ADDRESSES_PER_SET) return { full: true };
    added.add(key);
    write.push(cidr);
    return { cidr, alreadyPresent: false };
  });
  return { outcomes, write: added.size > 0 ? write : undefined };
}

/**
 * Removes from a set holding `current` each item's CIDR, unless the item's block found it there
 * already (`keep`: someone else's entry, left in place). `absent`: it was not there.
 */
export function planRemove(
  current: readonly string[],
  items: readonly { cidr: string; keep: boolean }[],
  /** CIDRs an earlier attempt of this batch removed: absent now, they were removed by us, not already gone. */
  removed: ReadonlySet<string> = new Set(),
): { outcomes: { alreadyAbsent: boolean }[]; write: string[] | undefined } {
  const present = new Set(current.map(cidrKey));
  const remove = new Set<string>();
  const outcomes = items.map((item) => {
    const key = cidrKey(item.cidr);
    if (!present.has(key)) return { alreadyAbsent: !removed.has(key) };
    if (!item.keep) remove.add(key);
    return { alreadyAbsent: false };
  });
  if (remove.size === 0) return { outcomes, write: undefined };
  return { outcomes, write: current.filter((a) => !remove.has(cidrKey(a))) };
}

/** The address family of an address or CIDR. */
export const familyOf = (address: string): "ipv4" | "ipv6" => (address.includes(":") ? "ipv6" : "ipv4");

/** The room left: the fuller set bounds a list (either family may be in it); the detail names each. */
export function capacityOf(sets: { ref: WafIpSetRef; family: "ipv4" | "ipv6"; count: number }[]): FirewallCapacity | null {
  if (sets.length === 0) return null;
  const free = sets.map((s) => ({ ...s, free: Math.max(0, ADDRESSES_PER_SET - s.count) }));
  const least = free.reduce((a, b) => (b.free < a.free ? b : a));
  return {
    free: least.free,
    detail: free
      .map((s) => `${s.free.toLocaleString("en-US")} of ${ADDRESSES_PER_SET.toLocaleString("en-US")} addresses of the ${s.family === "ipv4" ? "IPv4" : "IPv6"} IP set ${s.ref.name} are free`)
      .join("; "),
  };
}
