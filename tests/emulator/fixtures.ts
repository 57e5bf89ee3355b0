// A ready-made seed: two tenants with their own app credentials, devices, users and mail, an
// Azure subscription per tenant with an NSG, two AWS network ACLs and two WAF IP sets. Tests may use it as is
// or spread and change it.
import type { EmulatorSeed } from "./types";

export const TENANT_A = "3f2a1b7c-0d4e-4a5b-9c6d-7e8f9a0b1c2d";
export const TENANT_B = "8c9d0e1f-2a3b-4c5d-8e6f-a7b8c9d0e1f2";
export const CLIENT_A = { clientId: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", clientSecret: "tenant-a-secret~value" };
export const CLIENT_B = { clientId: "d1e2f3a4-b5c6-4d7e-9f80-91a2b3c4d5e6", clientSecret: "tenant-b-secret~value" };
export const SUBSCRIPTION_A = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
export const SUBSCRIPTION_B = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
export const RESOURCE_GROUP = "rg-soc";
export const NSG = "nsg-edge";
export const ACL_A = "acl-0a1b2c3d4e5f60718";
export const ACL_B = "acl-0f1e2d3c4b5a69788";
export const AWS_KEY = { accessKeyId: "AKIAEMULATOREXAMPLE", secretAccessKey: "emulator/secret/key" };
/** WAF v2 IP sets (regional, eu-west-1): one per address family, as the aws_waf firewall wants them. */
export const WAF_V4 = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/mdr-blocked-v4/0f4c7e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
export const WAF_V6 = "arn:aws:wafv2:eu-west-1:111122223333:regional/ipset/mdr-blocked-v6/7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d";

export const SCOPES = {
  defender: "https://api.securitycenter.microsoft.com/.default",
  graph: "https://graph.microsoft.com/.default",
  arm: "https://management.azure.com/.default",
} as const;

export function exampleSeed(): EmulatorSeed {
  return {
    tenants: [
      {
        tenantId: TENANT_A,
        displayName: "Contoso",
        clients: [{ ...CLIENT_A, displayName: "MDR Response Actions" }],
        devices: [
          { computerDnsName: "ws-0142.contoso.com", osPlatform: "Windows11", lastIpAddress: "10.1.4.142" },
          { computerDnsName: "ws-0143.contoso.com", osPlatform: "Windows11" },
          // A quote in the name: the OData filter must escape it as ''.
          { computerDnsName: "o'brien-pc.contoso.com", osPlatform: "Windows10" },
          { computerDnsName: "laptop-offline.contoso.com", offline: true },
          { computerDnsName: "srv-db01.contoso.com", osPlatform: "Linux" },
        ],
        users: [
          {
            userPrincipalName: "alex.wilber@contoso.com",
            displayName: "Alex Wilber",
            messages: [
              { internetMessageId: "<phish-1@evil.example>", subject: "Invoice overdue", from: "billing@evil.example" },
              { internetMessageId: "<ok-1@contoso.com>", subject: "Lunch?", from: "megan@contoso.com" },
            ],
          },
          { userPrincipalName: "admin@contoso.com", displayName: "Global Admin", privileged: true },
          { userPrincipalName: "no.mailbox@contoso.com", displayName: "No Mailbox", hasMailbox: false },
        ],
      },
      {
        tenantId: TENANT_B,
        displayName: "Fabrikam",
        clients: [{ ...CLIENT_B, displayName: "MDR Response Actions (Fabrikam)" }],
        devices: [{ computerDnsName: "ws-0142.fabrikam.com" }],
        users: [
          {
            userPrincipalName: "pat.doe@fabrikam.com",
            displayName: "Pat Doe",
            messages: [{ internetMessageId: "<phish-1@evil.example>", subject: "Invoice overdue" }],
          },
        ],
      },
    ],
    subscriptions: [
      {
        subscriptionId: SUBSCRIPTION_A,
        tenantId: TENANT_A,
        nsgs: [
          {
            resourceGroup: RESOURCE_GROUP,
            name: NSG,
            location: "westeurope",
            rules: [
              { name: "allow-https-in", priority: 300, direction: "Inbound", access: "Allow", protocol: "Tcp", destinationPortRange: "443" },
            ],
          },
        ],
      },
      {
        subscriptionId: SUBSCRIPTION_B,
        tenantId: TENANT_B,
        nsgs: [{ resourceGroup: RESOURCE_GROUP, name: NSG, location: "northeurope" }],
      },
    ],
    networkAcls: [
      {
        networkAclId: ACL_A,
        vpcId: "vpc-0123456789abcdef0",
        entries: [
          { ruleNumber: 100, egress: false, ruleAction: "allow", cidrBlock: "0.0.0.0/0" },
          { ruleNumber: 100, egress: true, ruleAction: "allow", cidrBlock: "0.0.0.0/0" },
        ],
      },
      { networkAclId: ACL_B, vpcId: "vpc-0fedcba9876543210" },
    ],
    ipSets: [
      // An address blocked by hand, which no block of the app may take away.
      { arn: WAF_V4, ipAddressVersion: "IPV4", description: "Blocked by the SOC", addresses: ["192.0.2.44/32"] },
      { arn: WAF_V6, ipAddressVersion: "IPV6", addresses: [] },
    ],
  };
}
