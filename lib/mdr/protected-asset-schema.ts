// The request schema of a protected asset rule, free of server imports: the route validates
// with it and the admin page's form checks the same rules before sending.
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { PROTECTED_ASSET_KINDS } from "@/lib/mdr/enums";

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

/** The range normalised to its network (`10.1.2.3/8` -> `10.0.0.0/8`); undefined if not one. */
function canonicalRange(value: string): string | undefined {
  const r = parseRange(value);
  if (!r) return undefined;
  const [addr, bits] = r;
  const network =
    addr.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
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
    note: z.string().trim().max(500).nullish(),
  })
  .transform((v, ctx) => {
    let pattern: string | undefined = v.pattern;
    if (v.kind === "hostname" && !HOSTNAME_PATTERN.test(v.pattern)) pattern = undefined;
    if (v.kind === "upn" && !UPN_PATTERN.test(v.pattern)) pattern = undefined;
    if (v.kind === "ip_range") pattern = canonicalRange(v.pattern);
    if (pattern === undefined) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: `must be ${PROTECTED_ASSET_PATTERN_HINTS[v.kind]}` });
      return z.NEVER;
    }
    return { kind: v.kind, pattern: v.kind === "ip_range" ? pattern : pattern.toLowerCase(), note: v.note ?? null };
  });
export type ProtectedAssetInput = z.output<typeof ProtectedAssetInput>;
