// The small interfaces every outside system sits behind. The simulated tenant and the
// live adapters implement the same ones, so the pipeline cannot tell them apart.
// The services and their names come from one record (./facts.ts); the names below are kept for
// the code that imported them from here.
import type { CallGate } from "@/lib/mdr/providers/gate";
import { FIREWALL_TYPES, type FirewallType, firewallFacts, perService, type Service } from "@/lib/mdr/providers/facts";

export { FIREWALL_TYPES, type FirewallType, type ProviderName, type Service } from "@/lib/mdr/providers/facts";

/** What the timeline calls each firewall. */
export const FIREWALL_LABELS = Object.fromEntries(FIREWALL_TYPES.map((t) => [t, firewallFacts(t).label])) as Record<
  FirewallType,
  string
>;

/** Each service's short name in messages. */
export const SERVICE_LABELS: Record<Service, string> = perService((_, f) => f.names.label);

export const ISOLATION_TYPES = ["Full", "Selective", "UnManagedDevice"] as const;
export type IsolationType = (typeof ISOLATION_TYPES)[number];

/** Statuses of a Defender for Endpoint MachineAction (machineaction.md). */
export const MACHINE_ACTION_STATUSES = [
  "Pending",
  "InProgress",
  "Succeeded",
  "Failed",
  "TimeOut",
  "Cancelled",
] as const;
export type MachineActionStatus = (typeof MACHINE_ACTION_STATUSES)[number];
export const FINAL_MACHINE_ACTION_STATUSES: readonly MachineActionStatus[] = [
  "Succeeded",
  "Failed",
  "TimeOut",
  "Cancelled",
];

export interface Machine {
  id: string;
  computerDnsName: string;
  lastSeen: string; // ISO 8601
  osPlatform: string;
  healthStatus: string;
}

export interface MachineAction {
  id: string;
  /**
   * "Isolate" or "Unisolate" from a POST (what was asked for); as Defender spells it when read back
   * (an UnManagedDevice isolation is a containment, whose type machineaction.md does not list).
   */
  type: string;
  status: MachineActionStatus;
  machineId: string;
  computerDnsName: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  /** The Comment it was sent with: names the audit row (`MDR act_... by ...`). */
  requestorComment?: string | null;
}

export interface EndpointProvider {
  /** Devices whose DNS name is `hostname` (exact, case-insensitive) or, for a short name, whose first label is. */
  findMachines(tenantId: string, hostname: string): Promise<Machine[]>;
  /**
   * The devices of many hostnames in a few calls (the machine list pages thousands of devices per
   * call), matched as `findMachines` matches one: a map from each hostname asked (as given) to its devices.
   */
  findMachinesByNames?(tenantId: string, hostnames: string[]): Promise<Map<string, Machine[]>>;
  /** One device by its Defender id; ProviderError not_found when absent. */
  getMachine(tenantId: string, machineId: string): Promise<Machine>;
  isolate(
    tenantId: string,
    machineId: string,
    input: { comment: string; isolationType: IsolationType },
  ): Promise<MachineAction>;
  release(tenantId: string, machineId: string, input: { comment: string }): Promise<MachineAction>;
  getMachineAction(tenantId: string, actionId: string): Promise<MachineAction>;
  /**
   * The device's machine actions, newest first: what was really sent. Of every type (scans too):
   * the caller picks its own by their Comment.
   */
  listMachineActions(tenantId: string, machineId: string): Promise<MachineAction[]>;
}

export interface BlockRequest {
  /** The action that creates the block: names the rule / indicator so it can be found again. */
  actionId: string;
  /** A single address or a CIDR range, as validated by the schema. */
  address: string;
  /** Azure NSG only: an explicit priority; otherwise the lowest free one in the configured range. */
  priority?: number;
  expiresAt: Date;
  /** Human-readable text for the rule's description / the indicator's title. */
  description: string;
  /**
   * Told what the block is about to write, before it writes it (an ACL entry's rule number: the
   * entry itself carries no name), so a restart after a crash can tell its entry from another's.
   */
  planned?: (details: Record<string, string | number>) => void;
}

export interface BlockResult {
  /** What identifies the rule to remove it later: indicator id, NSG rule name, NACL rule number. */
  ref: string;
  details: Record<string, string | number | boolean>;
}

/** One item's outcome in a batch, in the order the items were given: what was done, or why not. */
export type BatchOutcome<T> = { ok: true; value: T } | { ok: false; error: ProviderError };

/** What a firewall can still take for a tenant: how many more addresses, and what bounds it. */
export interface FirewallCapacity {
  free: number;
  /** Readable: "12 of 20 inbound entries of acl-0abc are free (rule numbers 100-199)". */
  detail: string;
}

export interface FirewallProvider {
  block(tenantId: string, request: BlockRequest): Promise<BlockResult>;
  /**
   * The batch form, where the firewall has one (Defender's indicator import, many prefixes in one
   * NSG rule, a WAF IP set): blocks `requests` (at most `batchSize`) in the fewest calls the API
   * allows. One outcome per request, in order; a failure of the whole call (nothing done) is thrown.
   * Each request's `planned` is told what is about to be written, before it is.
   */
  blockMany?(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]>;
  /** Removes many blocks in the fewest calls; one outcome per item, in order (as `unblock`'s). */
  unblockMany?(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]>;
  /** The most requests one `blockMany` / `unblockMany` takes. */
  readonly batchSize?: number;
  /**
   * How many more addresses the firewall takes for the tenant now, where it is bounded tightly
   * enough to matter (an ACL's 20 entries, an NSG's priorities and prefixes); null when not. A bulk
   * that does not fit is refused whole, before anything is written.
   */
  capacity?(tenantId: string): Promise<FirewallCapacity | null>;
  /**
   * Why this firewall cannot take `address` for the tenant as it is configured (a WAF with no IP
   * set of the address's family), or undefined: asked before anything is written, answered 422.
   */
  refuses?(tenantId: string, address: string): string | undefined;
  /**
   * Removes exactly what `block` created (`ref`, for `address`). Resolves `{ alreadyAbsent: true }`
   * when it was gone; refuses (conflict) when the rule now says something else.
   */
  unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }>;
  /**
   * The rule the block of `actionId` created for `address`, if it is in place: how a restart
   * learns what a call cut off by a crash really did. `known`: what the block had recorded
   * (its result, including what `planned` was told).
   */
  findBlock(tenantId: string, actionId: string, address: string, known: Record<string, unknown> | null): Promise<BlockResult | null>;
  /**
   * Moves the expiry of the block `ref` where the firewall keeps one (a Defender indicator's
   * expirationTime). Firewalls without one do nothing: the expiry sweep ends those blocks.
   */
  setExpiry(tenantId: string, ref: string, request: BlockRequest): Promise<void>;
}

export interface DirectoryUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  accountEnabled: boolean;
}

export interface IdentityProvider {
  getUser(tenantId: string, upn: string): Promise<DirectoryUser>;
  setAccountEnabled(tenantId: string, upn: string, enabled: boolean): Promise<void>;
  revokeSignInSessions(tenantId: string, upn: string): Promise<void>;
  /**
   * The batch forms (Graph's JSON `$batch`, `batchSize` operations a request): each the single
   * call's work for many users in the fewest requests, one outcome per UPN, in order; a user's
   * refusal (404, 403) is that user's outcome, a throttled operation is sent again alone after its
   * Retry-After. A failure of the whole request (nothing done) is thrown.
   */
  getUsers?(tenantId: string, upns: string[]): Promise<BatchOutcome<DirectoryUser>[]>;
  setAccountEnabledMany?(tenantId: string, upns: string[], enabled: boolean): Promise<BatchOutcome<void>[]>;
  revokeSignInSessionsMany?(tenantId: string, upns: string[]): Promise<BatchOutcome<void>[]>;
  /** Operations one batch request carries (Graph: 20). */
  readonly batchSize?: number;
}

export const MAIL_FOLDERS = ["inbox", "junkemail", "deleteditems", "recoverableitemsdeletions"] as const;
export type MailFolder = (typeof MAIL_FOLDERS)[number];

export interface MailMessage {
  id: string;
  internetMessageId: string;
  subject: string;
  from: string;
  receivedDateTime: string;
  /** A well-known folder name (simulation) or the provider's folder id. */
  parentFolderId: string;
}

export interface MailProvider {
  /** By RFC 5322 Message-ID (`<...>`), else by the provider's own message id. Empty when not found. */
  findMessages(tenantId: string, mailbox: string, messageId: string): Promise<MailMessage[]>;
  /** Moves a message; the provider gives the moved message a new id, which is returned. */
  move(tenantId: string, mailbox: string, id: string, destination: MailFolder): Promise<MailMessage>;
  permanentDelete(tenantId: string, mailbox: string, id: string): Promise<void>;
  /**
   * Why permanentDelete cannot be asked of this provider at all (its cloud has no such call), or
   * undefined where it can: a hardDelete is then refused before anything is written.
   */
  readonly permanentDeleteUnavailable?: string;
  /** Copies with this RFC 5322 Message-ID in one well-known folder (Recoverable Items included). */
  findMessagesIn(tenantId: string, mailbox: string, internetMessageId: string, folder: MailFolder): Promise<MailMessage[]>;
  /**
   * The batch forms across mailboxes (Graph's JSON `$batch`), one outcome per item, in order, as
   * IdentityProvider's: `findMessages` of each (mailbox, message), `move` and `permanentDelete` of
   * each (mailbox, id). A request never carries more than Outlook's 4 concurrent requests for one mailbox.
   */
  findMessagesMany?(tenantId: string, items: { mailbox: string; messageId: string }[]): Promise<BatchOutcome<MailMessage[]>[]>;
  moveMany?(tenantId: string, items: { mailbox: string; id: string; destination: MailFolder }[]): Promise<BatchOutcome<MailMessage>[]>;
  permanentDeleteMany?(tenantId: string, items: { mailbox: string; id: string }[]): Promise<BatchOutcome<void>[]>;
  /** Operations one batch request carries (Graph: 20). */
  readonly batchSize?: number;
}

export interface ServiceHealth {
  status: "up" | "down" | "not_configured";
  latency_ms: number | null;
  error: string | null;
}

/** Targets a tenant is known to hold, offered as suggestions in the page's forms. */
export interface TargetExamples {
  hosts: string[];
  users: string[];
  mailboxes: string[];
  messageIds: string[];
}

export interface Providers {
  mode: "simulation" | "live";
  /** What the page's forms suggest: the simulated tenant's devices, users and mail; none for a live tenant. */
  examples: TargetExamples | null;
  endpoint: EndpointProvider;
  firewalls: Record<FirewallType, FirewallProvider>;
  identity: IdentityProvider;
  mail: MailProvider;
  /** One real round trip per configured service. */
  /** One real round trip to the service, in the tenant (default: the first). */
  health(service: Service, tenantId?: string): Promise<ServiceHealth>;
  /** Tenants these providers can act in; the first is the default. */
  tenants: readonly string[];
  /** Whether the service has settings for the tenant (an NSG, an ACL, a Defender host). */
  configured(service: Service, tenantId: string): boolean;
  /** The rate limiter and circuit breaker every call to the providers passes. */
  gate: CallGate;
}

export const PROVIDER_ERROR_KINDS = [
  "not_found", // the target does not exist at the provider
  "conflict", // the provider refuses because of current state (already in progress, rule exists, list full)
  "bad_request", // the provider refused the request as invalid
  "permission", // 401/403: credentials lack a permission, or the tenant's settings forbid the call (Defender's DisabledFeature)
  "throttled", // 429 after retries
  "unavailable", // 5xx or network failure after retries
  "timeout", // no answer within the time allowed
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

/** Marks a ProviderError whichever copy of this module made it (see `Symbol.hasInstance` below). */
const PROVIDER_ERROR_BRAND = Symbol.for("mdr.ProviderError");

/** The one error type adapters throw; message is prefixed with the service name, e.g. "[Defender] ...". */
export class ProviderError extends Error {
  /**
   * `instanceof` by brand, not by prototype. The production server bundles this module more than
   * once (the route handlers and instrumentation's background loops each get a copy), while the
   * providers are one object shared through globalThis: an error thrown by a provider made in one
   * bundle must still be a ProviderError to the pipeline of another, or every provider refusal
   * (404, 409, 503...) is answered as a 500.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && PROVIDER_ERROR_BRAND in value;
  }

  readonly service: Service;
  readonly kind: ProviderErrorKind;
  readonly httpStatus: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  /**
   * Refused here, before the service was asked (its circuit is open, or the wait for a turn under
   * its rate limit is too long): never retried, and no sign of the service's health.
   */
  readonly local: boolean;

  constructor(
    service: Service,
    kind: ProviderErrorKind,
    message: string,
    opts: { httpStatus?: number; retryAfterSeconds?: number; local?: boolean } = {},
  ) {
    super(`[${SERVICE_LABELS[service]}] ${message}`);
    this.name = "ProviderError";
    this.service = service;
    this.kind = kind;
    this.httpStatus = opts.httpStatus;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.local = opts.local ?? false;
    Object.defineProperty(this, PROVIDER_ERROR_BRAND, { value: true });
  }
}
