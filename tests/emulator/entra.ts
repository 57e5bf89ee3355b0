// Microsoft Entra ID (the v2.0 endpoints) as msal-node uses them for client credentials:
//   GET  /{tenant}/v2.0/.well-known/openid-configuration   (MSAL's endpoint discovery; with
//        knownAuthorities set it skips instance discovery, which would go to the real
//        login.microsoftonline.com)
//   POST /{tenant}/oauth2/v2.0/token                        (grant_type=client_credentials)
// plus the keys document and /common/discovery/instance, which MSAL only fetches in other set-ups.
import { guid, type RequestContext, sendJson } from "./http";
import { signToken, type TokenClaims } from "./jwt";
import { rolesFor } from "./permissions";
import type { TenantState } from "./types";

function entraTimestamp(d = new Date()): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Entra's OAuth error body (the shape MSAL parses into ServerError). */
function oauthError(
  ctx: RequestContext,
  status: number,
  error: string,
  code: number,
  message: string,
): void {
  const traceId = guid();
  const correlationId = ctx.req.headers["client-request-id"]?.toString() ?? guid();
  const timestamp = entraTimestamp();
  sendJson(
    ctx,
    status,
    {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${ctx.core.baseUrl}/error?code=${code}`,
    },
    { "Cache-Control": "no-store, no-cache", "x-ms-request-id": traceId },
  );
}

function tenantNotFound(ctx: RequestContext, tenant: string): void {
  oauthError(
    ctx,
    400,
    "invalid_tenant",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

function openIdConfiguration(ctx: RequestContext, tenant: TenantState, v2: boolean): void {
  const base = `${ctx.core.baseUrl}/${tenant.tenantId}`;
  sendJson(ctx, 200, {
    token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    // MSAL checks that the issuer is on the authority's host (or in knownAuthorities).
    issuer: v2 ? `${base}/v2.0` : `https://sts.windows.net/${tenant.tenantId}/`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.core.baseUrl}/oidc/userinfo`,
    authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: v2 ? `${base}/oauth2/v2.0/logout` : `${base}/oauth2/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid"],
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  });
}

function token(ctx: RequestContext, tenant: TenantState): void {
  const form = ctx.body.kind === "form" ? ctx.body.value : undefined;
  if (!form) {
    oauthError(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
    return;
  }
  const grantType = form.grant_type;
  if (!grantType) {
    oauthError(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
    return;
  }
  if (grantType !== "client_credentials") {
    oauthError(ctx, 400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
    return;
  }
  const clientId = form.client_id;
  if (!clientId) {
    oauthError(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
    return;
  }
  const client = tenant.clients.get(clientId.toLowerCase());
  if (!client) {
    oauthError(
      ctx,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
    return;
  }
  if (form.client_secret === undefined && form.client_assertion === undefined) {
    oauthError(
      ctx,
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
    return;
  }
  if (form.client_secret !== client.clientSecret) {
    // 401 invalid_client, as Entra answers a wrong (or expired) secret.
    oauthError(
      ctx,
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
    );
    return;
  }
  const scope = (form.scope ?? "").trim();
  if (!scope) {
    oauthError(ctx, 400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
    return;
  }
  const scopes = scope.split(/\s+/);
  const single = scopes[0] ?? "";
  if (scopes.length !== 1 || !single.endsWith("/.default")) {
    oauthError(
      ctx,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
    return;
  }
  const resource = single.slice(0, -"/.default".length);
  if (!ctx.core.options.resources.includes(resource)) {
    oauthError(
      ctx,
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
    return;
  }

  const now = Math.floor(Date.now() / 1000);
  const lifetime = ctx.core.options.tokenLifetimeSeconds;
  const claims: TokenClaims = {
    // v1 access tokens carry the resource exactly as requested (with or without trailing slash).
    aud: resource,
    iss: `https://sts.windows.net/${tenant.tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    appid: client.clientId,
    appidacr: "1",
    idp: `https://sts.windows.net/${tenant.tenantId}/`,
    oid: client.objectId,
    sub: client.objectId,
    tid: tenant.tenantId,
    uti: guid(),
    ver: "1.0",
  };
  // The app's permissions on this resource, as granted now: a later setPermissions reaches only
  // tokens issued after it (the APIs read the token, never the grant).
  const roles = rolesFor(ctx.core.options, client, resource);
  if (roles) claims.roles = roles;
  ctx.record.auth = { kind: "bearer", valid: true, audience: resource, tenantId: tenant.tenantId, clientId: client.clientId };
  sendJson(
    ctx,
    200,
    {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: signToken(claims, ctx.core.signingKey),
    },
    { "Cache-Control": "no-store, no-cache", "x-ms-request-id": guid() },
  );
}

export function handleEntra(ctx: RequestContext): void {
  const [first, ...rest] = ctx.segments;
  const path = rest.join("/").toLowerCase();
  if (!first) {
    sendJson(ctx, 404, { error: "not_found" });
    return;
  }
  if (first.toLowerCase() === "common" && path === "discovery/instance" && ctx.method === "GET") {
    // Instance discovery: only reached when a client is pointed here without knownAuthorities.
    const host = new URL(ctx.core.baseUrl).host;
    sendJson(ctx, 200, {
      tenant_discovery_endpoint: `${ctx.core.baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    return;
  }
  const tenant = ctx.core.state.tenants.get(first.toLowerCase());
  if (!tenant) {
    tenantNotFound(ctx, first);
    return;
  }
  if (ctx.method === "GET" && path === "v2.0/.well-known/openid-configuration") {
    openIdConfiguration(ctx, tenant, true);
  } else if (ctx.method === "GET" && path === ".well-known/openid-configuration") {
    openIdConfiguration(ctx, tenant, false);
  } else if (ctx.method === "GET" && path === "discovery/v2.0/keys") {
    sendJson(ctx, 200, { keys: [] });
  } else if (path === "oauth2/v2.0/token") {
    if (ctx.method !== "POST") {
      oauthError(ctx, 400, "invalid_request", 900561, "The endpoint only accepts POST requests.");
      return;
    }
    token(ctx, tenant);
  } else {
    sendJson(ctx, 404, { error: "not_found", error_description: `No such endpoint: ${ctx.url.pathname}` });
  }
}

