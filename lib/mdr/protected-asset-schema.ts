// The request schema of a protected asset rule, free of server imports: the route validates
// with it and the admin page's form checks the same rules before sending.
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { PROTECTED_ASSET_KINDS } from "@/lib/mdr/enums";
import { parseAddress } from "@/lib/mdr/schemas";
import { safeText } from "@/lib/text";

const HOSTNAME_PATTERN = /^[A-Za-z0-9*?][A-Za-z0-9*?._-]{0,252}$/;
const UPN_PATTERN = /^[A-Za-z0-9*?._%+'-]+@[A-Za-z0-9*?.-]+$/;

/** The network an address or CIDR denotes; undefined if not one. */
export function parseRange(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  try {
    if (value.includes("/")) {
      const [addr, bits] = ipaddr.parseCIDR(value);
      return [addr, bits];
    }
    const addr = ipaddr.parse(value);
    return [addr, addr.kind() === "ipv4" ? 32 : 128];
  } catch {
    return undefined;
  }
}

const FOUR_NUMBERS_RE = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;

/**
 * What a loosely written IPv4 address was probably meant as, where that is obvious: `010.0.0.1`
 * is 10.0.0.1 to a person but 8.0.0.1 to inet_aton (octal), so the message names both readings.
 */
function looseIpv4Hint(addr: string): string {
  const m = FOUR_NUMBERS_RE.exec(addr);
  if (m && m.slice(1).every((p) => Number(p) <= 255)) {
    const decimal = m.slice(1).map(Number).join(".");
    if (decimal !== addr) return `: write it without leading zeros, e.g. ${decimal} (leading zeros are read as octal by some tools)`;
  }
  if (/^(?:\d+|0x[0-9a-f]+)(?:\.(?:\d+|0x[0-9a-f]+)){0,3}$/i.test(addr)) {
    return ": write an IPv4 address as four decimal numbers, a.b.c.d (no short, octal or hex forms)";
  }
  return "";
}

/**
 * The range written strictly (as block-ip reads addresses: four decimal parts without leading
 * zeros, no short or hex forms, a decimal prefix), normalised to its network (`10.1.2.3/8` ->
 * `10.0.0.0/8`); else the message saying what is wrong.
 */
function canonicalRange(value: string): { range: string } | { message: string } {
  const [addr = "", prefixText, ...rest] = value.split("/");
  const hint = `must be ${PROTECTED_ASSET_PATTERN_HINTS.ip_range}`;
  if (rest.length > 0) return { message: hint };
  const parsed = parseAddress(addr);
  if (typeof parsed === "string") {
    // The address alone: a mapped IPv6 address says what was meant.
    return { message: parsed.startsWith("is ") ? parsed : `${hint}${looseIpv4Hint(addr)}` };
  }
  const bits = parsed.family === "ipv4" ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) return { message: hint };
    prefix = Number(prefixText);
  }
  const network =
    parsed.family === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.value}/${prefix}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.value}/${prefix}`);
  return { range: `${network.toString()}/${prefix}` };
}

/** What each kind of pattern must look like, in the words of the field error. */
export const PROTECTED_ASSET_PATTERN_HINTS = {
  hostname: "a device name pattern like DC-* or *.corp.contoso.com",
  upn: "a UPN or UPN pattern like breakglass@contoso.com or *-admin@contoso.com",
  ip_range: "an address or CIDR range like 10.0.0.0/8",
} as const;

export const ProtectedAssetInput = z
  .strictObject({
    kind: z.enum(PROTECTED_ASSET_KINDS),
    pattern: z.string().trim().min(1).max(253),
    note: safeText(z.string().trim().max(500)).nullish(),
  })
  .transform((v, ctx) => {
    let pattern: string | undefined = v.pattern;
    let message = `must be ${PROTECTED_ASSET_PATTERN_HINTS[v.kind]}`;
    if (v.kind === "hostname" && !HOSTNAME_PATTERN.test(v.pattern)) pattern = undefined;
    if (v.kind === "upn" && !UPN_PATTERN.test(v.pattern)) pattern = undefined;
    if (v.kind === "ip_range") {
      const r = canonicalRange(v.pattern);
      if ("range" in r) pattern = r.range;
      else [pattern, message] = [undefined, r.message];
    }
    if (pattern === undefined) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message });
      return z.NEVER;
    }
    return { kind: v.kind, pattern: v.kind === "ip_range" ? pattern : pattern.toLowerCase(), note: v.note ?? null };
  });
export type ProtectedAssetInput = z.output<typeof ProtectedAssetInput>;
