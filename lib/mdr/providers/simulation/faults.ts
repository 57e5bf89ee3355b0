// Fault injection (MDR_SIM_FAULTS): lets demos, training and tests show how the product behaves
// when a provider is down or refuses one operation, without a real outage.
import { isService, SERVICE_KEYS } from "@/lib/mdr/providers/facts";
import { ProviderError, type ProviderErrorKind, type Service } from "@/lib/mdr/providers/types";

export const SIM_OPERATIONS = {
  defender: ["findMachines", "getMachine", "isolate", "release", "getMachineAction", "block", "unblock"],
  graph: ["getUser", "disableUser", "enableUser", "revokeSessions", "findMessages", "move", "permanentDelete"],
  azure_nsg: ["block", "unblock"],
  aws: ["block", "unblock"],
  aws_waf: ["block", "unblock"],
} as const satisfies Record<Service, readonly string[]>;

export type SimOperation = {
  [S in Service]: `${S}.${(typeof SIM_OPERATIONS)[S][number]}`;
}[Service];

export interface FaultSpec {
  down: ReadonlySet<Service>;
  operations: ReadonlyMap<SimOperation, number>;
}

/** Changes the injected faults of a running simulation. */
export interface FaultController {
  /** Replaces all faults; throws (and keeps the current faults) when the spec is malformed. */
  set(spec: string): void;
  clear(): void;
  /** The faults in force, normalised to the MDR_SIM_FAULTS syntax ("" when none). */
  readonly spec: string;
}

const DOWN_RE = /^([\w-]+)\s*:\s*([\w-]+)$/;
const OPERATION_RE = /^([\w-]+)\s*\.\s*([\w-]+)\s*=\s*(\S+)$/;

function isOperation(service: Service, operation: string): boolean {
  return (SIM_OPERATIONS[service] as readonly string[]).includes(operation);
}

/** Parses MDR_SIM_FAULTS, e.g. `graph:down, defender.isolate=403`. */
export function parseFaultSpec(spec: string): FaultSpec {
  const down = new Set<Service>();
  const operations = new Map<SimOperation, number>();
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const entry of entries) {
    const bad = (why: string) => new Error(`MDR_SIM_FAULTS: invalid entry "${entry}": ${why}`);
    const d = DOWN_RE.exec(entry);
    if (d) {
      const [, service = "", mode = ""] = d;
      if (!isService(service)) throw bad(`unknown service "${service}" (expected ${SERVICE_KEYS.join(", ")})`);
      if (mode !== "down") throw bad(`unknown mode "${mode}" (only "down")`);
      down.add(service);
      continue;
    }
    const o = OPERATION_RE.exec(entry);
    if (!o) throw bad('expected "service:down" or "service.operation=STATUS"');
    const [, service = "", operation = "", statusText = ""] = o;
    if (!isService(service)) throw bad(`unknown service "${service}" (expected ${SERVICE_KEYS.join(", ")})`);
    if (!isOperation(service, operation)) {
      throw bad(`unknown operation "${operation}" for ${service} (expected ${SIM_OPERATIONS[service].join(", ")})`);
    }
    const status = Number(statusText);
    if (!/^\d{3}$/.test(statusText) || status < 400 || status > 599) {
      throw bad(`status "${statusText}" is not an HTTP error status (400-599)`);
    }
    operations.set(`${service}.${operation}` as SimOperation, status);
  }
  return { down, operations };
}

export function formatFaultSpec(faults: FaultSpec): string {
  return [
    ...[...faults.down].map((s) => `${s}:down`),
    ...[...faults.operations].map(([op, status]) => `${op}=${status}`),
  ].join(",");
}

/** The faults in force for one simulation. */
export class Faults implements FaultController {
  private current: FaultSpec;

  constructor(spec: string) {
    this.current = parseFaultSpec(spec);
  }

  set(spec: string): void {
    this.current = parseFaultSpec(spec);
  }

  clear(): void {
    this.current = parseFaultSpec("");
  }

  get spec(): string {
    return formatFaultSpec(this.current);
  }

  isDown(service: Service): boolean {
    return this.current.down.has(service);
  }

  /** The HTTP status injected for this operation, if any. */
  statusFor(operation: SimOperation): number | undefined {
    return this.current.operations.get(operation);
  }
}

export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status === 429) return "throttled";
  if (status === 408 || status === 504) return "timeout";
  if (status >= 500) return "unavailable";
  return "bad_request";
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export const OUTAGE_MESSAGE = "connection refused (simulated outage)";

export function outageError(service: Service): ProviderError {
  return new ProviderError(service, "unavailable", OUTAGE_MESSAGE);
}

export function operationFaultError(service: Service, operation: SimOperation, status: number): ProviderError {
  const reason = REASONS[status] ?? "Error";
  return new ProviderError(service, kindForStatus(status), `${status} ${reason} (simulated fault on ${operation})`, {
    httpStatus: status,
    // Real throttling answers carry Retry-After; keep it short so a retrying caller does not stall a demo.
    retryAfterSeconds: status === 429 ? 1 : undefined,
  });
}
