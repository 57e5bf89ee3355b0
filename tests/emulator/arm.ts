// Azure Resource Manager, Microsoft.Network NSG rules, at the emulator's root under
// /subscriptions (the real host is management.azure.com):
//   GET    .../resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{nsg}
//   GET    .../networkSecurityGroups/{nsg}/securityRules
//   GET|PUT|DELETE .../networkSecurityGroups/{nsg}/securityRules/{rule}
//   GET    /subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operations/{id}
//   GET    /subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operationResults/{id}
// PUT answers 201 (new) / 200 (update) with provisioningState "Updating" and an
// Azure-AsyncOperation header; DELETE answers 202 with Azure-AsyncOperation and Location (204
// when there is nothing to delete). The operation URL answers {"status":"InProgress"} then
// {"status":"Succeeded"} — the protocol @azure/core-lro's poller drives.
// A PUT or DELETE of a rule with `If-Match` is refused with 412 PreconditionFailed unless it names
// the rule's current etag (optimistic concurrency, as the Network RP does: cloud-provider-azure
// writes NSGs with If-Match and takes a 412 for a stale read). The published limits of an NSG are
// enforced: 1,000 rules (400 SecurityRuleCountLimitReached) and 4,000 IP addresses and ranges as
// sources, and apart as destinations (400 SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached),
// and one address family per rule (400 ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies).
import ipaddr from "ipaddr.js";
import { checkBearer } from "./auth";
import { guid, hasPermission, header, isRecord, type RequestContext, sendEmpty, sendJson } from "./http";
import type { TokenClaims } from "./jwt";
import { ARM_BUCKETS } from "./throttle";
import type { ArmOperationState, NsgState, SecurityRuleProperties, SecurityRuleState, SubscriptionState } from "./types";

const NSG_READ = "Microsoft.Network/networkSecurityGroups/read";
const RULE_READ = "Microsoft.Network/networkSecurityGroups/securityRules/read";
const RULE_WRITE = "Microsoft.Network/networkSecurityGroups/securityRules/write";
const RULE_DELETE = "Microsoft.Network/networkSecurityGroups/securityRules/delete";
const PROTOCOLS = ["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"];
/**
 * The api-versions Microsoft.Network publishes for networkSecurityGroups and their securityRules
 * (azure-rest-api-specs, stable); @azure/arm-network 36.0.0 sends 2025-05-01.
 */
export const NETWORK_API_VERSIONS = [
  "2025-05-01", "2025-03-01", "2025-01-01", "2024-10-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01",
  "2023-11-01", "2023-09-01", "2023-06-01", "2023-05-01", "2023-04-01", "2023-02-01", "2022-11-01", "2022-09-01",
  "2022-07-01", "2022-05-01", "2022-01-01", "2021-08-01", "2021-05-01", "2021-03-01", "2021-02-01", "2020-11-01",
  "2020-08-01", "2020-07-01", "2020-06-01", "2020-05-01", "2020-04-01", "2020-03-01", "2019-12-01", "2019-11-01",
  "2019-09-01", "2019-08-01", "2019-07-01", "2019-06-01", "2019-04-01", "2019-02-01", "2018-12-01", "2018-11-01",
  "2018-10-01", "2018-08-01", "2018-07-01", "2018-06-01", "2018-04-01", "2018-02-01", "2018-01-01", "2017-11-01",
  "2017-10-01", "2017-09-01", "2017-08-01", "2017-06-01", "2017-04-01", "2017-03-01", "2016-12-01", "2016-11-01",
  "2016-10-01", "2016-09-01", "2016-08-01", "2016-07-01", "2016-06-01", "2016-03-30", "2015-06-15", "2015-05-01-preview",
];
/** Service tags a security rule may name as a source or destination (service-tags-overview.md), `*` aside. */
const SERVICE_TAGS = [
  "Internet", "VirtualNetwork", "AzureLoadBalancer",
  // The legacy spellings the API still takes.
  "INTERNET", "VIRTUAL_NETWORK", "AZURE_LOADBALANCER",
  "ActionGroup", "ApiManagement", "AppConfiguration", "AppService", "AppServiceManagement", "AzureActiveDirectory",
  "AzureActiveDirectoryDomainServices", "AzureAdvancedThreatProtection", "AzureArcInfrastructure", "AzureBackup",
  "AzureBotService", "AzureCloud", "AzureCognitiveSearch", "AzureConnectors", "AzureContainerRegistry", "AzureCosmosDB",
  "AzureDatabricks", "AzureDataExplorerManagement", "AzureDataLake", "AzureDevOps", "AzureDevSpaces", "AzureDigitalTwins",
  "AzureEventGrid", "AzureFrontDoor.Backend", "AzureFrontDoor.Frontend", "AzureFrontDoor.FirstParty",
  "AzureInformationProtection", "AzureIoTHub", "AzureKeyVault", "AzureMachineLearning", "AzureMonitor",
  "AzureOpenDatasets", "AzurePlatformDNS", "AzurePlatformIMDS", "AzurePlatformLKM", "AzureResourceManager",
  "AzureSignalR", "AzureSiteRecovery", "AzureSpringCloud", "AzureStack", "AzureTrafficManager", "AzureUpdateDelivery",
  "BatchNodeManagement", "CognitiveServicesManagement", "DataFactory", "DataFactoryManagement", "Dynamics365ForMarketingEmail",
  "EventHub", "GatewayManager", "GuestAndHybridManagement", "HDInsight", "LogicApps", "LogicAppsManagement",
  "M365ManagementActivityApi", "MicrosoftAzureFluidRelay", "MicrosoftCloudAppSecurity", "MicrosoftContainerRegistry",
  "MicrosoftDefenderForEndpoint", "PowerBI", "PowerPlatformInfra", "PowerQueryOnline", "ServiceBus", "ServiceFabric",
  "Sql", "SqlManagement", "Storage", "StorageSyncService", "WindowsAdminCenter", "WindowsVirtualDesktop",
];
/** Tags that also exist per region, as `Storage.WestEurope` (the region in its PascalCase name). */
const REGIONAL_TAGS = [
  "ApiManagement", "AppService", "AzureBackup", "AzureCloud", "AzureContainerRegistry", "AzureCosmosDB", "AzureDataLake",
  "AzureKeyVault", "AzureMachineLearning", "AzureMonitor", "BatchNodeManagement", "DataFactory", "EventHub", "HDInsight",
  "MicrosoftContainerRegistry", "ServiceBus", "ServiceFabric", "Sql", "Storage",
];
const REGIONS = [
  "AustraliaCentral", "AustraliaEast", "AustraliaSoutheast", "BrazilSouth", "CanadaCentral", "CanadaEast", "CentralIndia",
  "CentralUS", "EastAsia", "EastUS", "EastUS2", "FranceCentral", "GermanyWestCentral", "IsraelCentral", "ItalyNorth",
  "JapanEast", "JapanWest", "KoreaCentral", "KoreaSouth", "NorthCentralUS", "NorthEurope", "NorwayEast", "PolandCentral",
  "QatarCentral", "SouthAfricaNorth", "SouthCentralUS", "SouthIndia", "SoutheastAsia", "SpainCentral", "SwedenCentral",
  "SwitzerlandNorth", "UAENorth", "UKSouth", "UKWest", "WestCentralUS", "WestEurope", "WestIndia", "WestUS", "WestUS2", "WestUS3",
];
const TAGS = new Set([
  ...SERVICE_TAGS.map((t) => t.toLowerCase()),
  ...REGIONAL_TAGS.flatMap((t) => REGIONS.map((r) => `${t}.${r}`.toLowerCase())),
]);
const RULE_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;

function armError(ctx: RequestContext, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, { error: { code, message, details: [] } }, { ...armHeaders(ctx), ...headers });
}

function armHeaders(ctx: RequestContext): Record<string, string> {
  return {
    "x-ms-request-id": ctx.requestId,
    "x-ms-correlation-request-id": header(ctx, "x-ms-correlation-request-id") ?? ctx.requestId,
  };
}

function nsgId(n: NsgState): string {
  return `/subscriptions/${n.subscriptionId}/resourceGroups/${n.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${n.name}`;
}

function ruleJson(n: NsgState, r: SecurityRuleState): Record<string, unknown> {
  return {
    name: r.name,
    id: `${nsgId(n)}/securityRules/${r.name}`,
    etag: r.etag,
    type: "Microsoft.Network/networkSecurityGroups/securityRules",
    properties: { ...r.properties },
  };
}

function defaultRule(n: NsgState, name: string, priority: number, direction: string, access: string, src: string, dst: string, description: string): Record<string, unknown> {
  return {
    name,
    id: `${nsgId(n)}/defaultSecurityRules/${name}`,
    etag: n.etag,
    type: "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
    properties: {
      provisioningState: "Succeeded",
      description,
      protocol: "*",
      sourcePortRange: "*",
      destinationPortRange: "*",
      sourceAddressPrefix: src,
      destinationAddressPrefix: dst,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  };
}

function nsgJson(n: NsgState): Record<string, unknown> {
  return {
    name: n.name,
    id: nsgId(n),
    etag: n.etag,
    type: "Microsoft.Network/networkSecurityGroups",
    location: n.location,
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: n.resourceGuid,
      securityRules: [...n.rules.values()].map((r) => ruleJson(n, r)),
      defaultSecurityRules: [
        defaultRule(n, "AllowVnetInBound", 65000, "Inbound", "Allow", "VirtualNetwork", "VirtualNetwork", "Allow inbound traffic from all VMs in VNET"),
        defaultRule(n, "AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "AzureLoadBalancer", "*", "Allow inbound traffic from azure load balancer"),
        defaultRule(n, "DenyAllInBound", 65500, "Inbound", "Deny", "*", "*", "Deny all inbound traffic"),
        defaultRule(n, "AllowVnetOutBound", 65000, "Outbound", "Allow", "VirtualNetwork", "VirtualNetwork", "Allow outbound traffic from all VMs to all VMs in VNET"),
        defaultRule(n, "AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "Internet", "Allow outbound traffic from all VMs to Internet"),
        defaultRule(n, "DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*", "Deny all outbound traffic"),
      ],
    },
  };
}

function authorize(ctx: RequestContext, sub: SubscriptionState | undefined, subscriptionId: string): TokenClaims | undefined {
  const check = checkBearer(ctx, ctx.core.options.audiences.arm);
  if (!check.ok) {
    const now = new Date().toISOString();
    const table: Record<typeof check.problem, [string, string]> = {
      missing: ["AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."],
      malformed: ["InvalidAuthenticationToken", "The access token is invalid."],
      signature: ["InvalidAuthenticationToken", "The access token is invalid."],
      expired: [
        "ExpiredAuthenticationToken",
        `The access token expiry UTC time '${check.claims ? new Date(check.claims.exp * 1000).toISOString() : ""}' is earlier than current UTC time '${now}'.`,
      ],
      audience: [
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${check.claims?.aud ?? ""}'. It should exactly match with one of the allowed audiences ${ctx.core.options.audiences.arm.map((a) => `'${a}'`).join(",")}.`,
      ],
    };
    const [code, message] = table[check.problem];
    const challenge = check.problem === "missing"
      ? `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`
      : `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
    armError(ctx, 401, code, message, { "WWW-Authenticate": challenge });
    return undefined;
  }
  const claims = check.claims;
  if (sub && sub.tenantId.toLowerCase() !== claims.tid.toLowerCase()) {
    armError(
      ctx,
      401,
      "InvalidAuthenticationTokenTenant",
      `The access token is from the wrong issuer 'https://sts.windows.net/${claims.tid}/'. It must match the tenant 'https://sts.windows.net/${sub.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${sub.tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
    );
    return undefined;
  }
  if (!sub) {
    armError(ctx, 404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    return undefined;
  }
  return claims;
}

function requireAction(ctx: RequestContext, claims: TokenClaims, action: string, scope: string): boolean {
  if (hasPermission(ctx.core, claims, [action])) return true;
  armError(
    ctx,
    403,
    "AuthorizationFailed",
    `The client '${claims.appid}' with object id '${claims.oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
  return false;
}

function lroHeaders(ctx: RequestContext, op: ArmOperationState, withLocation: boolean): Record<string, string> {
  const apiVersion = ctx.query.get("api-version") ?? "";
  const base = `${ctx.core.baseUrl}/subscriptions/${op.subscriptionId}/providers/Microsoft.Network/locations/${op.location}`;
  const headers: Record<string, string> = {
    ...armHeaders(ctx),
    "Azure-AsyncOperation": `${base}/operations/${op.id}?api-version=${apiVersion}`,
  };
  if (withLocation) headers.Location = `${base}/operationResults/${op.id}?api-version=${apiVersion}`;
  const retryAfter = ctx.core.options.arm.retryAfterSeconds;
  if (retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
  return headers;
}

function newOperation(
  ctx: RequestContext,
  nsg: NsgState,
  kind: "put" | "delete",
  onSucceeded: () => void,
  onFailed: () => void,
): ArmOperationState {
  const op: ArmOperationState = {
    id: guid(),
    subscriptionId: nsg.subscriptionId,
    location: nsg.location,
    nsgKey: nsgKey(nsg),
    kind,
    status: "InProgress",
    remainingPolls: ctx.core.options.arm.inProgressPolls,
    error: ctx.core.armFailures.shift(),
    onSucceeded,
    onFailed,
  };
  ctx.core.state.armOperations.set(op.id, op);
  return op;
}

function nsgKey(n: NsgState): string {
  return `${n.subscriptionId}/${n.resourceGroup}/${n.name}`.toLowerCase();
}

/** One poll: counts down, then settles the operation. */
function poll(op: ArmOperationState): void {
  if (op.status !== "InProgress") return;
  if (op.remainingPolls > 0) {
    op.remainingPolls--;
    return;
  }
  if (op.error) {
    op.status = "Failed";
    op.onFailed();
  } else {
    op.status = "Succeeded";
    op.onSucceeded();
  }
}

function validPrefix(value: string): boolean {
  if (value === "*") return true;
  // Service tags (Internet, VirtualNetwork, AzureLoadBalancer, Storage.WestEurope, ...): the published ones only.
  if (TAGS.has(value.toLowerCase())) return true;
  return (
    ipaddr.IPv4.isValidFourPartDecimal(value) ||
    ipaddr.IPv4.isValidCIDRFourPartDecimal(value) ||
    ipaddr.IPv6.isValid(value) ||
    ipaddr.IPv6.isValidCIDR(value)
  );
}

function validPortRange(value: string): boolean {
  if (value === "*") return true;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return from >= 0 && to <= 65535 && from <= to;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

/** Validates a PUT body; answers 400 and returns undefined when it is not acceptable. */
function parseRule(ctx: RequestContext, name: string): SecurityRuleProperties | undefined {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  const props = isRecord(body) ? body.properties : undefined;
  if (!isRecord(props)) {
    armError(ctx, 400, "InvalidRequestFormat", "Cannot parse the request.");
    return undefined;
  }
  const [minPriority, maxPriority] = ctx.core.options.arm.priorityRange;
  const priority = props.priority;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < minPriority || priority > maxPriority) {
    armError(
      ctx,
      400,
      "SecurityRuleInvalidPriority",
      `Security rule has invalid Priority. Value provided: ${String(priority ?? 0)} Allowed range ${minPriority}-${maxPriority}.`,
    );
    return undefined;
  }
  const protocol = PROTOCOLS.find((p) => typeof props.protocol === "string" && p.toLowerCase() === props.protocol.toLowerCase());
  const access = ["Allow", "Deny"].find((a) => typeof props.access === "string" && a.toLowerCase() === props.access.toLowerCase());
  const direction = ["Inbound", "Outbound"].find((d) => typeof props.direction === "string" && d.toLowerCase() === props.direction.toLowerCase());
  if (!protocol || !access || !direction) {
    const field = !protocol ? "protocol" : !access ? "access" : "direction";
    armError(ctx, 400, "InvalidRequestFormat", `Cannot parse the request. Security rule ${name} has an invalid or missing '${field}'.`);
    return undefined;
  }
  const rule: SecurityRuleProperties = {
    protocol,
    access,
    direction,
    priority,
    sourcePortRanges: strings(props.sourcePortRanges) ?? [],
    destinationPortRanges: strings(props.destinationPortRanges) ?? [],
    sourceAddressPrefixes: strings(props.sourceAddressPrefixes) ?? [],
    destinationAddressPrefixes: strings(props.destinationAddressPrefixes) ?? [],
    provisioningState: "Updating",
  };
  if (typeof props.sourcePortRange === "string") rule.sourcePortRange = props.sourcePortRange;
  if (typeof props.destinationPortRange === "string") rule.destinationPortRange = props.destinationPortRange;
  if (typeof props.sourceAddressPrefix === "string") rule.sourceAddressPrefix = props.sourceAddressPrefix;
  if (typeof props.destinationAddressPrefix === "string") rule.destinationAddressPrefix = props.destinationAddressPrefix;
  if (typeof props.description === "string") rule.description = props.description;

  const sources = rule.sourceAddressPrefix !== undefined ? [rule.sourceAddressPrefix] : rule.sourceAddressPrefixes;
  const destinations = rule.destinationAddressPrefix !== undefined ? [rule.destinationAddressPrefix] : rule.destinationAddressPrefixes;
  for (const [label, list] of [["source", sources], ["destination", destinations]] as const) {
    if (list.length === 0) {
      armError(ctx, 400, "SecurityRuleParameterMissing", `Security rule ${name} is missing a ${label} address prefix.`);
      return undefined;
    }
    const bad = list.find((p) => !validPrefix(p));
    if (bad !== undefined) {
      armError(ctx, 400, "SecurityRuleInvalidAddressPrefix", `Security rule ${name} has invalid Address prefix. Value provided: ${bad}.`);
      return undefined;
    }
  }
  const srcPorts = rule.sourcePortRange !== undefined ? [rule.sourcePortRange] : rule.sourcePortRanges;
  const dstPorts = rule.destinationPortRange !== undefined ? [rule.destinationPortRange] : rule.destinationPortRanges;
  for (const [label, list] of [["source", srcPorts], ["destination", dstPorts]] as const) {
    if (list.length === 0) {
      armError(ctx, 400, "SecurityRuleParameterMissing", `Security rule ${name} is missing a ${label} port range.`);
      return undefined;
    }
    const bad = list.find((p) => !validPortRange(p));
    if (bad !== undefined) {
      armError(ctx, 400, "SecurityRuleInvalidPortRange", `Security rule has invalid Port range. Value provided: ${bad}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.`);
      return undefined;
    }
  }
  return rule;
}

/** Answers 412 and returns false when the request's If-Match does not name `rule`'s etag. */
function preconditionHolds(ctx: RequestContext, nsg: NsgState, name: string, rule: SecurityRuleState | undefined): boolean {
  const ifMatch = header(ctx, "if-match");
  if (ifMatch === undefined) return true;
  if (rule && (ifMatch === "*" || ifMatch === rule.etag)) return true;
  armError(
    ctx,
    412,
    "PreconditionFailed",
    rule
      ? `Precondition failed for ${nsgId(nsg)}/securityRules/${name}: the etag ${ifMatch} given in If-Match does not match its current etag ${rule.etag}.`
      : `Precondition failed for ${nsgId(nsg)}/securityRules/${name}: the resource does not exist.`,
  );
  return false;
}

/** IP addresses and ranges of a list of prefixes (tags and `*` are not counted). */
function addressCount(single: string | undefined, list: string[]): number {
  const isAddress = (p: string) => p !== "*" && !TAGS.has(p.toLowerCase());
  return (single !== undefined && isAddress(single) ? 1 : 0) + list.filter(isAddress).length;
}

/** The address families of the IP prefixes in a list. */
function families(list: string[]): Set<string> {
  const out = new Set<string>();
  for (const p of list) {
    if (p === "*" || TAGS.has(p.toLowerCase())) continue;
    out.add(p.includes(":") ? "IPv6" : "IPv4");
  }
  return out;
}

/** ARM's limits on an NSG, checked on the rules it would hold after writing `props` as `key`. */
function withinLimits(ctx: RequestContext, nsg: NsgState, key: string, name: string, props: SecurityRuleProperties): boolean {
  for (const [label, list] of [
    ["SourceAddressPrefixes", props.sourceAddressPrefix !== undefined ? [props.sourceAddressPrefix] : props.sourceAddressPrefixes],
    ["DestinationAddressPrefixes", props.destinationAddressPrefix !== undefined ? [props.destinationAddressPrefix] : props.destinationAddressPrefixes],
  ] as const) {
    if (families(list).size > 1) {
      armError(
        ctx,
        400,
        "ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies",
        `Security rule ${nsgId(nsg)}/securityRules/${name} contains IP addresses or prefixes in ${label} that belong to different address families. All IP addresses or prefixes in the resource should belong to the same address family.`,
      );
      return false;
    }
  }
  const { maxRules, maxPrefixes } = ctx.core.options.arm;
  const others = [...nsg.rules.entries()].filter(([k]) => k !== key).map(([, r]) => r.properties);
  if (others.length + 1 > maxRules) {
    armError(ctx, 400, "SecurityRuleCountLimitReached", `A security group cannot have more than ${maxRules} security rules.`);
    return false;
  }
  const all = [...others, props];
  for (const [label, count] of [
    ["SourceAddressPrefixes", all.reduce((n, r) => n + addressCount(r.sourceAddressPrefix, r.sourceAddressPrefixes), 0)],
    ["DestinationAddressPrefixes", all.reduce((n, r) => n + addressCount(r.destinationAddressPrefix, r.destinationAddressPrefixes), 0)],
  ] as const) {
    if (count > maxPrefixes) {
      armError(
        ctx,
        400,
        "SecurityRuleAddressesOrPortsPerSecurityGroupLimitReached",
        `Network security group ${nsgId(nsg)} has ${count} ${label}. A security group cannot have more than ${maxPrefixes} ${label} as per the limit MaxSecurityRuleAddressesOrPortsPerSecurityGroup.`,
      );
      return false;
    }
  }
  return true;
}

function inFlight(ctx: RequestContext, nsg: NsgState): ArmOperationState | undefined {
  const key = nsgKey(nsg);
  return [...ctx.core.state.armOperations.values()].find((op) => op.nsgKey === key && op.status === "InProgress");
}

function putRule(ctx: RequestContext, nsg: NsgState, name: string): void {
  if (!RULE_NAME.test(name)) {
    armError(
      ctx,
      400,
      "InvalidResourceName",
      `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
    );
    return;
  }
  const key = name.toLowerCase();
  if (!preconditionHolds(ctx, nsg, name, nsg.rules.get(key))) return;
  const props = parseRule(ctx, name);
  if (!props) return;
  const conflict = [...nsg.rules.values()].find(
    (r) => r.name.toLowerCase() !== key && r.properties.direction === props.direction && r.properties.priority === props.priority,
  );
  if (conflict) {
    armError(
      ctx,
      400,
      "SecurityRuleConflict",
      `Security rule ${conflict.name} conflicts with rule ${name}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules.`,
    );
    return;
  }
  if (!withinLimits(ctx, nsg, key, name, props)) return;
  const running = inFlight(ctx, nsg);
  if (ctx.core.options.arm.rejectConcurrent && running) {
    armError(
      ctx,
      409,
      "AnotherOperationInProgress",
      `Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: ${ctx.core.baseUrl}/subscriptions/${running.subscriptionId}/providers/Microsoft.Network/locations/${running.location}/operations/${running.id}?api-version=${ctx.query.get("api-version") ?? ""}.`,
    );
    return;
  }
  const previous = nsg.rules.get(key);
  const rule: SecurityRuleState = { name: previous?.name ?? name, etag: `W/"${guid()}"`, properties: props };
  nsg.rules.set(key, rule);
  nsg.etag = rule.etag;
  const op = newOperation(
    ctx,
    nsg,
    "put",
    () => {
      rule.properties.provisioningState = "Succeeded";
    },
    () => {
      if (previous) nsg.rules.set(key, previous);
      else nsg.rules.delete(key);
    },
  );
  sendJson(ctx, previous ? 200 : 201, ruleJson(nsg, rule), lroHeaders(ctx, op, false));
}

function deleteRule(ctx: RequestContext, nsg: NsgState, name: string): void {
  const key = name.toLowerCase();
  const rule = nsg.rules.get(key);
  if (!rule && header(ctx, "if-match") === undefined) {
    sendEmpty(ctx, 204, armHeaders(ctx));
    return;
  }
  if (!preconditionHolds(ctx, nsg, name, rule) || !rule) return;
  rule.properties.provisioningState = "Deleting";
  const op = newOperation(
    ctx,
    nsg,
    "delete",
    () => {
      nsg.rules.delete(key);
      nsg.etag = `W/"${guid()}"`;
    },
    () => {
      rule.properties.provisioningState = "Succeeded";
    },
  );
  sendEmpty(ctx, 202, lroHeaders(ctx, op, true));
}

function operation(ctx: RequestContext, subscriptionId: string, opId: string, results: boolean): void {
  const op = ctx.core.state.armOperations.get(opId.toLowerCase());
  if (!op || op.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
    armError(ctx, 404, "OperationNotFound", `Operation ${opId} not found.`);
    return;
  }
  poll(op);
  if (results) {
    // Location-style polling: 202 while running, 204 (delete) / 200 once done.
    if (op.status === "InProgress") sendEmpty(ctx, 202, lroHeaders(ctx, op, true));
    else if (op.status === "Failed" && op.error) armError(ctx, 400, op.error.code, op.error.message);
    else sendEmpty(ctx, 204, armHeaders(ctx));
    return;
  }
  const body: Record<string, unknown> = { status: op.status };
  if (op.status === "Failed" && op.error) body.error = { code: op.error.code, message: op.error.message, details: [] };
  const headers = armHeaders(ctx);
  const retryAfter = ctx.core.options.arm.retryAfterSeconds;
  if (op.status === "InProgress" && retryAfter !== undefined) headers["Retry-After"] = String(retryAfter);
  sendJson(ctx, 200, body, headers);
}

export function handleArm(ctx: RequestContext): void {
  const seg = ctx.segments;
  const lower = seg.map((s) => s.toLowerCase());
  const subscriptionId = seg[1] ?? "";
  const sub = ctx.core.state.subscriptions.get(subscriptionId.toLowerCase());
  const claims = authorize(ctx, sub, subscriptionId);
  if (!claims || !sub) return;
  const apiVersion = ctx.query.get("api-version");
  if (!apiVersion) {
    armError(ctx, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    return;
  }
  if (!NETWORK_API_VERSIONS.includes(apiVersion)) {
    armError(
      ctx,
      400,
      "InvalidApiVersionParameter",
      `The api-version '${apiVersion}' is invalid. The supported versions are '${NETWORK_API_VERSIONS.join(",")}'.`,
    );
    return;
  }
  // The 2024 token buckets: per subscription, principal and operation type.
  const kind = ctx.method === "GET" || ctx.method === "HEAD" ? "read" : ctx.method === "DELETE" ? "delete" : "write";
  const throttled = ctx.core.throttle.bucket(`arm|${sub.subscriptionId.toLowerCase()}|${claims.oid}|${kind}`, ARM_BUCKETS[kind]);
  if (throttled) {
    armError(
      ctx,
      429,
      "SubscriptionRequestsThrottled",
      `Number of '${kind}' requests for subscription '${sub.subscriptionId}' actor '${claims.oid}' on tenant '${claims.tid}' exceeded. Please try again after '${throttled.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
      { "Retry-After": String(throttled.retryAfterSeconds), [`x-ms-ratelimit-remaining-subscription-${ARM_BUCKETS[kind].label}`]: "0" },
    );
    return;
  }

  // /subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operations|operationResults/{id}
  if (lower[2] === "providers" && lower[3] === "microsoft.network" && lower[4] === "locations" && seg.length === 8 && ctx.method === "GET") {
    if (lower[6] === "operations" || lower[6] === "operationresults") {
      operation(ctx, subscriptionId, seg[7] ?? "", lower[6] === "operationresults");
      return;
    }
  }

  // /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{nsg}[/securityRules[/{rule}]]
  const isNsgPath =
    lower[2] === "resourcegroups" && lower[4] === "providers" && lower[5] === "microsoft.network" && lower[6] === "networksecuritygroups";
  if (!isNsgPath || seg.length < 8 || seg.length > 10 || (seg.length >= 9 && lower[8] !== "securityrules")) {
    armError(ctx, 400, "InvalidResourceType", `The resource type could not be found in the namespace for api version '${ctx.query.get("api-version") ?? ""}'.`);
    return;
  }
  const rg = seg[3] ?? "";
  const nsgName = seg[7] ?? "";
  const ruleName = seg[9];
  const scope = `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${nsgName}${ruleName ? `/securityRules/${ruleName}` : ""}`;
  const m = ctx.method;
  const action =
    seg.length === 8 ? NSG_READ : m === "PUT" ? RULE_WRITE : m === "DELETE" ? RULE_DELETE : RULE_READ;
  if (!requireAction(ctx, claims, action, scope)) return;
  if (!sub.resourceGroups.has(rg.toLowerCase())) {
    armError(ctx, 404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`);
    return;
  }
  const nsg = sub.nsgs.get(`${rg}/${nsgName}`.toLowerCase());
  if (!nsg) {
    if (seg.length === 8) {
      armError(
        ctx,
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.Network/networkSecurityGroups/${nsgName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    } else {
      armError(ctx, 404, "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${nsgName}' not found.`);
    }
    return;
  }

  if (seg.length === 8) {
    if (m !== "GET") return armError(ctx, 405, "MethodNotAllowed", `The requested method ${m} is not supported here.`);
    sendJson(ctx, 200, nsgJson(nsg), armHeaders(ctx));
    return;
  }
  if (seg.length === 9) {
    if (m !== "GET") return armError(ctx, 405, "MethodNotAllowed", `The requested method ${m} is not supported here.`);
    sendJson(ctx, 200, { value: [...nsg.rules.values()].map((r) => ruleJson(nsg, r)) }, armHeaders(ctx));
    return;
  }
  const name = ruleName ?? "";
  if (m === "GET") {
    const rule = nsg.rules.get(name.toLowerCase());
    if (!rule) return armError(ctx, 404, "NotFound", `Resource ${scope} not found.`);
    sendJson(ctx, 200, ruleJson(nsg, rule), armHeaders(ctx));
  } else if (m === "PUT") {
    putRule(ctx, nsg, name);
  } else if (m === "DELETE") {
    deleteRule(ctx, nsg, name);
  } else {
    armError(ctx, 405, "MethodNotAllowed", `The requested method ${m} is not supported here.`);
  }
}
