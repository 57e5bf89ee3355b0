// The simulated "Contoso" tenant as it looks when the simulation starts. Exported so tests,
// demos and documentation can name real-looking hosts, users and messages. Times are kept as
// offsets and turned into timestamps when a simulation is created, so the data never looks stale.
import type { MailFolder } from "@/lib/mdr/providers/types";
import { seededGraphMessageId, seededHexId } from "./ids";
import MAILBOXES from "./mailboxes.json";

export { SIM_TENANT_ID } from "@/lib/config";

export interface SimDeviceSeed {
  readonly id: string;
  readonly computerDnsName: string;
  readonly osPlatform: "Windows11" | "Windows10" | "WindowsServer2022" | "Linux" | "macOS";
  readonly healthStatus: "Active" | "Inactive";
  readonly lastSeenMinutesAgo: number;
}

export const SIM_DEVICES: readonly SimDeviceSeed[] = [
  { id: "792546cf2e567740bf14f0c192a6163af1c517a6", computerDnsName: "ws-0142.corp.contoso.com", osPlatform: "Windows11", healthStatus: "Active", lastSeenMinutesAgo: 4 },
  { id: "6c8fb1010cc650d2bed52cb3d5964d9a6922db66", computerDnsName: "ws-0143.corp.contoso.com", osPlatform: "Windows11", healthStatus: "Active", lastSeenMinutesAgo: 12 },
  { id: "6a61f9fc25b7fb7ba58120d1ee59660d07744bd6", computerDnsName: "ws-0144.corp.contoso.com", osPlatform: "Windows10", healthStatus: "Active", lastSeenMinutesAgo: 37 },
  { id: "b8fe7aad74c97dea80ed77e7584cee1c853ca169", computerDnsName: "laptop-jdoe.corp.contoso.com", osPlatform: "Windows11", healthStatus: "Active", lastSeenMinutesAgo: 8 },
  { id: "15a76cf0dc1c9ca7e970163573cc87fa9d874542", computerDnsName: "laptop-asmith.corp.contoso.com", osPlatform: "macOS", healthStatus: "Active", lastSeenMinutesAgo: 95 },
  { id: "577bb136dbdc9997c1472e8957f67d7a224db109", computerDnsName: "ws-finance-07.corp.contoso.com", osPlatform: "Windows10", healthStatus: "Active", lastSeenMinutesAgo: 21 },
  { id: "c51370c840812b6e3c1a42178735275ebd913bf9", computerDnsName: "ws-finance-07.lab.contoso.com", osPlatform: "Windows10", healthStatus: "Active", lastSeenMinutesAgo: 180 },
  { id: "d56c313eda969da5859817d378005548ed8a511d", computerDnsName: "srv-web-01.corp.contoso.com", osPlatform: "WindowsServer2022", healthStatus: "Active", lastSeenMinutesAgo: 2 },
  { id: "2a41caa935d409777f96d445d88a1c23fd19f625", computerDnsName: "srv-sql-02.corp.contoso.com", osPlatform: "WindowsServer2022", healthStatus: "Active", lastSeenMinutesAgo: 6 },
  { id: "86d866673ab3d5aa6322d31b88a4066a287480a2", computerDnsName: "dc-01.corp.contoso.com", osPlatform: "WindowsServer2022", healthStatus: "Active", lastSeenMinutesAgo: 1 },
  { id: "4a5d0dd299abda399880ae39d186274589a9f936", computerDnsName: "lnx-build-03.corp.contoso.com", osPlatform: "Linux", healthStatus: "Active", lastSeenMinutesAgo: 15 },
  // Offline for days: like a real offline device, an isolation request for it stays Pending.
  { id: "b8954156f34c8907a51e64830764c1a1729b5ece", computerDnsName: "ws-0157.corp.contoso.com", osPlatform: "Windows10", healthStatus: "Inactive", lastSeenMinutesAgo: 4 * 24 * 60 + 130 },
];

/** Most generated devices a simulation may add (MDR_SIM_EXTRA_DEVICES). */
export const SIM_MAX_EXTRA_DEVICES = 1_000_000;

/**
 * The n-th generated device (1-based): fleet-000001.fleet.contoso.com and so on, online, with a
 * stable machine id. Load tests need one fresh host per isolation, since a host that is already
 * isolated is refused; the dozen seeded devices stay the ones the page suggests.
 */
export function simFleetDevice(n: number): SimDeviceSeed {
  const name = `fleet-${String(n).padStart(6, "0")}.fleet.contoso.com`;
  return {
    // 32 hex digits that look random, then n itself: unique by construction, not by luck.
    id: seededHexId(`fleet:${n}`, 16) + n.toString(16).padStart(8, "0"),
    computerDnsName: name,
    osPlatform: n % 5 === 0 ? "WindowsServer2022" : "Windows11",
    healthStatus: "Active",
    lastSeenMinutesAgo: 1 + (n % 60),
  };
}

export interface SimUserSeed {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly accountEnabled: boolean;
}

export const SIM_USERS: readonly SimUserSeed[] = [
  { id: "c60dd42c-2217-4a04-8373-948c5202db52", userPrincipalName: "alice@contoso.com", displayName: "Alice Johnson", accountEnabled: true },
  { id: "e0bf0105-8235-4cc9-85d0-662e2748ba09", userPrincipalName: "bob@contoso.com", displayName: "Bob Martinez", accountEnabled: true },
  { id: "ac797ebb-e432-4e05-9761-bbf27b9ac27a", userPrincipalName: "carol@contoso.com", displayName: "Carol Nguyen", accountEnabled: true },
  { id: "285c88ac-5c66-4208-a7c3-50f814e62d07", userPrincipalName: "dave@contoso.com", displayName: "Dave Okafor", accountEnabled: true },
  { id: "cc425615-3889-4ee9-a6e5-ce54625c4c19", userPrincipalName: "jdoe@contoso.com", displayName: "John Doe", accountEnabled: true },
  { id: "c09cbd35-c145-4d33-8091-f736490589a0", userPrincipalName: "svc-backup@contoso.com", displayName: "Backup Service Account", accountEnabled: true },
  { id: "8aa7fa84-a58f-47e0-92b9-0aa9921bc916", userPrincipalName: "breakglass-01@contoso.com", displayName: "Break Glass 01", accountEnabled: true },
  { id: "81a601e5-5118-4124-b38e-89243da876bf", userPrincipalName: "former.employee@contoso.com", displayName: "Former Employee", accountEnabled: false },
];

export interface SimMessageSeed {
  readonly id: string;
  readonly internetMessageId: string;
  readonly subject: string;
  readonly from: string;
  readonly receivedMinutesAgo: number;
  readonly parentFolderId: MailFolder;
}

/** The phishing email delivered to several mailboxes: the usual quarantine demo. */
export const SIM_PHISHING_MESSAGE = {
  internetMessageId: "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>",
  subject: "Action required: verify your payroll details",
  from: "payroll@contoso-hr-portal.com",
  recipients: ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"],
} as const;

type MessageDraft = Omit<SimMessageSeed, "id" | "parentFolderId">;

const phish: MessageDraft = {
  internetMessageId: SIM_PHISHING_MESSAGE.internetMessageId,
  subject: SIM_PHISHING_MESSAGE.subject,
  from: SIM_PHISHING_MESSAGE.from,
  receivedMinutesAgo: 47,
};

// The other mail of each mailbox, newest first (data: simulation/mailboxes.json); the phishing
// message comes first in each of its recipients' inboxes.
const DRAFTS: Record<string, MessageDraft[]> = Object.fromEntries(
  Object.entries(MAILBOXES as Record<string, MessageDraft[]>).map(([mailbox, mail]) => [
    mailbox,
    [...((SIM_PHISHING_MESSAGE.recipients as readonly string[]).includes(mailbox) ? [phish] : []), ...mail],
  ]),
);

/** Seeded mail by mailbox (lower-case UPN), every message in the inbox. */
export const SIM_MAILBOXES: Readonly<Record<string, readonly SimMessageSeed[]>> = Object.fromEntries(
  Object.entries(DRAFTS).map(([mailbox, drafts]) => [
    mailbox,
    drafts.map((d, i) => ({ ...d, id: seededGraphMessageId(mailbox, String(i)), parentFolderId: "inbox" as const })),
  ]),
);

export interface SimNsgRuleSeed {
  readonly name: string;
  readonly priority: number;
  readonly access: "Allow" | "Deny";
  readonly sourceAddressPrefix: string;
  readonly destinationPortRange: string;
  readonly description: string;
}

/** The one network security group the simulated azure_nsg firewall writes to. */
export const SIM_NSG = {
  resourceGroup: "rg-prod-network",
  name: "nsg-prod-eastus",
  // 100 and 102 are taken so the first free priority in the default range (100-199) is 101.
  rules: [
    { name: "AllowBastionInbound", priority: 100, access: "Allow", sourceAddressPrefix: "10.10.250.0/26", destinationPortRange: "3389", description: "Azure Bastion to RDP" },
    { name: "AllowAzureLoadBalancer", priority: 102, access: "Allow", sourceAddressPrefix: "AzureLoadBalancer", destinationPortRange: "*", description: "Health probes" },
    { name: "AllowHttpsInbound", priority: 300, access: "Allow", sourceAddressPrefix: "Internet", destinationPortRange: "443", description: "Public web tier" },
  ] as readonly SimNsgRuleSeed[],
  /** ARM's limits: rules per NSG, IP addresses and ranges its rules name as sources. */
  maxRules: 1000,
  maxSourcePrefixes: 4000,
};
export type SimNsgSeed = typeof SIM_NSG;

export interface SimNaclEntrySeed {
  readonly ruleNumber: number;
  readonly cidr: string;
  readonly ruleAction: "allow" | "deny";
}

/** The inbound side of the network ACL the simulated aws_sg firewall writes deny entries to. */
export const SIM_NACL = {
  networkAclId: "acl-0a1b2c3d4e5f67890",
  vpcId: "vpc-0f1e2d3c4b5a69788",
  inbound: [
    // An older manual block, so rule number 1 is taken and the range starts with a hole.
    { ruleNumber: 1, cidr: "198.51.100.0/24", ruleAction: "deny" },
    { ruleNumber: 100, cidr: "0.0.0.0/0", ruleAction: "allow" },
    { ruleNumber: 101, cidr: "::/0", ruleAction: "allow" },
  ] as readonly SimNaclEntrySeed[],
  /** AWS default quota: inbound entries per address family, the default deny entry included. */
  maxEntriesPerFamily: 20,
};
export type SimNaclSeed = typeof SIM_NACL;

/** The AWS WAF v2 IP sets the simulated aws_waf firewall adds addresses to: one per address family. */
export const SIM_WAF = {
  ipv4: {
    arn: "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/mdr-blocked-v4/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    // An address blocked by hand before the app: a block of it succeeds, and its undo leaves it there.
    addresses: ["198.51.100.77/32"],
  },
  ipv6: {
    arn: "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/mdr-blocked-v6/6f5e4d3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f",
    addresses: [] as string[],
  },
} as const;
export type SimWafSeed = typeof SIM_WAF;

/** Defender's limit on indicators per tenant. */
export const SIM_MAX_INDICATORS = 15_000;
