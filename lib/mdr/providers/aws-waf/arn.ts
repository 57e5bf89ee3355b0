// An AWS WAF v2 IP set named by its ARN: what every call needs (Name, Scope, Id) and the region the
// calls go to. Free of server code (lib/config.ts parses the settings with it).

export type WafScope = "REGIONAL" | "CLOUDFRONT";

export interface WafIpSetRef {
  arn: string;
  name: string;
  id: string;
  scope: WafScope;
  /** Where the calls go: the ARN's region, or us-east-1 for a CLOUDFRONT (global) set. */
  region: string;
  account: string;
}

// arn:<partition>:wafv2:<region>:<account>:<regional|global>/ipset/<name>/<id> (WAF's IPSet.ARN;
// names are 1-128 of [A-Za-z0-9_-], ids 1-36 of [a-f0-9-], as the API reference's patterns say).
const ARN = /^arn:(aws|aws-us-gov|aws-cn):wafv2:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):(regional|global)\/ipset\/([\w-]{1,128})\/([a-f0-9-]{1,36})$/;

/** CLOUDFRONT sets live in US East (N. Virginia): "For all calls, use the Region endpoint us-east-1". */
export const CLOUDFRONT_REGION = "us-east-1";

/** The IP set an ARN names, or a sentence saying why it is not one. */
export function parseWafIpSetArn(arn: string): WafIpSetRef | string {
  const m = ARN.exec(arn.trim());
  if (!m) return "must be a WAF v2 IP set ARN: arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id> (or global/... for CloudFront)";
  const [, , region = "", account = "", kind = "", name = "", id = ""] = m;
  const scope: WafScope = kind === "global" ? "CLOUDFRONT" : "REGIONAL";
  if (scope === "CLOUDFRONT" && region !== CLOUDFRONT_REGION) {
    return `a global (CLOUDFRONT) IP set lives in ${CLOUDFRONT_REGION}, not ${region}`;
  }
  return { arn: arn.trim(), name, id, scope, region: scope === "CLOUDFRONT" ? CLOUDFRONT_REGION : region, account };
}

/** The CIDR an address is written as in an IP set: /32 for one IPv4 address, /128 for IPv6, a range as given. */
export function wafCidr(address: string): string {
  return address.includes("/") ? address : `${address}/${address.includes(":") ? 128 : 32}`;
}

/** A block's ref: the set's ARN and the CIDR, and whether the set held the CIDR before the block (then it is left there). */
export function wafRef(arn: string, cidr: string, alreadyPresent: boolean): string {
  return `${arn}#${cidr}${alreadyPresent ? "#already-present" : ""}`;
}

export function parseWafRef(ref: string): { arn: string; cidr: string; alreadyPresent: boolean } | undefined {
  const [arn = "", cidr = "", flag, ...rest] = ref.split("#");
  if (!arn || !cidr || rest.length > 0 || (flag !== undefined && flag !== "already-present")) return undefined;
  if (typeof parseWafIpSetArn(arn) === "string") return undefined;
  return { arn, cidr, alreadyPresent: flag === "already-present" };
}
