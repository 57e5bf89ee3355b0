// What the simulated firewalls (Defender indicators, the Azure NSG, the AWS network ACL) share:
// a strict address parse and the answer of a removal that found nothing.
import ipaddr from "ipaddr.js";

export interface Address {
  family: "ipv4" | "ipv6";
  /** Normalised address without prefix. */
  address: string;
  prefix: number;
  isRange: boolean;
}

/** Strict parse: dotted-quad IPv4 or IPv6, optionally with a prefix; undefined when not one. */
export function parseAddress(raw: string): Address | undefined {
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

export function absent(): { alreadyAbsent: boolean } {
  return { alreadyAbsent: true };
}
