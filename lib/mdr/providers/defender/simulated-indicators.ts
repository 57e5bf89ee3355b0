// Simulated Defender for Endpoint IP indicators: one active indicator per address, the tenant's
// quota, single public addresses only, as the real service enforces.
import ipaddr from "ipaddr.js";
import { type BatchOutcome, type BlockRequest, type BlockResult, type FirewallProvider, ProviderError } from "@/lib/mdr/providers/types";
import { absent, parseAddress } from "@/lib/mdr/providers/simulation/addresses";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_MAX_INDICATORS } from "@/lib/mdr/providers/simulation/seed";

function expirationIso(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new ProviderError("defender", "bad_request", "ExpirationTime is not a valid date", { httpStatus: 400 });
  }
  return date.toISOString();
}

interface Indicator {
  id: string;
  actionId: string;
  value: string;
  title: string;
  expiresAt: number;
}

export class SimulatedDefenderIndicators implements FirewallProvider {
  private readonly indicators = new Map<string, Indicator>();
  /**
   * The newest indicator of each address. One is created only when every earlier one for the
   * address has expired, so it is the only one that can still be active: the duplicate check is a
   * lookup rather than a scan of up to 15,000 indicators per block.
   */
  private readonly latestByValue = new Map<string, Indicator>();
  // Real indicator ids are small increasing integers; start past zero so they do not look fake.
  private nextId = 4201;

  constructor(
    private readonly rt: SimRuntime,
    private readonly maxIndicators = SIM_MAX_INDICATORS,
  ) {}

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: true });
    return this.create(request);
  }

  /** The most requests one `blockMany` / `unblockMany` takes: Defender's import and batch delete take 500. */
  readonly batchSize = 500;

  /**
   * One import (a single call, in the gate's batch lane, as the live one): each request is
   * submitted as `block` submits one, with its own outcome; an address given twice gets one
   * indicator, the second is refused as a duplicate.
   */
  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    if (requests.length > this.batchSize) {
      throw new ProviderError("defender", "bad_request", `an import takes at most ${this.batchSize} indicators, not ${requests.length}`, {
        httpStatus: 400,
      });
    }
    if (requests.length === 0) return [];
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: true, lane: "batch" });
    return requests.map((request) => {
      try {
        request.planned?.({ indicator_title: request.description });
        return { ok: true, value: this.create(request) };
      } catch (err) {
        if (err instanceof ProviderError) return { ok: false, error: err };
        throw err;
      }
    });
  }

  /** One batch delete: each indicator still there is removed; one already gone is `alreadyAbsent`. */
  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    if (items.length > this.batchSize) {
      throw new ProviderError("defender", "bad_request", `a batch delete takes at most ${this.batchSize} ids, not ${items.length}`, {
        httpStatus: 400,
      });
    }
    if (items.length === 0) return [];
    await this.rt.enter("defender", "defender.unblock", tenantId, { mutating: true, lane: "batch" });
    return items.map(({ ref }) => ({ ok: true, value: this.remove(ref) }));
  }

  private create(request: BlockRequest): BlockResult {
    const bad = (message: string) => new ProviderError("defender", "bad_request", message, { httpStatus: 400 });
    const parsed = parseAddress(request.address);
    if (!parsed) throw bad(`IndicatorValue '${request.address}' is not a valid IP address`);
    if (parsed.isRange) {
      throw bad(`IndicatorValue '${request.address}' is a CIDR range; IpAddress indicators take single addresses only`);
    }
    const range = ipaddr.parse(parsed.address).range();
    if (range !== "unicast") {
      throw bad(`IndicatorValue '${request.address}' is not a public address (${range}); only public IPs can be blocked`);
    }
    const expirationTime = expirationIso(request.expiresAt);
    const now = this.rt.now();
    const latest = this.latestByValue.get(parsed.address);
    const duplicate = latest && latest.expiresAt > now ? latest : undefined;
    if (duplicate) {
      throw new ProviderError(
        "defender",
        "conflict",
        `An active IpAddress indicator for '${parsed.address}' already exists (id ${duplicate.id})`,
        { httpStatus: 409 },
      );
    }
    if (this.indicators.size >= this.maxIndicators) {
      throw new ProviderError(
        "defender",
        "conflict",
        `The tenant has reached the maximum of ${this.maxIndicators} indicators`,
        { httpStatus: 409 },
      );
    }
    const id = String(this.nextId++);
    const indicator = {
      id,
      actionId: request.actionId,
      value: parsed.address,
      title: request.description,
      expiresAt: request.expiresAt.getTime(),
    };
    this.indicators.set(id, indicator);
    this.latestByValue.set(indicator.value, indicator);
    return { ref: id, details: { indicator_id: id, expiration_time: expirationTime } };
  }

  async unblock(tenantId: string, ref: string, _address?: string): Promise<{ alreadyAbsent: boolean }> {
    await this.rt.enter("defender", "defender.unblock", tenantId, { mutating: true });
    return this.remove(ref);
  }

  private remove(ref: string): { alreadyAbsent: boolean } {
    const indicator = this.indicators.get(ref);
    if (!indicator) return absent();
    this.indicators.delete(ref);
    if (this.latestByValue.get(indicator.value) === indicator) this.latestByValue.delete(indicator.value);
    return { alreadyAbsent: false };
  }

  async findBlock(tenantId: string, actionId: string): Promise<BlockResult | null> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: false });
    const own = [...this.indicators.values()].find((i) => i.actionId === actionId);
    return own ? { ref: own.id, details: { indicator_id: own.id, expiration_time: new Date(own.expiresAt).toISOString() } } : null;
  }

  /** Submit-or-update: the indicator keeps its id, with the new expiry. */
  async setExpiry(tenantId: string, ref: string, request: BlockRequest): Promise<void> {
    await this.rt.enter("defender", "defender.block", tenantId, { mutating: true });
    const own = this.indicators.get(ref);
    if (!own || own.actionId !== request.actionId) {
      throw new ProviderError("defender", "conflict", `indicator ${ref} for ${request.address} no longer exists; nothing was changed`, {
        httpStatus: 409,
      });
    }
    own.expiresAt = new Date(expirationIso(request.expiresAt)).getTime();
  }
}
