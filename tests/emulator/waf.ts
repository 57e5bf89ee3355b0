// AWS WAF v2 (the awsJson1_1 protocol of @aws-sdk/client-wafv2), plain http on its own port:
// POST / with `X-Amz-Target: AWSWAF_20190729.<Operation>` and a JSON body, SigV4-signed for the
// `wafv2` service. Supported: GetIPSet, UpdateIPSet (the WAF v2 API reference's shapes).
// - Every read answers the set and its current LockToken; every accepted update rotates the token
//   and answers it as NextLockToken. An update with another token than the current one is
//   WAFOptimisticLockException, and nothing is changed.
// - UpdateIPSet replaces the set's mutable settings (Addresses, and Description: left out, it is cleared).
// - Addresses must be CIDRs of the set's family (IPV4 / IPV6), never /0; more than 10,000 in a set is
//   WAFLimitsExceededException.
// - A CLOUDFRONT set answers only in us-east-1; REGIONAL sets in the region their ARN names.
// - Create, Put and Update calls: one a second per account and region (a token bucket; 400
//   ThrottlingException "Rate exceeded" beyond it), as the Security Automations for AWS WAF quotas say.
// Errors: HTTP 400 (500 for WAFInternalErrorException) with `{"__type": code, "Message": ...}`,
// `x-amzn-ErrorType` and `x-amzn-RequestId`, as the AWS JSON protocols answer.
import crypto from "node:crypto";
import ipaddr from "ipaddr.js";
import { isRecord, type RequestContext, sendJson } from "./http";
import { verifySigV4 } from "./sigv4";
import { WAF_BUCKETS } from "./throttle";
import type { IpSetState } from "./types";

export const WAF_TARGET_PREFIX = "AWSWAF_20190729.";
const JSON_11 = "application/x-amz-json-1.1";
const MUTATING = new Set(["UpdateIPSet"]);

export function wafErrorBody(code: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { __type: code, Message: message, ...extra };
}

export function wafError(ctx: RequestContext, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(ctx, status, wafErrorBody(code, message, extra), { "x-amzn-RequestId": ctx.requestId, "x-amzn-ErrorType": code }, JSON_11);
}

function ok(ctx: RequestContext, body: Record<string, unknown>): void {
  sendJson(ctx, 200, body, { "x-amzn-RequestId": ctx.requestId }, JSON_11);
}

function invalid(ctx: RequestContext, field: string, parameter: string, reason: string): void {
  wafError(ctx, 400, "WAFInvalidParameterException", `Error reason: ${reason}, field: ${field}, parameter: ${parameter}`, {
    Field: field,
    Parameter: parameter,
    Reason: reason,
  });
}

/** A fresh LockToken (WAF's are GUIDs). */
export function lockToken(): string {
  return crypto.randomUUID();
}

/** The operation an X-Amz-Target names (AWSWAF_20190729.GetIPSet -> GetIPSet), or undefined. */
export function wafOperation(target: string | undefined): string | undefined {
  return target?.startsWith(WAF_TARGET_PREFIX) ? target.slice(WAF_TARGET_PREFIX.length) : undefined;
}

/** Whether a string is a CIDR of the family WAF takes it for ("192.0.2.44/32", "2001:db8::/32"), never /0. */
function validCidr(value: string, version: "IPV4" | "IPV6"): boolean {
  if (version === "IPV4" ? !ipaddr.IPv4.isValidCIDRFourPartDecimal(value) : !ipaddr.IPv6.isValidCIDR(value)) return false;
  return !value.endsWith("/0");
}

/** The set a request names: Scope, then Id and Name; answers and returns undefined when none. */
function findSet(ctx: RequestContext, body: Record<string, unknown>, region: string): IpSetState | undefined {
  for (const field of ["Name", "Scope", "Id"]) {
    if (typeof body[field] !== "string" || body[field] === "") {
      invalid(ctx, field === "Scope" ? "SCOPE_VALUE" : field === "Id" ? "RESOURCE_ID" : "NAME", String(body[field] ?? ""), "A required parameter is missing or empty");
      return undefined;
    }
  }
  const scope = body.Scope as string;
  if (scope !== "REGIONAL" && scope !== "CLOUDFRONT") {
    invalid(ctx, "SCOPE_VALUE", scope, "Member must satisfy enum value set: [CLOUDFRONT, REGIONAL]");
    return undefined;
  }
  // CloudFront's sets are global, served from US East (N. Virginia) only.
  if (scope === "CLOUDFRONT" && region !== "us-east-1") {
    invalid(ctx, "SCOPE_VALUE", scope, "The scope is not valid (CLOUDFRONT resources are managed in us-east-1)");
    return undefined;
  }
  const set = [...ctx.core.state.ipSets.values()].find(
    (s) => s.scope === scope && s.id === body.Id && s.name === body.Name && (scope === "CLOUDFRONT" || s.region === region),
  );
  if (!set) {
    wafError(ctx, 400, "WAFNonexistentItemException", "AWS WAF couldn’t perform the operation because your resource doesn’t exist.");
    return undefined;
  }
  return set;
}

function describe(set: IpSetState): Record<string, unknown> {
  return {
    Name: set.name,
    Id: set.id,
    ARN: set.arn,
    ...(set.description !== undefined ? { Description: set.description } : {}),
    IPAddressVersion: set.ipAddressVersion,
    Addresses: [...set.addresses],
  };
}

function getIpSet(ctx: RequestContext, body: Record<string, unknown>, region: string): void {
  const set = findSet(ctx, body, region);
  if (!set) return;
  ok(ctx, { IPSet: describe(set), LockToken: set.lockToken });
}

function updateIpSet(ctx: RequestContext, body: Record<string, unknown>, region: string): void {
  const set = findSet(ctx, body, region);
  if (!set) return;
  if (typeof body.LockToken !== "string" || body.LockToken === "") {
    invalid(ctx, "LOCK_TOKEN", String(body.LockToken ?? ""), "A required parameter is missing or empty");
    return;
  }
  if (!Array.isArray(body.Addresses)) {
    invalid(ctx, "IP_ADDRESS", "", "A required parameter is missing or empty");
    return;
  }
  const addresses = body.Addresses as unknown[];
  const bad = addresses.find((a) => typeof a !== "string" || !validCidr(a, set.ipAddressVersion));
  if (bad !== undefined) {
    invalid(ctx, "IP_ADDRESS", String(bad), `Not a valid ${set.ipAddressVersion === "IPV4" ? "IPv4" : "IPv6"} address in CIDR notation`);
    return;
  }
  if (body.Description !== undefined && (typeof body.Description !== "string" || body.Description.length > 256)) {
    invalid(ctx, "DESCRIPTION", String(body.Description), "Member must have length less than or equal to 256");
    return;
  }
  // A test's other writer (raceIpSetUpdates) gets in between this client's read and its write.
  const race = ctx.core.wafRaces.find((r) => r.arn === set.arn && r.remaining > 0);
  if (race) {
    race.remaining--;
    set.addresses = race.change([...set.addresses]);
    set.lockToken = lockToken();
    set.updates++;
  }
  // Someone wrote the set since this token was read: nothing is changed.
  if (body.LockToken !== set.lockToken) {
    wafError(
      ctx,
      400,
      "WAFOptimisticLockException",
      "AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.",
    );
    return;
  }
  const limit = ctx.core.options.waf.addressesPerSet;
  if (addresses.length > limit) {
    wafError(ctx, 400, "WAFLimitsExceededException", `AWS WAF couldn’t perform the operation because you exceeded your resource limit: an IP set holds at most ${limit} addresses.`);
    return;
  }
  set.addresses = addresses as string[];
  if (body.Description === undefined) delete set.description;
  else set.description = body.Description as string;
  set.lockToken = lockToken();
  set.updates++;
  ok(ctx, { NextLockToken: set.lockToken });
}

export async function handleWaf(ctx: RequestContext): Promise<void> {
  const auth = ctx.record.auth;
  if (ctx.method !== "POST") {
    wafError(ctx, 400, "UnknownOperationException", `${ctx.method} is not an operation of this service`);
    return;
  }
  if (auth.kind !== "sigv4") {
    wafError(ctx, 400, "MissingAuthenticationTokenException", "Missing Authentication Token");
    return;
  }
  const { credentials } = ctx.core.options.aws;
  const verified = await verifySigV4(ctx, credentials, ctx.core.options.waf.regions, "wafv2");
  if (!verified.ok) {
    // awsJson services name a refused signature UnrecognizedClientException / InvalidSignatureException.
    const code = verified.code === "AuthFailure" ? "UnrecognizedClientException" : verified.code === "SignatureDoesNotMatch" ? "InvalidSignatureException" : verified.code;
    wafError(ctx, verified.status === 401 ? 400 : verified.status, code, verified.message);
    return;
  }
  const operation = ctx.record.action;
  if (!operation) {
    wafError(ctx, 400, "UnknownOperationException", "The X-Amz-Target header names no operation of AWSWAF_20190729");
    return;
  }
  if (!(ctx.req.headers["content-type"] ?? "").startsWith(JSON_11)) {
    wafError(ctx, 400, "SerializationException", `Content-Type must be ${JSON_11}`);
    return;
  }
  if (ctx.body.kind !== "json" || !isRecord(ctx.body.value)) {
    wafError(ctx, 400, "SerializationException", "The request body is not a JSON object");
    return;
  }
  if (MUTATING.has(operation) && ctx.core.throttle.bucket(`waf|${auth.accessKeyId}|${auth.region}|write`, WAF_BUCKETS.write)) {
    wafError(ctx, 400, "ThrottlingException", "Rate exceeded");
    return;
  }
  switch (operation) {
    case "GetIPSet":
      return getIpSet(ctx, ctx.body.value, auth.region);
    case "UpdateIPSet":
      return updateIpSet(ctx, ctx.body.value, auth.region);
    default:
      wafError(ctx, 400, "UnknownOperationException", `${operation} is not emulated`);
  }
}
