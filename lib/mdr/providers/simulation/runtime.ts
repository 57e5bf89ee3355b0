// What every simulated provider shares: the clock, the dice, and the gate each call passes
// through before touching state.
import { ProviderError, type Service } from "@/lib/mdr/providers/types";
import { type CallGate, outcomeOf } from "@/lib/mdr/providers/gate";
import { Faults, operationFaultError, outageError, type SimOperation } from "./faults";
import { SIM_TENANT_ID } from "./seed";

export interface RuntimeOptions {
  failureRate: number;
  faults: string;
  stepMs: number;
  now: () => number;
  random: () => number;
  gate: CallGate;
}

export class SimRuntime {
  readonly now: () => number;
  readonly random: () => number;
  readonly stepMs: number;
  readonly failureRate: number;
  readonly faults: Faults;
  readonly gate: CallGate;

  constructor(opts: RuntimeOptions) {
    this.gate = opts.gate;
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
  async enter(
    service: Service,
    operation: SimOperation,
    tenantId: string,
    opts: { mutating: boolean; lane?: string },
  ): Promise<void> {
    // Each simulated call is one request to the service: it takes a turn under the rate limit
    // (in the lane the live call would take), and its failure counts towards the circuit breaker,
    // as a live call's would.
    const ticket = await this.gate.enter(service, tenantId, opts.lane);
    try {
      this.answer(service, operation, tenantId, opts);
      ticket.done("ok");
    } catch (err) {
      ticket.done(outcomeOf(err), (err as Error).message);
      throw err;
    }
  }

  private answer(service: Service, operation: SimOperation, tenantId: string, opts: { mutating: boolean }): void {
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
