// What every simulated provider shares: the clock, the dice, and the gate each call passes
// through before touching state.
import { ProviderError, type Service } from "@/lib/mdr/providers/types";
import { Faults, operationFaultError, outageError, type SimOperation } from "./faults";
import { SIM_TENANT_ID } from "./seed";

export interface RuntimeOptions {
  failureRate: number;
  faults: string;
  stepMs: number;
  now: () => number;
  random: () => number;
}

export class SimRuntime {
  readonly now: () => number;
  readonly random: () => number;
  readonly stepMs: number;
  readonly failureRate: number;
  readonly faults: Faults;

  constructor(opts: RuntimeOptions) {
    this.now = opts.now;
    this.random = opts.random;
    this.stepMs = opts.stepMs;
    this.failureRate = opts.failureRate;
    this.faults = new Faults(opts.faults);
  }

  /**
   * Every simulated call starts here. Failures come in the order a real call meets them: no
   * connection at all, then a tenant the credentials do not reach, then the injected answer for
   * this operation, then a transient failure of a write.
   */
  enter(service: Service, operation: SimOperation, tenantId: string, opts: { mutating: boolean }): void {
    if (this.faults.isDown(service)) throw outageError(service);
    if (tenantId.toLowerCase() !== SIM_TENANT_ID) {
      throw new ProviderError(service, "not_found", `Tenant '${tenantId}' is not known to the simulated tenant`, {
        httpStatus: 404,
      });
    }
    const status = this.faults.statusFor(operation);
    if (status !== undefined) throw operationFaultError(service, operation, status);
    if (opts.mutating && this.fails()) {
      throw new ProviderError(
        service,
        "unavailable",
        `503 Service Unavailable (simulated transient failure, MDR_SIM_FAILURE_RATE=${this.failureRate})`,
        { httpStatus: 503 },
      );
    }
  }

  /** One draw against the failure rate. */
  fails(): boolean {
    return this.random() < this.failureRate;
  }

  isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}
