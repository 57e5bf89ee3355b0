// Request and response schemas: one per request, shared by the route handlers, the page's
// forms and the OpenAPI document. Unknown fields are errors: a typo must never fall back
// to a default.
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { ACTION_STATUSES, ACTION_TYPES, QUARANTINE_ACTIONS } from "@/lib/mdr/enums";
import { FIREWALL_TYPES, firewallFacts, perService, PROVIDERS, type Service } from "@/lib/mdr/providers/facts";
import { ISOLATION_TYPES } from "@/lib/mdr/providers/types";
import { safeText } from "@/lib/text";

const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const HOSTNAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/** The last label is all digits: `10.1.2.3` or `123` (RFC 1123 2.1: a hostname never looks like dotted decimal). */
const NUMERIC_LAST_LABEL_RE = /(?:^|\.)\d+\.?$/;

// Each check aborts, so one bad value gets one message, not "must not be empty" and "must be a DNS name" together.
export const Hostname = z
  .string()
  .trim()
  .min(1, { error: "must not be empty", abort: true })
  .max(255, { error: "must be at most 255 characters", abort: true })
  .regex(HOSTNAME_RE, {
    error: "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63",
    abort: true,
  })
  .refine((h) => !NUMERIC_LAST_LABEL_RE.test(h), "must be a hostname, not an IP address or a number")
  .transform((h) => h.replace(/\.$/, "").toLowerCase());

/** A Defender for Endpoint machine id: 40 hexadecimal characters. */
export const MachineId = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{40}$/, "must be a Defender machine id (40 hexadecimal characters)")
  .transform((id) => id.toLowerCase());

/**
 * Why an action was asked for: one line of at most 1000 characters, without control or bidi
 * formatting characters (it goes into timelines, provider comments and logs as it is).
 */
export const Reason = safeText(z.string().trim().max(1000, "must be at most 1000 characters"))
  .transform((r) => (r === "" ? null : r))
  .nullish()
  .transform((r) => r ?? null);

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DOMAIN_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})+$`);

/** An Entra tenant: its GUID or a verified domain. Whether it is configured is checked at run time. */
export const TenantId = z
  .string()
  .trim()
  .max(255, { error: "must be at most 255 characters", abort: true })
  .refine((t) => GUID_RE.test(t) || DOMAIN_RE.test(t), "must be a tenant GUID or domain name")
  .transform((t) => t.toLowerCase())
  .optional();

// Entra ID's UPN rules: A-Z a-z 0-9 ' . - _ ! # ^ ~ before the @ (so guests, `x_fabrikam.com#EXT#@contoso.com`,
// are valid), no leading, trailing or doubled dot; after it a DNS domain whose top-level label starts with a letter.
const UPN_LOCAL = "[A-Za-z0-9'_!#^~-]+(?:\\.[A-Za-z0-9'_!#^~-]+)*";
const UPN_DOMAIN = `(?:${LABEL}\\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])`;
const UPN_RE = new RegExp(`^${UPN_LOCAL}@${UPN_DOMAIN}$`);

/** A user principal name, e.g. user@contoso.com or a guest's x_fabrikam.com#EXT#@contoso.onmicrosoft.com. */
export const Upn = z
  .string()
  .trim()
  .max(256, { error: "must be at most 256 characters", abort: true })
  .regex(UPN_RE, "must be a user principal name like user@contoso.com")
  .transform((u) => u.toLowerCase());

/** The most targets one bulk request may name. */
export const MAX_BULK = 500;

/** Refuses a value that repeats an earlier one of the list, naming both positions. */
function refuseRepeats(ctx: z.RefinementCtx, field: string, values: string[]): void {
  const first = new Map<string, number>();
  values.forEach((value, i) => {
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else ctx.addIssue({ code: "custom", path: [field, i], message: `repeats ${field}.${earlier} (${value}); each target once` });
  });
}

const bulkList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .min(1, { error: "must name at least one target", abort: true })
    .max(MAX_BULK, { error: `must name at most ${MAX_BULK} targets; split the list`, abort: true });

export const IsolateRequest = z
  .strictObject({
    hostname: Hostname.optional(),
    machine_id: MachineId.optional(),
    isolation_type: z.enum(ISOLATION_TYPES).default("Full"),
    reason: Reason,
    tenant_id: TenantId,
  })
  .superRefine((v, ctx) => {
    if (v.hostname === undefined && v.machine_id === undefined) {
      ctx.addIssue({ code: "custom", path: ["hostname"], message: "is required unless machine_id is given" });
    }
  });
export type IsolateRequest = z.infer<typeof IsolateRequest>;

/** POST /isolate with `hostnames`: one isolation per host, all of the same type. */
export const BulkIsolateRequest = z
  .strictObject({
    hostnames: bulkList(Hostname),
    isolation_type: z.enum(ISOLATION_TYPES).default("Full"),
    reason: Reason,
    tenant_id: TenantId,
  })
  .superRefine((v, ctx) => refuseRepeats(ctx, "hostnames", v.hostnames));
export type BulkIsolateRequest = z.infer<typeof BulkIsolateRequest>;

/** The longest a block may last, from now: what duration_hours allows a new block. */
export const MAX_BLOCK_HOURS = 8760;

const V4_MIN_PREFIX = 8;
const V6_MIN_PREFIX = 32;
/** Address kinds no firewall rule should name: a typo, never an attacker. */
const NEVER_BLOCK = new Set(["unspecified", "loopback", "multicast", "broadcast"]);
/** IPv6 global unicast (RFC 4291); ipaddr.js calls anything it has no name for "unicast", even ::/8. */
const V6_GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

/** "a loopback address", "an unspecified address", "an ipv4Mapped address", "an rfc6052 address". */
const aRange = (range: string) => `${/^(?:[aeio]|un(?!i)|rfc)/i.test(range) ? "an" : "a"} ${range}`;

export interface ParsedAddress {
  /** Normalised: `203.0.113.7`, `2001:db8::1`, `198.51.100.0/24`. */
  value: string;
  family: "ipv4" | "ipv6";
  prefix: number;
  isRange: boolean;
  /** ipaddr.js's name for the range of the (first) address; IPv6 outside 2000::/3 is "reserved". */
  range: string;
}

// Built once, not on every address parsed.
const IPV4 = z.ipv4();
const IPV6 = z.ipv6();

/** Parses a strictly written address or CIDR; returns a message when it is not one. */
export function parseAddress(raw: string): ParsedAddress | string {
  const [addr = "", prefixText, ...rest] = raw.split("/");
  const v4 = IPV4.safeParse(addr).success;
  const v6 = !v4 && IPV6.safeParse(addr).success;
  if (rest.length > 0 || (!v4 && !v6)) return "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24";
  const family = v4 ? "ipv4" : "ipv6";
  const bits = v4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    // Decimal without leading zeros, like the address itself: `/08` is refused, not read as 8.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return `has an invalid prefix length: /${prefixText} (${family === "ipv4" ? "0-32" : "0-128"})`;
    }
    prefix = Number(prefixText);
  }
  const parsed = ipaddr.parse(addr);
  // ::ffff:a.b.c.d is IPv4 in disguise (and ipaddr.js reads the deprecated ::a.b.c.d as it too): as IPv6 it would
  // escape the IPv4 checks below (::ffff:127.0.0.1, ::ffff:0:0/96) and match no IPv4 traffic. Ask for the IPv4 form.
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress() && prefix >= 96) {
    const asV4 = parsed.toIPv4Address().toString();
    return `is an IPv4-mapped IPv6 address: did you mean ${prefix === 128 ? asV4 : `${asV4}/${prefix - 96}`}?`;
  }
  const address = parsed.toString();
  const isRange = prefix < bits;
  if (isRange) {
    const networkAddress = (v4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${address}/${prefix}`).toString();
    if (networkAddress !== address) return `has host bits set: did you mean ${networkAddress}/${prefix}?`;
  }
  let range = parsed.range();
  if (parsed instanceof ipaddr.IPv6 && range === "unicast" && !parsed.match(V6_GLOBAL_UNICAST)) range = "reserved";
  return {
    value: isRange ? `${address}/${prefix}` : address,
    family,
    prefix,
    isRange,
    range,
  };
}

/** An address or range any firewall may block; which firewall may block it is checked with firewall_type. */
const BlockableAddress = z
  .string()
  .trim()
  .min(1, { error: "must not be empty", abort: true })
  .max(64, { error: "must be at most 64 characters", abort: true })
  .transform((raw, ctx) => {
    const address = parseAddress(raw);
    if (typeof address === "string") {
      ctx.addIssue({ code: "custom", message: address });
      return z.NEVER;
    }
    const minPrefix = address.family === "ipv4" ? V4_MIN_PREFIX : V6_MIN_PREFIX;
    if (address.prefix < minPrefix) {
      ctx.addIssue({
        code: "custom",
        message: `/${address.prefix} is too wide to block: ${address.family === "ipv4" ? "IPv4" : "IPv6"} ranges must be /${minPrefix} or narrower`,
      });
      return z.NEVER;
    }
    if (NEVER_BLOCK.has(address.range)) {
      ctx.addIssue({ code: "custom", message: `is ${aRange(address.range)} address, which cannot be blocked` });
      return z.NEVER;
    }
    return address;
  });

/** Why this firewall cannot block the address, or null when it can. */
function refusedBy(firewall: (typeof FIREWALL_TYPES)[number], address: ParsedAddress): string | null {
  if (firewall !== "defender") return null;
  if (address.isRange) return "Defender indicators take single addresses only; use azure_nsg, aws_sg or aws_waf for a range";
  if (address.range !== "unicast") {
    return `is ${aRange(address.range)} address; Defender indicators block public addresses only`;
  }
  return null;
}

/** firewall_type, each value described from its facts (the OpenAPI document shows it). */
const FirewallTypeField = z
  .enum(FIREWALL_TYPES)
  .default("defender")
  .describe(
    FIREWALL_TYPES.map((t) => {
      const f = firewallFacts(t);
      return `- \`${t}\`: ${f.label}. ${f.choice.description}${f.permissions ? ` (needs ${f.permissions})` : ""}`;
    }).join("\n"),
  );

// The address is checked on its own (so its error is reported with the other fields'); what depends on
// firewall_type is checked once every field is valid.
export const BlockIpRequest = z
  .strictObject({
    ip: BlockableAddress,
    firewall_type: FirewallTypeField,
    reason: Reason,
    priority: z
      .number()
      .int("must be a whole number")
      .min(100, "must be between 100 and 4096")
      .max(4096, "must be between 100 and 4096")
      .optional(),
    duration_hours: z
      .number()
      .gt(0, "must be greater than 0")
      .max(MAX_BLOCK_HOURS, "must be at most 8760 (one year)")
      .default(24),
    tenant_id: TenantId,
  })
  .transform((v, ctx) => {
    const address = v.ip;
    const refused = refusedBy(v.firewall_type, address);
    if (refused) {
      ctx.addIssue({ code: "custom", path: ["ip"], message: refused });
      return z.NEVER;
    }
    if (v.priority !== undefined && v.firewall_type !== "azure_nsg") {
      ctx.addIssue({ code: "custom", path: ["priority"], message: "applies to firewall_type azure_nsg only" });
      return z.NEVER;
    }
    return { ...v, ip: address.value, address };
  });
export type BlockIpRequest = z.infer<typeof BlockIpRequest>;

/** POST /block-ip with `ips`: one block per address, all with the same settings. */
export const BulkBlockIpRequest = z
  .strictObject({
    ips: bulkList(BlockableAddress),
    firewall_type: FirewallTypeField,
    reason: Reason,
    duration_hours: z
      .number()
      .gt(0, "must be greater than 0")
      .max(MAX_BLOCK_HOURS, "must be at most 8760 (one year)")
      .default(24),
    tenant_id: TenantId,
  })
  .superRefine((v, ctx) => {
    v.ips.forEach((address, i) => {
      const refused = refusedBy(v.firewall_type, address);
      if (refused) ctx.addIssue({ code: "custom", path: ["ips", i], message: refused });
    });
    refuseRepeats(ctx, "ips", v.ips.map((a) => a.value));
  });
export type BulkBlockIpRequest = z.infer<typeof BulkBlockIpRequest>;

export const DisableUserRequest = z.strictObject({
  upn: Upn,
  reason: Reason,
  revoke_sessions: z.boolean().default(true),
  tenant_id: TenantId,
});
export type DisableUserRequest = z.infer<typeof DisableUserRequest>;

/** POST /disable-user with `upns`: one disable per account, all with the same settings. */
export const BulkDisableUserRequest = z
  .strictObject({
    upns: bulkList(Upn),
    reason: Reason,
    revoke_sessions: z.boolean().default(true),
    tenant_id: TenantId,
  })
  .superRefine((v, ctx) => refuseRepeats(ctx, "upns", v.upns));
export type BulkDisableUserRequest = z.infer<typeof BulkDisableUserRequest>;

// RFC 5322 3.6.4 msg-id: "<" id-left "@" id-right ">", each made of atext and dots (where the dots fall is not
// checked: some mailers double them), or a domain literal on the right. No quotes, backslashes, parentheses,
// commas, colons, semicolons, spaces, control or non-ASCII characters. An apostrophe is atext: providers must escape it.
const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
const RFC5322_MSG_ID = new RegExp(`^<[.${ATEXT}]+@(?:[.${ATEXT}]+|\\[[!-Z^-~]*\\])>$`);
const GRAPH_MESSAGE_ID = /^[A-Za-z0-9+/_=-]{16,512}$/;

export { QUARANTINE_ACTIONS };

export const QuarantineEmailRequest = z.strictObject({
  message_id: z
    .string()
    .trim()
    .max(998, { error: "must be at most 998 characters", abort: true })
    .refine(
      (m) => RFC5322_MSG_ID.test(m) || GRAPH_MESSAGE_ID.test(m),
      "must be an RFC 5322 Message-ID such as <abc@host> or a provider message id",
    ),
  user_principal_name: Upn,
  action: z.enum(QUARANTINE_ACTIONS).default("softDelete"),
  reason: Reason,
  tenant_id: TenantId,
});
export type QuarantineEmailRequest = z.infer<typeof QuarantineEmailRequest>;

/** POST /quarantine-email with `upns`: one message pulled out of many mailboxes, one action per mailbox. */
export const BulkQuarantineEmailRequest = z
  .strictObject({
    message_id: QuarantineEmailRequest.shape.message_id,
    upns: bulkList(Upn),
    action: QuarantineEmailRequest.shape.action,
    reason: Reason,
    tenant_id: TenantId,
  })
  .superRefine((v, ctx) => refuseRepeats(ctx, "upns", v.upns));
export type BulkQuarantineEmailRequest = z.infer<typeof BulkQuarantineEmailRequest>;

// act_ + a ULID: 26 Crockford base-32 characters, the first 0-7 (a 48-bit time).
/** POST /actions/{id}/revert: an optional reason; the body itself may be left out. */
export const RevertRequest = z.strictObject({ reason: Reason });
export type RevertRequest = z.infer<typeof RevertRequest>;

const ACTION_ID_RE = /^act_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const ActionId = z.string().regex(ACTION_ID_RE, "must be an action id like act_01J...");

const IsoTime = z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z" });

/** PATCH /actions/{id}: a new expiry for an active block (whether it is in the future is checked at run time). */
export const ChangeExpiryRequest = z.strictObject({
  expires_at: z.iso.datetime({
    offset: true,
    error: (issue) =>
      issue.input === undefined ? "is required" : "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z",
  }),
  reason: Reason,
});
export type ChangeExpiryRequest = z.infer<typeof ChangeExpiryRequest>;

export const ListActionsQuery = z
  .strictObject({
    type: z.enum(ACTION_TYPES).optional(),
    status: z.enum(ACTION_STATUSES).optional(),
    target: safeText(z.string().trim().min(1, "must not be empty").max(512, "must be at most 512 characters")).optional(),
    tenant_id: TenantId,
    since: IsoTime.optional(),
    until: IsoTime.optional(),
    limit: z.coerce
      .number()
      .int("must be a whole number")
      .min(1, "must be between 1 and 200")
      .max(200, "must be between 1 and 200")
      .default(50),
    cursor: ActionId.optional(),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    path: ["until"],
    message: "must not be before since",
  });
export type ListActionsQuery = z.infer<typeof ListActionsQuery>;

/** GET /mdr/actions/export: the list's filters, without its paging, and the format. */
export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const ExportActionsQuery = z
  .strictObject({
    format: z.enum(EXPORT_FORMATS).default("ndjson"),
    type: z.enum(ACTION_TYPES).optional(),
    status: z.enum(ACTION_STATUSES).optional(),
    target: safeText(z.string().trim().min(1, "must not be empty").max(512, "must be at most 512 characters")).optional(),
    tenant_id: TenantId,
    since: IsoTime.optional(),
    until: IsoTime.optional(),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    path: ["until"],
    message: "must not be before since",
  });
export type ExportActionsQuery = z.infer<typeof ExportActionsQuery>;

export const MetricsQuery = z.strictObject({
  hours: z.coerce
    .number()
    .int("must be a whole number")
    .min(1, "must be between 1 and 168")
    .max(168, "must be between 1 and 168")
    .default(24),
});

// ---- responses -------------------------------------------------------------------------

export const Action = z.object({
  id: z.string(),
  type: z.enum(ACTION_TYPES),
  status: z.enum(ACTION_STATUSES),
  target: z.string(),
  tenant_id: z.string(),
  provider: z.enum(PROVIDERS),
  mode: z.enum(["simulation", "live"]),
  parameters: z.record(z.string(), z.unknown()),
  reason: z.string().nullable(),
  requested_by: z.string(),
  provider_ref: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  active: z.boolean().describe("true while the action's effect is in place"),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
  expires_at: z.string().nullable(),
  reverts: z.string().nullable(),
  reverted_by: z.string().nullable(),
});
export type Action = z.infer<typeof Action>;

export const ActionEvent = z.object({ at: z.string(), status: z.enum(ACTION_STATUSES), message: z.string() });
export const ActionDetail = Action.extend({ timeline: z.array(ActionEvent) });
export type ActionDetail = z.infer<typeof ActionDetail>;

export const ActionList = z.object({ actions: z.array(Action), next_cursor: z.string().nullable() });
export type ActionList = z.infer<typeof ActionList>;

const ServiceStatus = z.object({
  status: z.enum(["up", "down", "not_configured"]),
  latency_ms: z.number().nullable(),
  error: z.string().nullable(),
});
export const StatusResponse = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  mode: z.enum(["simulation", "live"]),
  checked_at: z.string(),
  services: z.object(perService(() => ServiceStatus) as Record<Service, typeof ServiceStatus>),
  siem: z
    .array(
      z.object({
        name: z.enum(["syslog", "hec"]),
        url: z.string(),
        format: z.string(),
        last_delivered: z.object({ at: z.string(), record: z.string() }).nullable(),
        backlog: z.number().int().describe("audit records written and not yet delivered to this destination"),
        failures: z.number().int().describe("failed attempts since the last delivery (0: keeping up)"),
        last_error: z.object({ at: z.string(), message: z.string() }).nullable(),
      }),
    )
    .optional()
    .describe("SIEM forwarding, when a destination is configured (MDR_SIEM_SYSLOG_URL, MDR_SIEM_HEC_URL)"),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

const Count = z.number().int();
export const MetricsResponse = z.object({
  window: z.object({ hours: z.number().int(), since: z.string(), until: z.string() }),
  total: Count,
  by_type: z.record(z.enum(ACTION_TYPES), Count),
  by_status: z.record(z.enum(ACTION_STATUSES), Count),
  by_type_and_status: z.record(z.enum(ACTION_TYPES), z.record(z.enum(ACTION_STATUSES), Count)),
  success_rate: z.number().nullable().describe("succeeded / (succeeded + failed); null when neither"),
  time_to_completion_ms: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
  contained_now: z.object({ isolated_endpoints: Count, active_ip_blocks: Count, disabled_users: Count }),
  per_hour: z.array(z.object({ hour: z.string(), count: Count })),
});
export type MetricsResponse = z.infer<typeof MetricsResponse>;

/**
 * The answer to a bulk request: what a single request for each target would have answered; 207 when
 * every target is final for now, 202 (with Location) while some wait in the queue (`queued`).
 */
export const BulkResponse = z.object({
  bulk_id: z.string().describe("follow it at GET /api/v1/mdr/bulk/{bulk_id}"),
  results: z.array(
    z.object({
      target: z.string(),
      id: z.string().nullable().describe("the action recorded for this target"),
      status: z.enum(ACTION_STATUSES).nullable(),
      http_status: z.number().int().describe("what a single request would have answered: 201, 202, 409, 503..."),
      error: z
        .object({ type: z.string(), title: z.string(), detail: z.string() })
        .catchall(z.unknown())
        .optional()
        .describe("the problem a single request would have answered, without request_id"),
    }),
  ),
});
export type BulkResponse = z.infer<typeof BulkResponse>;

const BULK_ID_RE = /^blk_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
export const BulkId = z.string().regex(BULK_ID_RE, "must be a bulk id like blk_01J...");

/** GET /bulk/{id}: a bulk's progress, each target's action as it is now. */
export const BulkStatus = z.object({
  id: z.string(),
  type: z.enum(ACTION_TYPES),
  tenant_id: z.string(),
  provider: z.string(),
  requested_by: z.string(),
  created_at: z.string(),
  reverts: z.string().nullable().describe("the bulk this one undoes"),
  total: z.number().int(),
  counts: z.record(z.string(), z.number().int()).describe("targets per action status"),
  results: z.array(
    z.object({
      target: z.string(),
      id: z.string(),
      status: z.enum(ACTION_STATUSES),
      active: z.boolean(),
      error: z.string().nullable(),
      completed_at: z.string().nullable(),
    }),
  ),
  estimated_done_at: z
    .string()
    .nullable()
    .describe("when the queued targets should have gone out, from the configured rate limits; null when none is queued"),
});
export type BulkStatus = z.infer<typeof BulkStatus>;

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  request_id: z.string(),
  // Members a refused or failed action adds: which audit row recorded it, and how.
  action_id: z.string().optional(),
  action_status: z.enum(ACTION_STATUSES).optional(),
  // A duplicate (409): the action whose effect is already in place or on its way.
  holder_action_id: z.string().optional(),
  // An ambiguous target (409): the devices it could mean.
  candidates: z
    .array(z.object({ id: z.string(), name: z.string(), last_seen: z.string() }))
    .optional(),
});
