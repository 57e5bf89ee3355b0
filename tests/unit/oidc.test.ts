// The parts of single sign-on that need no provider: the role mapping, the pending-login cookie's
// codec, failure reasons kept free of codes and tokens, and the https-only issuer.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as client from "openid-client";
import { describe, expect, it } from "vitest";
import { roleFromClaims, tenantsFromClaims } from "@/lib/auth/oidc-accounts";
import { decodePending, encodePending, failureReason } from "@/lib/auth/oidc";
import { ConfigError, parseConfig } from "@/lib/config";

const MAP = { roleClaim: "roles", roleMap: { "MDR.Admin": "admin", "MDR.Responder": "responder", "MDR.Viewer": "viewer" } } as const;
const GROUPS = { roleClaim: "groups", roleMap: { "0b4e2f8a-1111-4c1d-9e2f-aaaaaaaaaaaa": "responder" } } as const;

describe("roleFromClaims", () => {
  it.each([
    [{ roles: ["MDR.Viewer"] }, "viewer"],
    [{ roles: "MDR.Responder" }, "responder"],
    [{ roles: ["MDR.Viewer", "MDR.Admin", "MDR.Responder"] }, "admin"],
    [{ roles: ["Other", "MDR.Responder"] }, "responder"],
    [{ roles: ["mdr.admin"] }, undefined],
    [{ roles: [] }, undefined],
    [{ roles: [42, { value: "MDR.Admin" }] }, undefined],
    [{ roles: ["toString", "__proto__", "constructor"] }, undefined],
    [{}, undefined],
  ])("%j -> %s", (claims, role) => {
    expect(roleFromClaims({ ...MAP, roleMap: { ...MAP.roleMap } }, claims)).toBe(role);
  });

  it("reads group ids from the groups claim", () => {
    const cfg = { ...GROUPS, roleMap: { ...GROUPS.roleMap } };
    expect(roleFromClaims(cfg, { groups: ["ffffffff-0000-0000-0000-000000000000", "0b4e2f8a-1111-4c1d-9e2f-aaaaaaaaaaaa"] })).toBe("responder");
    expect(roleFromClaims(cfg, { roles: ["0b4e2f8a-1111-4c1d-9e2f-aaaaaaaaaaaa"] })).toBeUndefined();
  });
});

describe("the pending login cookie", () => {
  const pending = {
    state: "s",
    nonce: "n",
    codeVerifier: "v",
    redirectUri: "https://mdr.example.com/api/v1/auth/oidc/callback",
    next: "/mdr",
    expiresAt: 1_800_000_000_000,
  };

  it("round-trips", () => {
    expect(decodePending(encodePending(pending))).toEqual(pending);
  });

  it.each([undefined, "", "not base64 json", Buffer.from(JSON.stringify({ ...pending, state: "" })).toString("base64url"), Buffer.from("[1]").toString("base64url")])(
    "refuses %j",
    (value) => {
      expect(decodePending(value)).toBeUndefined();
    },
  );
});

describe("failureReason", () => {
  it("names the provider's error", () => {
    const err = new client.AuthorizationResponseError("authorization response from the server is an error", {
      cause: new URLSearchParams({ error: "access_denied", error_description: "AADSTS50105: not assigned to a role" }),
    });
    expect(failureReason(err)).toBe("the identity provider answered access_denied: AADSTS50105: not assigned to a role");
  });

  it("names an HTTP answer openid-client did not expect, without its query", () => {
    const res = new Response("{}", { status: 503 });
    Object.defineProperty(res, "url", { value: "https://idp.example.com/token?x=1" });
    const err = new client.ClientError("unexpected HTTP response status code", { cause: res });
    expect(failureReason(err)).toBe("unexpected HTTP response status code (HTTP 503 from https://idp.example.com/token)");
  });

  it("cuts out the code and anything shaped like a JWT", () => {
    const code = "0.AXoA-secret-code-value";
    const err = new Error(`bad ${code} and eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here`);
    expect(failureReason(err, new URLSearchParams({ code }))).toBe("bad [code] and [token] here");
  });
});

describe("MDR_OIDC_ISSUER", () => {
  it("must be https", () => {
    expect(() => parseConfig({ MDR_OIDC_ISSUER: "http://idp.example.com", MDR_OIDC_CLIENT_ID: "x" })).toThrow(
      new ConfigError("Invalid configuration:\n  MDR_OIDC_ISSUER: must be an https URL"),
    );
    expect(parseConfig({ MDR_OIDC_ISSUER: "https://login.microsoftonline.com/t/v2.0", MDR_OIDC_CLIENT_ID: "x" }).auth.oidc).toMatchObject({
      issuer: "https://login.microsoftonline.com/t/v2.0",
      roleClaim: "roles",
    });
  });
});

describe("tenants from single sign-on (MDR_OIDC_TENANT_MAP)", () => {
  const A = "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d";
  const B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  // A deployment serving both tenants.
  const tenantsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mdr-oidc-tenants-")), "tenants.json");
  fs.writeFileSync(
    tenantsFile,
    JSON.stringify({ tenants: [A, B].map((t) => ({ tenant_id: t, client_id: "11111111-2222-4333-8444-555555555555", client_secret: "s" })) }),
  );
  const SSO = { MDR_OIDC_ISSUER: "https://login.microsoftonline.com/t/v2.0", MDR_OIDC_CLIENT_ID: "x", MDR_TENANTS_FILE: tenantsFile };
  const oidc = (env: Record<string, string>) => parseConfig({ ...SSO, ...env }).auth.oidc!;

  it("reads VALUE=TENANT|TENANT and VALUE=*, from the role claim unless another is named; unset: no mapping", () => {
    expect(oidc({}).tenantMap).toBeUndefined();
    expect(oidc({ MDR_OIDC_TENANT_MAP: `Contoso-SOC=${A.toUpperCase()}, Both=${A}|${B}, MSSP-Staff=*` })).toMatchObject({
      tenantClaim: "roles",
      tenantMap: { "Contoso-SOC": [A], Both: [A, B], "MSSP-Staff": null },
    });
    expect(oidc({ MDR_OIDC_ROLE_CLAIM: "groups", MDR_OIDC_TENANT_MAP: `g=${A}` }).tenantClaim).toBe("groups");
    expect(oidc({ MDR_OIDC_TENANT_CLAIM: "tenants", MDR_OIDC_TENANT_MAP: `g=${A}` }).tenantClaim).toBe("tenants");
  });

  it.each([
    [`Contoso=not-a-guid`, 'MDR_OIDC_TENANT_MAP: "Contoso=not-a-guid" must be CLAIM_VALUE=TENANT_ID[|TENANT_ID] or CLAIM_VALUE=*'],
    [`=${A}`, `MDR_OIDC_TENANT_MAP: "=${A}" must be CLAIM_VALUE=TENANT_ID[|TENANT_ID] or CLAIM_VALUE=*`],
    [" , ", "MDR_OIDC_TENANT_MAP: map at least one claim value to tenants, or leave it unset"],
    [`Typo=${A.replace("8f3b", "8f3c")}`, `MDR_OIDC_TENANT_MAP: ${A.replace("8f3b", "8f3c")} is not a configured tenant`],
  ])("refuses %j", (map, message) => {
    expect(() => oidc({ MDR_OIDC_TENANT_MAP: map })).toThrow(new ConfigError(`Invalid configuration:\n  ${message}`));
  });

  it.each([
    [{ roles: ["Contoso-SOC"] }, [A]],
    [{ roles: ["Contoso-SOC", "Fabrikam-SOC"] }, [B, A].sort()],
    [{ roles: "Fabrikam-SOC" }, [B]],
    [{ roles: ["Contoso-SOC", "MSSP-Staff"] }, null],
    [{ roles: ["MDR.Responder"] }, undefined],
    [{ roles: ["__proto__", "toString"] }, undefined],
    [{}, undefined],
  ])("%j -> %j", (claims, tenants) => {
    const cfg = { tenantClaim: "roles", tenantMap: { "Contoso-SOC": [A], "Fabrikam-SOC": [B], "MSSP-Staff": null } };
    expect(tenantsFromClaims(cfg, claims)).toEqual(tenants);
  });

  it("without a mapping every person signed in has every tenant", () => {
    expect(tenantsFromClaims({ tenantClaim: "roles", tenantMap: undefined }, {})).toBeNull();
  });
});
