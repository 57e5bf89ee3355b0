// A real OpenID provider for the single sign-on tests: `oidc-provider` (the certified
// implementation) over HTTPS on a free port, with the emulator's certificate (which the test
// processes and the servers they start already trust through NODE_EXTRA_CA_CERTS), one
// confidential client that must use PKCE, and test accounts whose app roles a test can change.
//
// Interaction: oidc-provider's development login pages are off (as in production); instead
// /interaction/:uid signs in the account named by the authorization request's `login_hint`
// (a test adds it to the URL the app redirected to, as a browser extension might), or refuses
// with access_denied when there is none or it is unknown. Consent is skipped: the client is
// first-party, so loadExistingGrant grants what it asks for.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import Provider, { type Interaction, type OidcContext } from "oidc-provider";
import { certsFromEnv, makeCerts } from "../emulator/certs";

export interface TestAccount {
  /** The subject: stable, unlike the name. */
  sub: string;
  preferred_username: string;
  roles?: string[];
  groups?: string[];
}

export interface TokenRequest {
  clientId: string | undefined;
  authMethod: string | undefined;
  codeVerifier: boolean;
}

export interface TestIdp {
  /** https://127.0.0.1:PORT — MDR_OIDC_ISSUER. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by login hint; change one between sign-ins to change what the provider says. */
  accounts: Map<string, TestAccount>;
  /** Successful code exchanges at the token endpoint, oldest first. */
  tokenRequests: TokenRequest[];
  /** While set, the token endpoint answers 503. */
  failTokenEndpoint: boolean;
  close(): Promise<void>;
}

export const DEFAULT_ACCOUNTS: Record<string, TestAccount> = {
  alice: { sub: "3f1c7a52-0001-4a8e-9c1d-a11ce0000001", preferred_username: "alice", roles: ["MDR.Admin"] },
  bob: { sub: "3f1c7a52-0002-4a8e-9c1d-b0b000000002", preferred_username: "Bob@Contoso.com", roles: ["MDR.Responder"] },
  carol: { sub: "3f1c7a52-0003-4a8e-9c1d-ca7010000003", preferred_username: "carol", roles: ["MDR.Viewer"] },
  dave: { sub: "3f1c7a52-0004-4a8e-9c1d-da7e00000004", preferred_username: "dave", roles: ["Finance.Reader"] },
};

export async function startOidcProvider(opts: {
  redirectUris: string[];
  accounts?: Record<string, TestAccount>;
}): Promise<TestIdp> {
  const certs = certsFromEnv() ?? makeCerts();
  const accounts = new Map(Object.entries(structuredClone(opts.accounts ?? DEFAULT_ACCOUNTS)));
  const bySub = (sub: string) => [...accounts.values()].find((a) => a.sub === sub);
  const clientId = "mdr-response-actions";
  const clientSecret = randomBytes(24).toString("base64url");
  const tokenRequests: TokenRequest[] = [];

  let handle: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const server = https.createServer({ key: certs.keyPem, cert: certs.certPem }, (req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "test-rs256", use: "sig", alg: "RS256" };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600 },
    features: { devInteractions: { enabled: false } },
    // Claims go into the ID token (as Entra puts app roles and groups there), not only userinfo.
    conformIdTokenClaims: false,
    claims: { openid: ["sub", "preferred_username", "roles", "groups"], profile: ["name"], email: ["email"] },
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = bySub(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          preferred_username: account.preferred_username,
          ...(account.roles ? { roles: account.roles } : {}),
          ...(account.groups ? { groups: account.groups } : {}),
        }),
      };
    },
    interactions: { url: (_ctx: unknown, interaction: Interaction) => `/interaction/${interaction.uid}` },
    // A first-party client: no consent screen; what it asks for is granted.
    loadExistingGrant: async (ctx: OidcContext & { oidc: { provider?: never } }) => {
      const { client, session, result } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const existing = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (existing) {
        const found = await provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid profile email");
      grant.addOIDCClaims(["sub", "preferred_username", "roles", "groups", "name", "email"]);
      await grant.save();
      return grant;
    },
  });
  provider.on("grant.success", (ctx) => {
    tokenRequests.push({
      clientId: ctx.oidc.client?.clientId,
      authMethod: ctx.oidc.client?.tokenEndpointAuthMethod,
      codeVerifier: typeof ctx.oidc.params?.code_verifier === "string" && ctx.oidc.params.code_verifier !== "",
    });
  });

  const providerHandler = provider.callback();
  const idp: TestIdp = {
    issuer,
    clientId,
    clientSecret,
    accounts,
    tokenRequests,
    failTokenEndpoint: false,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  handle = (req, res) => {
    const path = new URL(req.url ?? "/", issuer).pathname;
    if (path.startsWith("/interaction/")) {
      void interact(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    if (idp.failTokenEndpoint && req.method === "POST" && path === "/token") {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "temporarily_unavailable", error_description: "the test provider is down" }));
      return;
    }
    providerHandler(req, res);
  };

  async function interact(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    const hint = typeof details.params.login_hint === "string" ? details.params.login_hint : undefined;
    const account = hint === undefined ? undefined : accounts.get(hint);
    if (details.prompt.name !== "login" || !account) {
      await provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: account ? `unexpected prompt ${details.prompt.name}` : "no such test account" },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  }

  return idp;
}
