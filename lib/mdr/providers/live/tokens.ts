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

  /** A bearer token for `scope` (e.g. https://graph.microsoft.com/.default, see defaultScope) in the tenant. */
  async token(service: Service, tenantId: string, scope: string): Promise<string> {
    return (await this.access(service, tenantId, scope)).token;
  }

  /** The token with the time it expires (ms since the epoch), for clients that cache it themselves. */
  async access(service: Service, tenantId: string, scope: string): Promise<{ token: string; expiresOnTimestamp: number }> {
    try {
      const result = await this.app(tenantId).acquireTokenByClientCredential({ scopes: [scope] });
      if (!result?.accessToken) throw new Error("no access token in the answer");
      return { token: result.accessToken, expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 5 * 60_000 };
    } catch (err) {
      throw tokenError(service, err, scope);
    }
  }
}

/** The client-credentials scope of a resource: every application permission granted on it. */
export const defaultScope = (resource: string): string => `${resource}/.default`;

export function tokenSourceFor(endpoints: CloudEndpoints, tenants: readonly TenantConfig[]): TokenSource {
  return new TokenSource(endpoints.authorityHost, tenants);
}

function tokenError(service: Service, err: unknown, scope: string): ProviderError {
  const e = err as { name?: string; errorCode?: string; errorMessage?: string; message?: string; status?: number };
  // MSAL's messages carry the AADSTS code and text, never the secret. A server error reads
  // "Error(s): 7000215 - Timestamp: ... - Description: AADSTS7000215: ... - Correlation ID: ...\r\nTrace ID: ...":
  // keep the description's first line, without the ids.
  const text = (e.errorMessage || e.message || String(err))
    .replace(/^Error\(s\):.*? - Description: /, "")
    .split(/\r?\n/)[0]!
    .replace(/ - Correlation ID: .*$/, "")
    .trim()
    .slice(0, 300);
  const code = e.errorCode ?? "";
  // The token endpoint itself failing is an outage, not a missing permission. MSAL then refuses
  // to ask again for that resource until the Retry-After it was given (60 s without one), replaying
  // the error without a status: that is the same outage, seen through MSAL's wait.
  if (e.name === "ServerError" && e.status === 429) {
    return new ProviderError(service, "throttled", `the sign-in service is throttling requests (HTTP 429${code ? ` ${code}` : ""}): ${text}`, {
      httpStatus: 429,
    });
  }
  if (e.name === "ServerError" && typeof e.status === "number" && e.status >= 500) {
    return new ProviderError(service, "unavailable", `the sign-in service is unavailable (HTTP ${e.status}${code ? ` ${code}` : ""}): ${text}`, {
      httpStatus: e.status,
    });
  }
  if (e.name === "ServerError" && e.status === undefined) {
    return new ProviderError(
      service,
      "unavailable",
      `the sign-in service failed recently and is not asked again until its wait is over (${code || "error"}): ${text}`,
    );
  }
  if (/invalid_client|unauthorized_client|AADSTS7000215|AADSTS700016|AADSTS7000222/.test(`${code} ${text}`)) {
    return new ProviderError(service, "permission", `sign-in of the app registration failed (${code || "invalid_client"}): ${text}`);
  }
  if (/network|endpoints_resolution|ECONN|ETIMEDOUT|certificate/i.test(`${code} ${text}`)) {
    return new ProviderError(service, "unavailable", `cannot reach the sign-in service (${code}): ${text}`);
  }
  if (service === "defender" && /AADSTS500011/.test(text)) {
    // Outside the public cloud the audience of Defender's tokens is not documented for certain:
    // the fix is a setting, not a release.
    return new ProviderError(
      service,
      "permission",
      `no token for ${scope} (${code || "invalid_resource"}): ${text}. Defender may know its API by another resource in this cloud: set MDE_TOKEN_SCOPE (or the tenant's defender.token_scope), e.g. https://securitycenter.onmicrosoft.us/.default in GCC High and DoD`,
    );
  }
  return new ProviderError(service, "permission", `no token (${code || "error"}): ${text}`);
}
