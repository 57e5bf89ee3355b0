// Turns a seed (what a test declares) into live state. Ids a test may want to predict —
// device ids, user ids, folder ids — derive from names, so they survive reset().
import crypto from "node:crypto";
import { guid } from "./http";
import { newMessageId, WELL_KNOWN_FOLDERS } from "./graph";
import { checkPermissionNames } from "./permissions";
import { lockToken } from "./waf";
import type {
  AclEntryState,
  AclState,
  ClientState,
  DeviceState,
  EmulatorSeed,
  EmulatorState,
  IndicatorState,
  IpSetState,
  MailboxState,
  NsgState,
  SecurityRuleState,
  SubscriptionState,
  TenantState,
  UserState,
  WellKnownFolder,
} from "./types";

function sha1(text: string): string {
  return crypto.createHash("sha1").update(text).digest("hex");
}

/** A stable GUID-shaped id derived from `text`. */
export function stableGuid(text: string): string {
  const h = sha1(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The Defender id a seeded device gets when the seed names none. */
export function deviceIdFor(tenantId: string, computerDnsName: string): string {
  return sha1(`${tenantId.toLowerCase()}/${computerDnsName.toLowerCase()}`);
}

/** The Graph id a seeded user gets when the seed names none. */
export function userIdFor(tenantId: string, userPrincipalName: string): string {
  return stableGuid(`${tenantId.toLowerCase()}/${userPrincipalName.toLowerCase()}`);
}

function folderId(upn: string, folder: WellKnownFolder): string {
  return `AAMkAD${Buffer.from(sha1(`${upn.toLowerCase()}/${folder}`), "hex").toString("base64url")}AAA=`;
}

function buildTenant(seed: EmulatorSeed["tenants"][number]): TenantState {
  const tenant: TenantState = {
    tenantId: seed.tenantId,
    displayName: seed.displayName ?? seed.tenantId,
    clients: new Map(),
    devices: new Map(),
    machineActions: new Map(),
    users: new Map(),
    indicators: new Map(),
    nextIndicatorId: 1000,
  };
  for (const c of seed.clients) {
    if (c.permissions) checkPermissionNames(c.permissions);
    const client: ClientState = {
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      displayName: c.displayName ?? c.clientId,
      objectId: stableGuid(`${seed.tenantId}/sp/${c.clientId}`),
      permissions: c.permissions ? [...c.permissions] : "all",
    };
    tenant.clients.set(c.clientId.toLowerCase(), client);
  }
  const seenAt = "2025-01-01T00:00:00Z";
  for (const d of seed.devices ?? []) {
    const device: DeviceState = {
      id: (d.id ?? deviceIdFor(seed.tenantId, d.computerDnsName)).toLowerCase(),
      computerDnsName: d.computerDnsName,
      osPlatform: d.osPlatform ?? "Windows11",
      healthStatus: d.healthStatus ?? "Active",
      lastIpAddress: d.lastIpAddress ?? "10.0.0.4",
      lastExternalIpAddress: d.lastExternalIpAddress ?? "203.0.113.10",
      firstSeen: seenAt,
      lastSeen: d.lastSeen ?? new Date().toISOString(),
      machineTags: d.machineTags ?? [],
      aadDeviceId: stableGuid(`${seed.tenantId}/aad/${d.computerDnsName}`),
      isolated: d.isolated ?? false,
      offline: d.offline ?? false,
      failActions: d.failActions ?? false,
    };
    tenant.devices.set(device.id, device);
  }
  for (const u of seed.users ?? []) {
    let mailbox: MailboxState | null = null;
    if (u.hasMailbox !== false) {
      const folderIds = Object.fromEntries(WELL_KNOWN_FOLDERS.map((f) => [f, folderId(u.userPrincipalName, f)])) as Record<
        WellKnownFolder,
        string
      >;
      mailbox = { folderIds, messages: new Map(), purged: [] };
      for (const m of u.messages ?? []) {
        const id = m.id ?? newMessageId();
        mailbox.messages.set(id, {
          id,
          internetMessageId: m.internetMessageId,
          subject: m.subject ?? "(no subject)",
          from: m.from ?? "sender@example.net",
          receivedDateTime: m.receivedDateTime ?? new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          folder: m.folder ?? "inbox",
          previousIds: [],
        });
      }
    }
    const [given, ...rest] = (u.displayName ?? "").split(" ");
    const user: UserState = {
      id: (u.id ?? userIdFor(seed.tenantId, u.userPrincipalName)).toLowerCase(),
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName ?? u.userPrincipalName.split("@")[0] ?? u.userPrincipalName,
      mail: u.mail ?? (u.userType === "Guest" ? null : u.userPrincipalName),
      givenName: given || null,
      surname: rest.join(" ") || null,
      accountEnabled: u.accountEnabled ?? true,
      userType: u.userType ?? "Member",
      privileged: u.privileged ?? false,
      sessionsRevokedAt: [],
      mailbox,
    };
    tenant.users.set(user.id, user);
  }
  for (const i of seed.indicators ?? []) {
    const now = new Date().toISOString();
    const indicator: IndicatorState = {
      id: i.id ?? String(tenant.nextIndicatorId++),
      indicatorValue: i.indicatorValue,
      indicatorType: i.indicatorType,
      action: i.action,
      application: null,
      source: "seed",
      sourceType: "User",
      createdBy: "seed@example.com",
      createdBySource: "Portal",
      severity: i.severity ?? "Informational",
      title: i.title ?? "seeded",
      description: i.description ?? "seeded",
      recommendedActions: null,
      creationTimeDateTimeUtc: now,
      expirationTime: i.expirationTime ?? null,
      lastUpdateTime: now,
      lastUpdatedBy: null,
      rbacGroupNames: [],
      generateAlert: false,
    };
    tenant.indicators.set(indicator.id, indicator);
  }
  return tenant;
}

function buildSubscription(seed: NonNullable<EmulatorSeed["subscriptions"]>[number]): SubscriptionState {
  const sub: SubscriptionState = {
    subscriptionId: seed.subscriptionId,
    tenantId: seed.tenantId,
    resourceGroups: new Set((seed.resourceGroups ?? []).map((g) => g.toLowerCase())),
    nsgs: new Map(),
  };
  for (const n of seed.nsgs ?? []) {
    sub.resourceGroups.add(n.resourceGroup.toLowerCase());
    const nsg: NsgState = {
      subscriptionId: seed.subscriptionId,
      resourceGroup: n.resourceGroup,
      name: n.name,
      location: n.location ?? "westeurope",
      resourceGuid: stableGuid(`${seed.subscriptionId}/${n.resourceGroup}/${n.name}`),
      etag: `W/"${guid()}"`,
      rules: new Map(),
    };
    for (const r of n.rules ?? []) {
      const rule: SecurityRuleState = {
        name: r.name,
        etag: `W/"${guid()}"`,
        properties: {
          protocol: r.protocol ?? "*",
          sourcePortRange: r.sourcePortRange ?? "*",
          destinationPortRange: r.destinationPortRange ?? "*",
          destinationAddressPrefix: r.destinationAddressPrefix ?? "*",
          sourcePortRanges: [],
          destinationPortRanges: [],
          sourceAddressPrefixes: r.sourceAddressPrefixes ?? [],
          destinationAddressPrefixes: [],
          access: r.access,
          priority: r.priority,
          direction: r.direction,
          provisioningState: "Succeeded",
        },
      };
      if (!r.sourceAddressPrefixes) rule.properties.sourceAddressPrefix = r.sourceAddressPrefix ?? "*";
      if (r.description !== undefined) rule.properties.description = r.description;
      nsg.rules.set(r.name.toLowerCase(), rule);
    }
    sub.nsgs.set(`${n.resourceGroup}/${n.name}`.toLowerCase(), nsg);
  }
  return sub;
}

function buildAcl(seed: NonNullable<EmulatorSeed["networkAcls"]>[number]): AclState {
  const entries: AclEntryState[] = (seed.entries ?? []).map((e) => {
    const entry: AclEntryState = { ruleNumber: e.ruleNumber, egress: e.egress, ruleAction: e.ruleAction, protocol: e.protocol ?? "-1" };
    if (e.cidrBlock !== undefined) entry.cidrBlock = e.cidrBlock;
    if (e.ipv6CidrBlock !== undefined) entry.ipv6CidrBlock = e.ipv6CidrBlock;
    if (e.portRange) entry.portRange = { ...e.portRange };
    return entry;
  });
  if (seed.defaultDenyEntries !== false) {
    for (const egress of [true, false]) {
      entries.push({ ruleNumber: 32767, protocol: "-1", ruleAction: "deny", egress, cidrBlock: "0.0.0.0/0" });
    }
  }
  return {
    networkAclId: seed.networkAclId,
    ...(seed.entriesLimit !== undefined ? { entriesLimit: seed.entriesLimit } : {}),
    vpcId: seed.vpcId ?? "vpc-0a1b2c3d4e5f60718",
    ownerId: seed.ownerId ?? "111122223333",
    isDefault: seed.isDefault ?? false,
    entries,
  };
}

function buildIpSet(seed: NonNullable<EmulatorSeed["ipSets"]>[number]): IpSetState {
  const m = /^arn:[\w-]+:wafv2:([\w-]+):\d{12}:(regional|global)\/ipset\/([\w-]+)\/([a-f0-9-]+)$/.exec(seed.arn);
  if (!m) throw new Error(`emulator: ${seed.arn} is not a WAF v2 IP set ARN`);
  const set: IpSetState = {
    arn: seed.arn,
    name: m[3]!,
    id: m[4]!,
    scope: m[2] === "global" ? "CLOUDFRONT" : "REGIONAL",
    region: m[1]!,
    ipAddressVersion: seed.ipAddressVersion,
    addresses: [...(seed.addresses ?? [])],
    lockToken: lockToken(),
    updates: 0,
  };
  if (seed.description !== undefined) set.description = seed.description;
  return set;
}

export function buildState(seed: EmulatorSeed): EmulatorState {
  return {
    ipSets: new Map((seed.ipSets ?? []).map((s) => [s.arn, buildIpSet(s)])),
    tenants: new Map(seed.tenants.map((t) => [t.tenantId.toLowerCase(), buildTenant(t)])),
    subscriptions: new Map((seed.subscriptions ?? []).map((s) => [s.subscriptionId.toLowerCase(), buildSubscription(s)])),
    networkAcls: new Map((seed.networkAcls ?? []).map((a) => [a.networkAclId, buildAcl(a)])),
    armOperations: new Map(),
  };
}
