// Amazon EC2's Query API (the "ec2Query" protocol of @aws-sdk/client-ec2), plain http on its
// own port: POST / with a form body Action=...&Version=2016-11-15&..., SigV4-signed.
// Supported: DescribeNetworkAcls, CreateNetworkAclEntry, DeleteNetworkAclEntry,
// ReplaceNetworkAclEntry. Answers are XML in the 2016-11-15 namespace; errors are
// <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
import ipaddr from "ipaddr.js";
import { type RequestContext, sendText } from "./http";
import { verifySigV4 } from "./sigv4";
import { EC2_BUCKETS } from "./throttle";
import type { AclEntryState, AclState } from "./types";

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const PROTOCOL_NUMBERS: Record<string, string> = { all: "-1", tcp: "6", udp: "17", icmp: "1", icmpv6: "58" };

export function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

export function ec2Error(ctx: RequestContext, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendText(ctx, status, ec2ErrorXml(code, message, ctx.requestId), "text/xml;charset=UTF-8", { "x-amzn-RequestId": ctx.requestId, ...headers });
}

function ok(ctx: RequestContext, action: string, inner: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}">\n    <requestId>${ctx.requestId}</requestId>\n${inner}\n</${action}Response>`;
  sendText(ctx, 200, xml, "text/xml;charset=UTF-8", { "x-amzn-RequestId": ctx.requestId });
}

/** Parameters from the form body, or the query string for GET-style calls. */
function params(ctx: RequestContext): Record<string, string> {
  if (ctx.body.kind === "form") return ctx.body.value;
  return Object.fromEntries(ctx.query);
}

function entryXml(e: AclEntryState): string {
  const parts = [
    `<ruleNumber>${e.ruleNumber}</ruleNumber>`,
    `<protocol>${xmlEscape(e.protocol)}</protocol>`,
    `<ruleAction>${e.ruleAction}</ruleAction>`,
    `<egress>${e.egress}</egress>`,
  ];
  if (e.cidrBlock !== undefined) parts.push(`<cidrBlock>${xmlEscape(e.cidrBlock)}</cidrBlock>`);
  if (e.ipv6CidrBlock !== undefined) parts.push(`<ipv6CidrBlock>${xmlEscape(e.ipv6CidrBlock)}</ipv6CidrBlock>`);
  if (e.icmpTypeCode) parts.push(`<icmpTypeCode><code>${e.icmpTypeCode.code}</code><type>${e.icmpTypeCode.type}</type></icmpTypeCode>`);
  if (e.portRange) parts.push(`<portRange><from>${e.portRange.from}</from><to>${e.portRange.to}</to></portRange>`);
  return `                <item>\n                    ${parts.join("\n                    ")}\n                </item>`;
}

function aclXml(a: AclState): string {
  const entries = [...a.entries].sort((x, y) => Number(y.egress) - Number(x.egress) || x.ruleNumber - y.ruleNumber);
  return [
    "        <item>",
    `            <networkAclId>${xmlEscape(a.networkAclId)}</networkAclId>`,
    `            <vpcId>${xmlEscape(a.vpcId)}</vpcId>`,
    `            <default>${a.isDefault}</default>`,
    `            <entrySet>\n${entries.map(entryXml).join("\n")}\n            </entrySet>`,
    "            <associationSet/>",
    "            <tagSet/>",
    `            <ownerId>${xmlEscape(a.ownerId)}</ownerId>`,
    "        </item>",
  ].join("\n");
}

/** Collects "Prefix.N" list parameters in N order. */
function list(p: Record<string, string>, prefix: string): string[] {
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.(\\d+)$`);
  return Object.entries(p)
    .map(([k, v]) => [re.exec(k)?.[1], v] as const)
    .filter((x): x is readonly [string, string] => x[0] !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

function filters(p: Record<string, string>): { name: string; values: string[] }[] {
  const out: { name: string; values: string[] }[] = [];
  for (const [k, v] of Object.entries(p)) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (m) out.push({ name: v, values: list(p, `Filter.${m[1]}.Value`) });
  }
  return out;
}

/** AWS filter values accept * and ? wildcards. */
function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return re.test(value);
}

const FILTERS: Record<string, (a: AclState) => string[]> = {
  "network-acl-id": (a) => [a.networkAclId],
  "vpc-id": (a) => [a.vpcId],
  default: (a) => [String(a.isDefault)],
  "owner-id": (a) => [a.ownerId],
  "entry.cidr": (a) => a.entries.flatMap((e) => (e.cidrBlock ? [e.cidrBlock] : [])),
  "entry.ipv6-cidr": (a) => a.entries.flatMap((e) => (e.ipv6CidrBlock ? [e.ipv6CidrBlock] : [])),
  "entry.rule-number": (a) => a.entries.map((e) => String(e.ruleNumber)),
  "entry.rule-action": (a) => a.entries.map((e) => e.ruleAction),
  "entry.egress": (a) => a.entries.map((e) => String(e.egress)),
  "entry.protocol": (a) => a.entries.map((e) => e.protocol),
};

function describe(ctx: RequestContext, p: Record<string, string>): void {
  const ids = list(p, "NetworkAclId");
  const acls = ctx.core.state.networkAcls;
  const missing = ids.filter((id) => !acls.has(id));
  if (missing.length > 0) {
    ec2Error(ctx, 400, "InvalidNetworkAclID.NotFound", `The networkAcl ID '${missing.join("', '")}' does not exist`);
    return;
  }
  let found = ids.length > 0 ? ids.map((id) => acls.get(id)).filter((a): a is AclState => a !== undefined) : [...acls.values()];
  for (const f of filters(p)) {
    const get = FILTERS[f.name];
    if (!get) {
      ec2Error(ctx, 400, "InvalidParameterValue", `The filter '${f.name}' is invalid`);
      return;
    }
    found = found.filter((a) => get(a).some((v) => f.values.some((pattern) => wildcard(pattern, v))));
  }
  ok(ctx, "DescribeNetworkAcls", `    <networkAclSet>\n${found.map(aclXml).join("\n")}\n    </networkAclSet>`);
}

function bool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value.toLowerCase() === "true") return true;
  if (value.toLowerCase() === "false") return false;
  return undefined;
}

/** Shared checks of Create/Replace/Delete: the ACL, the rule number, the direction. */
function target(ctx: RequestContext, p: Record<string, string>): { acl: AclState; ruleNumber: number; egress: boolean } | undefined {
  for (const name of ["NetworkAclId", "RuleNumber", "Egress"]) {
    if (p[name] === undefined) {
      ec2Error(ctx, 400, "MissingParameter", `The request must contain the parameter ${name.charAt(0).toLowerCase()}${name.slice(1)}`);
      return undefined;
    }
  }
  const acl = ctx.core.state.networkAcls.get(p.NetworkAclId ?? "");
  if (!acl) {
    ec2Error(ctx, 400, "InvalidNetworkAclID.NotFound", `The networkAcl ID '${p.NetworkAclId ?? ""}' does not exist`);
    return undefined;
  }
  const ruleNumber = Number(p.RuleNumber);
  if (!Number.isInteger(ruleNumber) || ruleNumber < 1 || ruleNumber > 32766) {
    ec2Error(ctx, 400, "InvalidParameterValue", `Invalid value '${p.RuleNumber ?? ""}' for ruleNumber. It must be an integer from 1 to 32766.`);
    return undefined;
  }
  const egress = bool(p.Egress);
  if (egress === undefined) {
    ec2Error(ctx, 400, "InvalidParameterValue", `Invalid value '${p.Egress ?? ""}' for egress. It must be true or false.`);
    return undefined;
  }
  return { acl, ruleNumber, egress };
}

/** Builds an entry from Create/Replace parameters; answers 400 and returns undefined when invalid. */
function entryFrom(ctx: RequestContext, p: Record<string, string>, ruleNumber: number, egress: boolean): AclEntryState | undefined {
  for (const name of ["Protocol", "RuleAction"]) {
    if (p[name] === undefined) {
      ec2Error(ctx, 400, "MissingParameter", `The request must contain the parameter ${name.charAt(0).toLowerCase()}${name.slice(1)}`);
      return undefined;
    }
  }
  const rawProtocol = (p.Protocol ?? "").toLowerCase();
  const protocol = PROTOCOL_NUMBERS[rawProtocol] ?? rawProtocol;
  if (!/^-1$|^\d{1,3}$/.test(protocol) || Number(protocol) > 255) {
    ec2Error(ctx, 400, "InvalidParameterValue", `Invalid value '${p.Protocol ?? ""}' for protocol.`);
    return undefined;
  }
  const ruleAction = (p.RuleAction ?? "").toLowerCase();
  if (ruleAction !== "allow" && ruleAction !== "deny") {
    ec2Error(ctx, 400, "InvalidParameterValue", `Invalid value '${p.RuleAction ?? ""}' for ruleAction. It must be allow or deny.`);
    return undefined;
  }
  const cidr = p.CidrBlock;
  const cidr6 = p.Ipv6CidrBlock;
  if ((cidr === undefined) === (cidr6 === undefined)) {
    ec2Error(ctx, 400, "InvalidParameterCombination", "Either cidrBlock or ipv6CidrBlock must be specified, but not both.");
    return undefined;
  }
  if (cidr !== undefined && !ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr)) {
    ec2Error(ctx, 400, "InvalidParameterValue", `Value (${cidr}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
    return undefined;
  }
  if (cidr6 !== undefined && !ipaddr.IPv6.isValidCIDR(cidr6)) {
    ec2Error(ctx, 400, "InvalidParameterValue", `Value (${cidr6}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
    return undefined;
  }
  const entry: AclEntryState = { ruleNumber, protocol, ruleAction, egress };
  if (cidr !== undefined) entry.cidrBlock = cidr;
  if (cidr6 !== undefined) entry.ipv6CidrBlock = cidr6;
  if (protocol === "6" || protocol === "17") {
    const from = Number(p["PortRange.From"]);
    const to = Number(p["PortRange.To"]);
    if (!Number.isInteger(from) || !Number.isInteger(to)) {
      ec2Error(ctx, 400, "MissingParameter", "The request must contain the parameter portRange");
      return undefined;
    }
    entry.portRange = { from, to };
  }
  if (protocol === "1" || protocol === "58") {
    const code = Number(p["Icmp.Code"]);
    const type = Number(p["Icmp.Type"]);
    if (!Number.isInteger(code) || !Number.isInteger(type)) {
      ec2Error(ctx, 400, "MissingParameter", "The request must contain the parameter icmpTypeCode");
      return undefined;
    }
    entry.icmpTypeCode = { code, type };
  }
  return entry;
}

function createEntry(ctx: RequestContext, p: Record<string, string>): void {
  const t = target(ctx, p);
  if (!t) return;
  const entry = entryFrom(ctx, p, t.ruleNumber, t.egress);
  if (!entry) return;
  if (t.acl.entries.some((e) => e.ruleNumber === t.ruleNumber && e.egress === t.egress)) {
    ec2Error(ctx, 400, "NetworkAclEntryAlreadyExists", `The network acl entry identified by ${t.ruleNumber} already exists.`);
    return;
  }
  // The quota counts entries per direction and address family, the default deny (32767 for IPv4,
  // 32768 for IPv6) included: "This quota includes the default deny rules" (amazon-vpc-limits.md).
  const v6 = entry.ipv6CidrBlock !== undefined;
  const used = t.acl.entries.filter((e) => e.egress === t.egress && (e.ipv6CidrBlock !== undefined) === v6).length;
  const limit = t.acl.entriesLimit ?? ctx.core.options.aws.entriesPerDirectionLimit;
  if (used >= limit) {
    ec2Error(ctx, 400, "NetworkAclEntryLimitExceeded", `The maximum number of rules per network ACL (${limit}) has been reached.`);
    return;
  }
  t.acl.entries.push(entry);
  ok(ctx, "CreateNetworkAclEntry", "    <return>true</return>");
}

function replaceEntry(ctx: RequestContext, p: Record<string, string>): void {
  const t = target(ctx, p);
  if (!t) return;
  const index = t.acl.entries.findIndex((e) => e.ruleNumber === t.ruleNumber && e.egress === t.egress);
  if (index < 0) {
    ec2Error(ctx, 400, "InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${t.ruleNumber} does not exist.`);
    return;
  }
  const entry = entryFrom(ctx, p, t.ruleNumber, t.egress);
  if (!entry) return;
  t.acl.entries[index] = entry;
  ok(ctx, "ReplaceNetworkAclEntry", "    <return>true</return>");
}

function deleteEntry(ctx: RequestContext, p: Record<string, string>): void {
  const t = target(ctx, p);
  if (!t) return;
  const index = t.acl.entries.findIndex((e) => e.ruleNumber === t.ruleNumber && e.egress === t.egress);
  if (index < 0) {
    ec2Error(ctx, 400, "InvalidNetworkAclEntry.NotFound", `The network acl entry identified by ${t.ruleNumber} does not exist.`);
    return;
  }
  t.acl.entries.splice(index, 1);
  ok(ctx, "DeleteNetworkAclEntry", "    <return>true</return>");
}

const MUTATING = new Set(["CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry"]);

export async function handleEc2(ctx: RequestContext): Promise<void> {
  if (ctx.method !== "POST" && ctx.method !== "GET") {
    ec2Error(ctx, 400, "InvalidAction", `The action ${ctx.method} is not valid for this web service.`);
    return;
  }
  const auth = ctx.record.auth;
  if (auth.kind !== "sigv4") {
    ec2Error(ctx, 401, "MissingAuthenticationToken", "Request is missing Authentication Token");
    return;
  }
  const { credentials, regions } = ctx.core.options.aws;
  const verified = await verifySigV4(ctx, credentials, regions);
  if (!verified.ok) {
    ec2Error(ctx, verified.status, verified.code, verified.message);
    return;
  }
  const p = params(ctx);
  const action = p.Action;
  if (!action) {
    ec2Error(ctx, 400, "MissingAction", "The request must contain the parameter Action");
    return;
  }
  // Request-rate throttling: a bucket per account (key), region and API.
  const bucket = MUTATING.has(action) ? EC2_BUCKETS.mutating : EC2_BUCKETS.nonMutating;
  if (ctx.core.throttle.bucket(`ec2|${auth.accessKeyId}|${auth.region}|${action}`, bucket)) {
    ec2Error(ctx, 503, "RequestLimitExceeded", "Request limit exceeded.");
    return;
  }
  if (bool(p.DryRun) === true) {
    ec2Error(ctx, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
    return;
  }
  switch (action) {
    case "DescribeNetworkAcls":
      return describe(ctx, p);
    case "CreateNetworkAclEntry":
      return createEntry(ctx, p);
    case "ReplaceNetworkAclEntry":
      return replaceEntry(ctx, p);
    case "DeleteNetworkAclEntry":
      return deleteEntry(ctx, p);
    default:
      ec2Error(ctx, 400, "InvalidAction", `The action ${action} is not valid for this web service.`);
  }
}
