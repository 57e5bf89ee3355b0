// Access tokens for each tenant, by client credentials through MSAL (which caches them until
// shortly before they expire).
import { ConfidentialClientApplication } from "@azure/msal-node";
import type { CloudEndpoints, TenantConfig } from "@/lib/config";
import { ProviderError, type Service } from "@/lib/mdr/providers/types";

/** Hosts MSAL knows as Microsoft clouds; any other authority (an emulator, a proxy) must be declared known. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.windows.net",
  "login.microsoft.com",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);

export class TokenSource {
  private readonly apps = new Map<string, ConfidentialClientApplication>();

  constructor(
    private readonly authorityHost: string,
    private readonly tenants: readonly TenantConfig[],
  ) {}

  private app(tenantId: string): ConfidentialClientApplication {
    let app = this.apps.get(tenantId);
    if (app) return app;
    const tenant = this.tenants.find((t) => t.tenantId === tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} is not configured`);
    const host = new URL(this.authorityHost).host;
    app = new ConfidentialClientApplication({
      auth: {
        clientId: tenant.clientId,
        clientSecret: tenant.clientSecret,
        authority: `${this.authorityHost}/${tenant.tenantId}`,
        ...(MICROSOFT_AUTHORITY_HOSTS.has(host) ? {} : { knownAuthorities: [host] }),
      },
    });
    this.apps.set(tenantId, app);
    return app;
  }

  /** A bearer token for `resource` (e.g. https://graph.microsoft.com) in the tenant. */
  async token(service: Service, tenantId: string, resource: string): Promise<string> {
    try {
      const result = await this.app(tenantId).acquireTokenByClientCredential({ scopes: [`${resource}/.default`] });
      if (!result?.accessToken) throw new Error("no access token in the answer");
      return result.accessToken;
    } catch (err) {
      throw tokenError(service, err);
    }
  }
}

export function tokenSourceFor(endpoints: CloudEndpoints, tenants: readonly TenantConfig[]): TokenSource {
  return new TokenSource(endpoints.authorityHost, tenants);
}

function tokenError(service: Service, err: unknown): ProviderError {
  const e = err as { errorCode?: string; errorMessage?: string; message?: string };
  // MSAL's messages carry the AADSTS code and text, never the secret. A server error reads
  // "Error(s): 7000215 - Timestamp: ... - Description: AADSTS7000215: ...\r\nTrace ID: ...":
  // keep the description's first line.
  const text = (e.errorMessage || e.message || String(err))
    .replace(/^Error\(s\):.*? - Description: /, "")
    .split(/\r?\n/)[0]!
    .trim()
    .slice(0, 300);
  const code = e.errorCode ?? "";
  if (/invalid_client|unauthorized_client|AADSTS7000215|AADSTS700016|AADSTS7000222/.test(`${code} ${text}`)) {
    return new ProviderError(service, "permission", `sign-in of the app registration failed (${code || "invalid_client"}): ${text}`);
  }
  if (/network|endpoints_resolution|ECONN|ETIMEDOUT|certificate/i.test(`${code} ${text}`)) {
    return new ProviderError(service, "unavailable", `cannot reach the sign-in service (${code}): ${text}`);
  }
  return new ProviderError(service, "permission", `no token (${code || "error"}): ${text}`);
}
