// Two tenants from MDR_TENANTS_FILE, each with its own app registration, subscription, network ACL
// and AWS keys: Contoso (tenant A, the default; no NSG) and Fabrikam (tenant B). Shared by the live
// API suites (tests/api/live.ts re-exports it) and the browser suite (tenant-scope.spec.ts): no vitest here.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type EmulatorCerts, certsFromEnv, trustEnv } from "../emulator/certs";
import { ACL_A, ACL_B, CLIENT_A, CLIENT_B, RESOURCE_GROUP, SUBSCRIPTION_B, NSG, TENANT_A, TENANT_B } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";

export const KEY_A = { id: "AKIATENANTAEXAMPLE01", secret: "tenant-a/aws/secret" };
export const KEY_B = { id: "AKIATENANTBEXAMPLE02", secret: "tenant-b/aws/secret" };

/**
 * Environment of a product server in live mode with both tenants, every service pointed at the
 * emulator. `certs`: the emulator's certificate (default: the one vitest's globalSetup passed down).
 */
export function tenantsEnv(emu: Emulator, certs: EmulatorCerts | undefined = certsFromEnv()): Record<string, string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-live-tenants-")), "tenants.json");
  fs.writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        {
          tenant_id: TENANT_A,
          name: "Contoso",
          client_id: CLIENT_A.clientId,
          client_secret_env: "MDR_TEST_SECRET_A",
          // No NSG for Contoso.
          aws_nacl: { region: "eu-west-1", network_acl_id: ACL_A, access_key_id_env: "MDR_TEST_KEY_A", secret_access_key_env: "MDR_TEST_SECRET_KEY_A" },
        },
        {
          tenant_id: TENANT_B,
          name: "Fabrikam",
          client_id: CLIENT_B.clientId,
          client_secret: CLIENT_B.clientSecret,
          azure_nsg: { subscription_id: SUBSCRIPTION_B, resource_group: RESOURCE_GROUP, nsg_name: NSG, priority_range: "200-299" },
          aws_nacl: {
            region: "us-east-2",
            network_acl_id: ACL_B,
            rule_range: "10-20",
            access_key_id_env: "MDR_TEST_KEY_B",
            secret_access_key_env: "MDR_TEST_SECRET_KEY_B",
          },
        },
      ],
    }),
  );
  if (!certs) throw new Error("the emulator certificate is not in the environment");
  return {
    ...trustEnv(certs),
    MDR_MODE: "live",
    MDR_TENANTS_FILE: file,
    MDR_TEST_SECRET_A: CLIENT_A.clientSecret,
    MDR_TEST_KEY_A: KEY_A.id,
    MDR_TEST_SECRET_KEY_A: KEY_A.secret,
    MDR_TEST_KEY_B: KEY_B.id,
    MDR_TEST_SECRET_KEY_B: KEY_B.secret,
    AZURE_AUTHORITY_HOST: emu.urls.authorityHost,
    MDE_API_URL: emu.urls.defender,
    GRAPH_API_URL: emu.urls.graph,
    AZURE_RESOURCE_MANAGER_URL: emu.urls.arm,
    AWS_ENDPOINT_URL_EC2: emu.urls.ec2,
    // Nothing from the single-tenant variables or the AWS default chain may stand in.
    AZURE_TENANT_ID: "",
    AZURE_CLIENT_ID: "",
    AZURE_CLIENT_SECRET: "",
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_REGION: "",
  };
}


/** liveSetup's settings for the two tenants: the tenants file, and an EC2 that knows both keys and both regions. */
export const TWO_TENANTS = {
  env: (emu: Emulator) => tenantsEnv(emu),
  emulator: {
    aws: {
      credentials: [KEY_A, KEY_B].map((k) => ({ accessKeyId: k.id, secretAccessKey: k.secret })),
      region: ["eu-west-1", "us-east-2"],
    },
  },
};
