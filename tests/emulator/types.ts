// Shapes of the emulator's seed (what a test configures), its live state (what a test can
// inspect or poke), recorded requests and fault rules.
import type { EmulatorCerts } from "./certs";

export type ServiceName = "entra" | "defender" | "graph" | "arm" | "ec2" | "wafv2" | "unknown";

// ---------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------

export interface ClientSeed {
  clientId: string;
  clientSecret: string;
  displayName?: string;
  /**
   * Application permissions (app roles) granted, e.g. "Machine.Isolate", "User.ReadWrite.All",
   * "Mail.ReadWrite", and ARM actions such as "Microsoft.Network/networkSecurityGroups/*".
   * Omitted: every permission (the usual case; restrict it to test 403 handling). A token lists in
   * `roles` those of its resource (Defender's or Graph's; every one of them when omitted); ARM
   * actions are RBAC, checked per request. Unknown names throw.
   */
  permissions?: string[];
}

export interface DeviceSeed {
  /** 40 hex chars like the real service; generated from the name when omitted. */
  id?: string;
  computerDnsName: string;
  osPlatform?: string;
  healthStatus?: string;
  lastIpAddress?: string;
  lastExternalIpAddress?: string;
  lastSeen?: string;
  machineTags?: string[];
  /** Already isolated when the test starts. */
  isolated?: boolean;
  /** An offline device never picks its actions up: they stay Pending (as for up to 3 days in reality). */
  offline?: boolean;
  /** Actions on this device end Failed instead of Succeeded. */
  failActions?: boolean;
}

export type WellKnownFolder =
  | "inbox"
  | "junkemail"
  | "deleteditems"
  | "recoverableitemsdeletions"
  | "archive"
  | "sentitems"
  | "drafts";

export interface MessageSeed {
  id?: string;
  /** RFC 5322 Message-ID including the angle brackets, e.g. "<abc@contoso.com>". */
  internetMessageId: string;
  subject?: string;
  from?: string;
  folder?: WellKnownFolder;
  receivedDateTime?: string;
}

export interface UserSeed {
  id?: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string;
  accountEnabled?: boolean;
  userType?: "Member" | "Guest";
  /** Holds a privileged admin role: an app may not disable it (403 Authorization_RequestDenied). */
  privileged?: boolean;
  /** Has an Exchange Online mailbox (default true). Without one mail calls answer MailboxNotEnabledForRESTAPI. */
  hasMailbox?: boolean;
  messages?: MessageSeed[];
}

export interface IndicatorSeed {
  id?: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  title?: string;
  description?: string;
  expirationTime?: string | null;
  severity?: string;
}

export interface TenantSeed {
  tenantId: string;
  displayName?: string;
  clients: ClientSeed[];
  devices?: DeviceSeed[];
  users?: UserSeed[];
  indicators?: IndicatorSeed[];
}

export interface SecurityRuleSeed {
  name: string;
  priority: number;
  direction: "Inbound" | "Outbound";
  access: "Allow" | "Deny";
  protocol?: string;
  sourceAddressPrefix?: string;
  sourceAddressPrefixes?: string[];
  destinationAddressPrefix?: string;
  sourcePortRange?: string;
  destinationPortRange?: string;
  description?: string;
}

export interface NsgSeed {
  resourceGroup: string;
  name: string;
  location?: string;
  rules?: SecurityRuleSeed[];
}

export interface SubscriptionSeed {
  subscriptionId: string;
  /** The tenant whose tokens ARM accepts for this subscription. */
  tenantId: string;
  /** Extra (empty) resource groups; those of the NSGs exist anyway. */
  resourceGroups?: string[];
  nsgs?: NsgSeed[];
}

export interface AclEntrySeed {
  ruleNumber: number;
  egress: boolean;
  ruleAction: "allow" | "deny";
  protocol?: string;
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
}

export interface AclSeed {
  networkAclId: string;
  vpcId?: string;
  ownerId?: string;
  isDefault?: boolean;
  entries?: AclEntrySeed[];
  /** Add the undeletable `*` (32767) deny-all entries AWS puts in every ACL (default true). */
  defaultDenyEntries?: boolean;
  /**
   * This ACL's quota of entries per direction and address family, the default deny included
   * (the account's "Rules per network ACL", 20 by default, at most 40); default: the emulator's
   * `aws.entriesPerDirectionLimit`.
   */
  entriesLimit?: number;
}

export interface IpSetSeed {
  /** arn:aws:wafv2:<region>:<account>:regional/ipset/<name>/<id>, or global/... for a CLOUDFRONT set. */
  arn: string;
  ipAddressVersion: "IPV4" | "IPV6";
  description?: string;
  addresses?: string[];
}

export interface EmulatorSeed {
  tenants: TenantSeed[];
  subscriptions?: SubscriptionSeed[];
  networkAcls?: AclSeed[];
  /** AWS WAF v2 IP sets. */
  ipSets?: IpSetSeed[];
}

/** How a MachineAction moves Pending -> InProgress -> Succeeded. */
export type MachineActionProgress =
  /** One step every `pollsPerStep` GETs of that action (default, with 1). */
  | { mode: "polls"; pollsPerStep: number }
  /** One step every `stepMs` of wall time since creation. */
  | { mode: "time"; stepMs: number }
  /** Only Emulator.setMachineActionStatus moves it. */
  | { mode: "manual" };

export interface EmulatorOptions extends EmulatorSeed {
  /** TLS certificate to serve; default: certsFromEnv() or a fresh makeCerts(). */
  certs?: EmulatorCerts;
  /** Ports to listen on (default: any free one). */
  port?: number;
  ec2Port?: number;
  wafPort?: number;
  /** expires_in of issued tokens, and their exp claim (default 3599 like Entra). */
  tokenLifetimeSeconds?: number;
  defender?: {
    actionProgress?: MachineActionProgress;
    /** A second isolate/unisolate while one of the same type is pending: 400 (default) or the pending action again — both are seen in reality. */
    duplicateAction?: "error" | "returnPending";
    /** $filter on /api/machines that matches nothing: 200 with an empty value (default) or 404. */
    emptyListStatus?: 200 | 404;
  };
  graph?: {
    /**
     * Whether Graph has `message: permanentDelete` (default true). Its page lists it on the global
     * service only: false is Graph in US Government L4/L5 or China, where the action is not there
     * (400 BadRequest "Resource not found for the segment 'permanentDelete'.", OData's answer to a
     * segment it does not know).
     */
    permanentDelete?: boolean;
  };
  arm?: {
    /** How many polls of an operation answer InProgress before Succeeded (default 1). */
    inProgressPolls?: number;
    /** Retry-After seconds on LRO responses. Default: none, since core-lro waits that long between polls. */
    retryAfterSeconds?: number;
    /** Answer 409 AnotherOperationInProgress while an LRO on the same NSG is unfinished (default false). */
    rejectConcurrent?: boolean;
    /** Allowed rule priorities (default [100, 4096]). */
    priorityRange?: [number, number];
    /** Security rules an NSG holds (default 1,000, ARM's limit): one more is 400 SecurityRuleCountLimitReached. */
    maxRules?: number;
    /**
     * IP addresses and ranges an NSG's rules name as sources, and apart as destinations (default
     * 4,000, ARM's limit): more is 400 SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached.
     */
    maxPrefixes?: number;
  };
  aws?: {
    /**
     * Entries per ACL, per direction and address family, the default deny entry included (default
     * 20: the VPC quota "Rules per network ACL", which "includes the default deny rules").
     */
    entriesPerDirectionLimit?: number;
    /**
     * The access keys EC2 knows (default: fixtures' AWS_KEY). Every request's SigV4 signature is
     * computed again with the key's secret: another key id is 401 AuthFailure, a wrong secret
     * 403 SignatureDoesNotMatch.
     */
    credentials?: { accessKeyId: string; secretAccessKey: string }[];
    /**
     * The region of the EC2 endpoint (default "eu-west-1"): a credential scope naming another is
     * refused. A list serves several regions' endpoints at the one URL (tenants in other regions).
     */
    region?: string | string[];
  };
  waf?: {
    /** Addresses an IP set holds at most (default 10,000, WAF's quota). */
    addressesPerSet?: number;
    /** Regions WAF answers in (default eu-west-1 and us-east-1, where CLOUDFRONT sets live). */
    region?: string | string[];
  };
  /**
   * Throttling by each service's published limits (see throttle.ts): on by default; `false` turns
   * it off, `{ scale }` divides every window by `scale` (60: Defender's 100 a minute becomes 100 a
   * second) for a test that must run a real limit's worth of calls quickly.
   */
  throttle?: boolean | { scale: number };
  /** Audiences each API accepts; defaults are the real resource ids. */
  audiences?: Partial<Record<"defender" | "graph" | "arm", string[]>>;
  /** Extra resources Entra will issue tokens for (besides the public and US-gov Microsoft ones). */
  extraResources?: string[];
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

export type MachineActionStatus = "Pending" | "InProgress" | "Succeeded" | "Failed" | "TimeOut" | "Cancelled";

export interface ClientState {
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Service principal object id (the token's oid). */
  objectId: string;
  permissions: string[] | "all";
}

export interface DeviceState {
  id: string;
  computerDnsName: string;
  osPlatform: string;
  healthStatus: string;
  lastIpAddress: string;
  lastExternalIpAddress: string;
  firstSeen: string;
  lastSeen: string;
  machineTags: string[];
  aadDeviceId: string;
  isolated: boolean;
  offline: boolean;
  failActions: boolean;
}

export interface MachineActionState {
  id: string;
  tenantId: string;
  type: "Isolate" | "Unisolate";
  scope: string | null;
  status: MachineActionStatus;
  machineId: string;
  computerDnsName: string;
  requestor: string;
  requestorComment: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  /** GETs of /api/machineactions/{id} so far (drives "polls" progress). */
  polls: number;
}

export interface MessageState {
  id: string;
  internetMessageId: string;
  subject: string;
  from: string;
  receivedDateTime: string;
  folder: WellKnownFolder;
  /** Every id this message had, oldest first (a move gives it a new one). */
  previousIds: string[];
}

export interface MailboxState {
  /** Folder ids by well-known name (moved messages report these as parentFolderId). */
  folderIds: Record<WellKnownFolder, string>;
  messages: Map<string, MessageState>;
  /** Messages removed by permanentDelete. */
  purged: MessageState[];
}

export interface UserState {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  accountEnabled: boolean;
  userType: "Member" | "Guest";
  privileged: boolean;
  /** Times revokeSignInSessions was called (signInSessionsValidFromDateTime history). */
  sessionsRevokedAt: string[];
  mailbox: MailboxState | null;
}

export interface IndicatorState {
  id: string;
  indicatorValue: string;
  indicatorType: string;
  action: string;
  application: string | null;
  source: string;
  sourceType: "AadApp" | "User";
  createdBy: string;
  createdBySource: string;
  severity: string;
  title: string;
  description: string;
  recommendedActions: string | null;
  creationTimeDateTimeUtc: string;
  expirationTime: string | null;
  lastUpdateTime: string;
  lastUpdatedBy: string | null;
  rbacGroupNames: string[];
  generateAlert: boolean;
}

export interface TenantState {
  tenantId: string;
  displayName: string;
  clients: Map<string, ClientState>;
  devices: Map<string, DeviceState>;
  machineActions: Map<string, MachineActionState>;
  users: Map<string, UserState>;
  indicators: Map<string, IndicatorState>;
  nextIndicatorId: number;
}

export interface SecurityRuleProperties {
  protocol: string;
  sourcePortRange?: string;
  destinationPortRange?: string;
  sourceAddressPrefix?: string;
  destinationAddressPrefix?: string;
  sourcePortRanges: string[];
  destinationPortRanges: string[];
  sourceAddressPrefixes: string[];
  destinationAddressPrefixes: string[];
  access: string;
  priority: number;
  direction: string;
  description?: string;
  provisioningState: "Succeeded" | "Updating" | "Deleting" | "Failed";
}

export interface SecurityRuleState {
  name: string;
  etag: string;
  properties: SecurityRuleProperties;
}

export interface NsgState {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  resourceGuid: string;
  etag: string;
  /** By lower-cased name: ARM names are case-insensitive. */
  rules: Map<string, SecurityRuleState>;
}

export interface SubscriptionState {
  subscriptionId: string;
  tenantId: string;
  /** Lower-cased names. */
  resourceGroups: Set<string>;
  /** By "rg/nsg", lower-cased. */
  nsgs: Map<string, NsgState>;
}

export interface ArmOperationState {
  id: string;
  subscriptionId: string;
  location: string;
  /** NSG key "sub/rg/nsg" (lower-cased) the operation works on. */
  nsgKey: string;
  kind: "put" | "delete";
  status: "InProgress" | "Succeeded" | "Failed";
  remainingPolls: number;
  error?: { code: string; message: string };
  /** Applies the change (run once when the operation succeeds). */
  onSucceeded: () => void;
  /** Undoes what the initial response showed (run once when it fails). */
  onFailed: () => void;
}

export interface AclEntryState {
  ruleNumber: number;
  protocol: string;
  ruleAction: "allow" | "deny";
  egress: boolean;
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  portRange?: { from: number; to: number };
  icmpTypeCode?: { code: number; type: number };
}

export interface AclState {
  networkAclId: string;
  /** Its own quota of entries per direction and family, when the seed gave one. */
  entriesLimit?: number;
  vpcId: string;
  ownerId: string;
  isDefault: boolean;
  entries: AclEntryState[];
}

export interface IpSetState {
  arn: string;
  name: string;
  id: string;
  scope: "REGIONAL" | "CLOUDFRONT";
  /** Where it answers (us-east-1 for CLOUDFRONT). */
  region: string;
  ipAddressVersion: "IPV4" | "IPV6";
  description?: string;
  addresses: string[];
  /** Rotated by every accepted update. */
  lockToken: string;
  /** Accepted updates so far (a test's other writer included). */
  updates: number;
}

export interface EmulatorState {
  tenants: Map<string, TenantState>;
  subscriptions: Map<string, SubscriptionState>;
  networkAcls: Map<string, AclState>;
  /** WAF IP sets by ARN. */
  ipSets: Map<string, IpSetState>;
  armOperations: Map<string, ArmOperationState>;
}

// ---------------------------------------------------------------------------------------
// Recording and faults
// ---------------------------------------------------------------------------------------

/** What the emulator made of the credentials a request carried. */
export type RecordedAuth =
  | { kind: "none" }
  | {
      kind: "bearer";
      /** Signature and expiry good and, once the API it reached checked it, the audience too. */
      valid: boolean;
      problem?: string;
      audience?: string;
      tenantId?: string;
      clientId?: string;
      roles?: string[];
    }
  | {
      kind: "sigv4";
      accessKeyId: string;
      region: string;
      service: string;
      sessionToken?: string;
    }
  | { kind: "other"; scheme: string };

export interface RecordedRequest {
  seq: number;
  at: string;
  service: ServiceName;
  method: string;
  /** Path as sent, still percent-encoded. */
  path: string;
  /** Query, decoded (a `+` reads as a space, as the real services read it). */
  query: Record<string, string>;
  /** Request headers, lower-cased, without Authorization (see `auth`). */
  headers: Record<string, string>;
  auth: RecordedAuth;
  /** JSON value, form fields (client_secret redacted), text, or undefined when empty. */
  body: unknown;
  /** EC2 Query API action, e.g. "CreateNetworkAclEntry"; WAF's operation (X-Amz-Target), e.g. "UpdateIPSet". */
  action?: string;
  /** Filled in when the answer is sent. */
  status?: number;
  responseBody?: unknown;
  /** Set when a fault rule produced (or delayed) the answer. */
  fault?: boolean;
  /** The client closed the connection before the answer was sent (it gave up: an abort, a kill). */
  clientGone?: boolean;
  /** The request was served but its answer never sent (a `loseAnswer` fault). */
  answerLost?: boolean;
  /**
   * An operation of a Graph JSON batch (POST /v1.0/$batch): the batch's own record (`seq`) and the
   * operation's `id` in it. Absent on HTTP requests: count those to count round trips, and every
   * record to count operations.
   */
  batch?: { seq: number; id: string };
}

export interface FaultRequestInfo {
  service: ServiceName;
  method: string;
  path: string;
  action?: string;
}

export interface FaultMatcher {
  service?: ServiceName;
  method?: string;
  /** Substring of, or pattern for, the path (without query). */
  path?: string | RegExp;
  /** EC2 action name, or WAF operation. */
  action?: string;
}

/**
 * Which requests a fault hits:
 * - "POST /isolate": method and a substring of the path; "/isolate": any method;
 *   "ec2:CreateNetworkAclEntry": that EC2 action; "waf:UpdateIPSet": that WAF operation;
 * - a RegExp, tested against "METHOD /path";
 * - a FaultMatcher, or any predicate.
 */
export type FaultMatch = string | RegExp | FaultMatcher | ((req: FaultRequestInfo) => boolean);

export interface FaultSpec {
  match: FaultMatch;
  /** Status to answer with. Omitted: the request is only delayed (delayMs) and then served normally. */
  status?: number;
  /** How many matching requests it hits (default 1; Infinity for all). */
  times?: number;
  /** Retry-After header, in seconds. */
  retryAfter?: number;
  /** Wait this long before answering (to test client timeouts). */
  delayMs?: number;
  /**
   * Hold the request until this settles (then delayMs, status...): for a test that acts while a
   * call is provably in flight, however long that takes, and then lets it go.
   */
  until?: Promise<unknown>;
  /** Body to send instead of the service's usual error body for `status`. */
  body?: string | Record<string, unknown>;
  /**
   * The error `code` (and `message`) in the service's own error shape for `status`, e.g. Defender's
   * 403 `DisabledFeature` / `DisallowedOperation` (common-errors.md) in `{error:{code,message,target}}`.
   */
  code?: string;
  message?: string;
  /**
   * Without `status`: the request is served as usual (its effect happens), then the JSON body of a
   * 2xx answer is rewritten by this before it is sent: for an answer the service may give in
   * another documented shape (a field absent, another spelling) about a real object.
   */
  reshape?: (body: Record<string, unknown>) => unknown;
  /** Destroy the connection without answering (a network error for the client). */
  dropConnection?: boolean;
  /**
   * Serve the request (its effect happens), then destroy the connection instead of sending the
   * answer: a write whose answer was lost on the way back. The record's `status` is the answer
   * that was lost, and `answerLost` is set.
   */
  loseAnswer?: boolean;
}

export interface FaultHandle {
  /** Requests this fault has hit so far. */
  readonly hits: number;
  /** Hits left. */
  readonly remaining: number;
  clear(): void;
}
