// Live mode with Entra ID, Defender, Graph and ARM at the HTTPS emulator, as tenant A's app: the
// environment the provider-level tests build their configuration from (each adds its own systems).
import { CLIENT_A, TENANT_A } from "../emulator/fixtures";

export function emulatorEnv(url: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    MDR_MODE: "live",
    AZURE_TENANT_ID: TENANT_A,
    AZURE_CLIENT_ID: CLIENT_A.clientId,
    AZURE_CLIENT_SECRET: CLIENT_A.clientSecret,
    AZURE_AUTHORITY_HOST: url,
    MDE_API_URL: url,
    GRAPH_API_URL: url,
    AZURE_RESOURCE_MANAGER_URL: url,
    ...over,
  };
}
