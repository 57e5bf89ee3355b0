// SigV4 as EC2 checks it: the request is signed again with the secret the emulator holds for
// the access key id, by the AWS SDK's own signer (@smithy/signature-v4), over exactly the
// headers the client says it signed, and the two signatures are compared. The credential scope
// must name the emulator's region and the ec2 service, and the time must be within 5 minutes.
import crypto from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";

/** What the signer hands its hash (the SDK's SourceData). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
import type { RequestContext } from "./http";

function bytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The signer's hash: Node's SHA-256, keyed (HMAC) when given a secret. */
class Sha256 {
  private hash: crypto.Hash | crypto.Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.make();
  }

  private make(): crypto.Hash | crypto.Hmac {
    if (this.secret === undefined) return crypto.createHash("sha256");
    return crypto.createHmac("sha256", bytes(this.secret));
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.make();
  }
}

export type SigV4Result =
  | { ok: true; accessKeyId: string }
  | { ok: false; status: number; code: string; message: string };

const AUTH = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/i;

function amzDate(value: string | undefined): Date | undefined {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Verifies the request's SigV4 Authorization header (EC2's answers when it does not hold). */
export async function verifySigV4(
  ctx: RequestContext,
  secrets: ReadonlyMap<string, string>,
  regions: readonly string[],
  /** The signing name the credential scope must name: ec2, wafv2. */
  expectedService = "ec2",
): Promise<SigV4Result> {
  const authorization = ctx.req.headers.authorization ?? "";
  const m = AUTH.exec(authorization);
  if (!m) {
    return { ok: false, status: 400, code: "IncompleteSignature", message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(/\s/)[0] ?? ""}` };
  }
  const [, accessKeyId = "", day = "", scopeRegion = "", service = "", signedHeaders = "", signature = ""] = m;
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) {
    return { ok: false, status: 401, code: "AuthFailure", message: "AWS was not able to validate the provided access credentials" };
  }
  const region = scopeRegion;
  if (!regions.includes(scopeRegion)) {
    return { ok: false, status: 403, code: "SignatureDoesNotMatch", message: `Credential should be scoped to a valid region, not '${scopeRegion}'. ` };
  }
  if (service !== expectedService) {
    return { ok: false, status: 403, code: "SignatureDoesNotMatch", message: `Credential should be scoped to correct service: '${expectedService}'. ` };
  }
  const xAmzDate = ctx.req.headers["x-amz-date"];
  const signedAt = amzDate(typeof xAmzDate === "string" ? xAmzDate : undefined);
  if (!signedAt || xAmzDate?.slice(0, 8) !== day) {
    return { ok: false, status: 400, code: "AuthFailure", message: "AWS was not able to validate the provided access credentials" };
  }
  if (Math.abs(Date.now() - signedAt.getTime()) > 5 * 60_000) {
    return {
      ok: false,
      status: 400,
      code: "RequestExpired",
      message: `Request has expired. Timestamp date is ${signedAt.toISOString().replace(/\.\d{3}Z$/, "Z")}`,
    };
  }
  const names = signedHeaders.toLowerCase().split(";");
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = ctx.req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: secret },
    region,
    service: expectedService,
    sha256: Sha256,
    applyChecksum: false,
    uriEscapePath: true,
  });
  const host = ctx.req.headers.host ?? "";
  const signed = await signer.sign(
    {
      method: ctx.method,
      protocol: "http:",
      hostname: host.replace(/:\d+$/, ""),
      path: ctx.url.pathname,
      query: Object.fromEntries(ctx.url.searchParams),
      headers,
      body: ctx.rawBody,
    },
    { signingDate: signedAt, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? "")?.[1] ?? "";
  const same = expected.length === signature.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature.toLowerCase()));
  if (!same) {
    return {
      ok: false,
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return { ok: true, accessKeyId };
}
