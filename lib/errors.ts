// One error class, a closed set of codes and one table of statuses. Domain code throws
// MdrError; the route wrapper turns it into RFC 9457 problem+json.

export const ERROR_CODES = {
  malformed_json: { status: 400, title: "Malformed JSON" },
  malformed_path: { status: 400, title: "Malformed path" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  password_change_required: { status: 403, title: "Password change required" },
  protected_asset: { status: 403, title: "Protected asset" },
  tenant_forbidden: { status: 403, title: "Tenant outside your scope" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  ambiguous_target: { status: 409, title: "Ambiguous target" },
  conflict: { status: 409, title: "Conflict" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal: { status: 500, title: "Internal server error" },
  provider_error: { status: 502, title: "Provider error" },
  provider_unavailable: { status: 503, title: "Provider unavailable" },
  provider_timeout: { status: 504, title: "Provider timeout" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A stable URI reference per error code (RFC 9457 `type`). */
export function problemType(code: ErrorCode): string {
  return `urn:mdr:problem:${code.replaceAll("_", "-")}`;
}

export interface FieldError {
  /** Dotted path of the field in the request (`hostname`, `ips.3`); empty for the whole body. */
  path: string;
  message: string;
}

export class MdrError extends Error {
  readonly code: ErrorCode;
  readonly errors: FieldError[];
  /** Extra members of the problem document (`action_id`, `candidates`, ...). */
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    opts: { errors?: FieldError[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "MdrError";
    this.code = code;
    this.errors = opts.errors ?? [];
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** Validation failure of one field. */
  static field(path: string, message: string): MdrError {
    return new MdrError("validation_failed", `${path}: ${message}`, { errors: [{ path, message }] });
  }
}
