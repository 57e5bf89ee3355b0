// Fault injection: a test arms a rule ("the next 2 isolate calls get 429 with Retry-After: 1",
// "every token request is 5 s slow"), the dispatcher consults the rules before serving a
// request, and the answer takes the erroring service's own error shape.
import { ec2ErrorXml } from "./ec2";
import { wafErrorBody } from "./waf";
import { guid, type RequestContext, sendJson, sendText } from "./http";
import type { FaultHandle, FaultMatch, FaultRequestInfo, FaultSpec } from "./types";

export interface ActiveFault {
  spec: FaultSpec;
  hits: number;
  remaining: number;
}

export function matches(match: FaultMatch, info: FaultRequestInfo): boolean {
  if (typeof match === "function") return match(info);
  if (match instanceof RegExp) return match.test(`${info.method} ${info.path}`);
  if (typeof match === "string") {
    if (match.startsWith("ec2:")) return info.service === "ec2" && info.action === match.slice(4);
    if (match.startsWith("waf:")) return info.service === "wafv2" && info.action === match.slice(4);
    const m = /^([A-Z]+)\s+(.*)$/.exec(match);
    if (m) return info.method === m[1] && info.path.includes(m[2] ?? "");
    return info.path.includes(match);
  }
  if (match.service && match.service !== info.service) return false;
  if (match.method && match.method.toUpperCase() !== info.method) return false;
  if (match.action && match.action !== info.action) return false;
  if (match.path !== undefined) {
    if (typeof match.path === "string" ? !info.path.includes(match.path) : !match.path.test(info.path)) return false;
  }
  return true;
}

export class FaultList {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): FaultHandle {
    const fault: ActiveFault = { spec, hits: 0, remaining: spec.times ?? 1 };
    this.faults.push(fault);
    return {
      get hits() {
        return fault.hits;
      },
      get remaining() {
        return fault.remaining;
      },
      clear: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** The first armed fault for this request, counted as used. */
  take(info: FaultRequestInfo): FaultSpec | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && matches(f.spec.match, info));
    if (!fault) return undefined;
    fault.hits++;
    fault.remaining--;
    return fault.spec;
  }
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  408: "RequestTimeout",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

function ec2Code(status: number): string {
  if (status === 503) return "RequestLimitExceeded";
  if (status === 500) return "InternalError";
  if (status === 401) return "AuthFailure";
  if (status === 403) return "UnauthorizedOperation";
  return "InvalidParameterValue";
}

/** Answers `status` in the service's own error format (or with spec.body). */
export function sendFault(ctx: RequestContext, spec: FaultSpec): void {
  const status = spec.status ?? 500;
  const headers: Record<string, string> = {};
  if (spec.retryAfter !== undefined) headers["Retry-After"] = String(spec.retryAfter);
  const code = spec.code ?? REASONS[status] ?? `Http${status}`;
  const service = ctx.record.service;
  if (spec.body !== undefined) {
    if (typeof spec.body === "string") {
      sendText(ctx, status, spec.body, service === "ec2" ? "text/xml;charset=UTF-8" : "text/plain; charset=utf-8", headers);
    } else {
      sendJson(ctx, status, spec.body, headers);
    }
    return;
  }
  const message = spec.message ?? (status === 429 ? "Rate limit is exceeded. Try again later." : `Injected fault: ${code}.`);
  switch (service) {
    case "ec2":
      sendText(
        ctx,
        status,
        ec2ErrorXml(ec2Code(status), status === 503 ? "Request limit exceeded." : message, ctx.requestId),
        "text/xml;charset=UTF-8",
        headers,
      );
      return;
    case "wafv2": {
      // awsJson1_1: the error's code in __type and x-amzn-ErrorType (500: WAFInternalErrorException).
      const wafCode = spec.code ?? (status === 429 || status === 400 ? "ThrottlingException" : status >= 500 ? "WAFInternalErrorException" : code);
      sendJson(ctx, status, wafErrorBody(wafCode, spec.message ?? (wafCode === "ThrottlingException" ? "Rate exceeded" : message)), {
        ...headers,
        "x-amzn-RequestId": ctx.requestId,
        "x-amzn-ErrorType": wafCode,
      }, "application/x-amz-json-1.1");
      return;
    }
    case "entra":
      sendJson(
        ctx,
        status,
        {
          error: status === 429 ? "invalid_request" : "temporarily_unavailable",
          error_description: `AADSTS50196: ${message}`,
          error_codes: [50196],
          timestamp: new Date().toISOString(),
          trace_id: guid(),
          correlation_id: guid(),
        },
        headers,
      );
      return;
    case "graph":
      sendJson(
        ctx,
        status,
        {
          error: {
            code: spec.code ?? (status === 429 ? "TooManyRequests" : status >= 500 ? "serviceNotAvailable" : code),
            message,
            innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ""), "request-id": ctx.requestId, "client-request-id": ctx.requestId },
          },
        },
        headers,
      );
      return;
    case "arm":
      sendJson(ctx, status, { error: { code: spec.code ?? (status === 429 ? "TooManyRequests" : code), message, details: [] } }, headers);
      return;
    default:
      sendJson(ctx, status, { error: { code, message, target: ctx.requestId } }, headers);
  }
}
