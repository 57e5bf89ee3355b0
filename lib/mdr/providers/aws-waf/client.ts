// AWS WAF v2 IP sets through @aws-sdk/client-wafv2 (`firewall_type: aws_waf`). A set is written
// whole: GetIPSet reads its addresses and a LockToken, UpdateIPSet writes the full list back with
// that token; when someone else wrote in between, WAF answers WAFOptimisticLockException and the
// change is worked out again on a fresh read. A batch costs one GetIPSet + one UpdateIPSet per set
// (per address family), whatever its size.
import { Serial } from "@/lib/mdr/providers/serial";
import { gateAwsClient } from "@/lib/mdr/providers/live/aws-gate";
import { GetIPSetCommand, type IPSet, UpdateIPSetCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import type { TenantConfig } from "@/lib/config";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { asProviderError, kindOfStatus, withTimeout } from "@/lib/mdr/providers/live/retry";
import {
  type BatchOutcome,
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { parseWafIpSetArn, parseWafRef, type WafIpSetRef, wafCidr, wafRef } from "./arn";
import { awsWaf } from "./facts";
import { ADDRESSES_PER_SET, capacityOf, cidrKey, familyOf, planAdd, planRemove } from "./plan";

type WafConfig = NonNullable<TenantConfig["awsWaf"]>;
type Family = "ipv4" | "ipv6";

export interface AwsWafOptions {
  tenants: readonly TenantConfig[];
  endpoint: string | undefined;
  timeoutMs: number;
  gate: CallGate;
  /** Reads and writes of one set, at most (a write refused for a stale LockToken is read again). */
  lockAttempts?: number;
}

const PERMISSION = "wafv2:GetIPSet and wafv2:UpdateIPSet";
const SETTING: Record<Family, string> = { ipv4: "AWS_WAF_IPV4_SET_ARN", ipv6: "AWS_WAF_IPV6_SET_ARN" };
const FAMILY_LABEL: Record<Family, string> = { ipv4: "IPv4", ipv6: "IPv6" };
const VERSION: Record<Family, string> = { ipv4: "IPV4", ipv6: "IPV6" };

interface ReadSet {
  addresses: string[];
  lockToken: string;
  description: string | undefined;
}

export class AwsWafFirewall implements FirewallProvider {
  /**
   * Requests one blockMany takes. UpdateIPSet carries the set's whole list whatever the batch (at
   * most 10,000 CIDRs, about 250 KB), so the size bounds the rows one call decides, not the body:
   * 1,000 is two bulk requests' worth (500 each) in one write, and ten writes fill a set.
   */
  readonly batchSize = awsWaf.rules.batchSize;
  private readonly clients = new Map<string, WAFV2Client>();
  /** The tail of each set's queue of read-modify-writes: ours never race each other for a LockToken. */
  private readonly queues = new Serial();

  constructor(private readonly opts: AwsWafOptions) {}

  private config(tenantId: string): WafConfig {
    const waf = this.opts.tenants.find((t) => t.tenantId === tenantId)?.awsWaf;
    if (!waf) throw new ProviderError("aws_waf", "bad_request", `no WAF IP set is configured for tenant ${tenantId}`);
    return waf;
  }

  refuses(tenantId: string, address: string): string | undefined {
    try {
      this.setFor(tenantId, familyOf(address));
      return undefined;
    } catch (err) {
      if (err instanceof ProviderError) return err.message.replace(/^\[[^\]]+\] /, "");
      throw err;
    }
  }

  /** The tenant's set for a family; a bad_request naming the setting when there is none. */
  private setFor(tenantId: string, family: Family): WafIpSetRef {
    const set = family === "ipv4" ? this.config(tenantId).ipv4Set : this.config(tenantId).ipv6Set;
    // Nothing is sent: refused (rejected, 409) as a block this firewall cannot take as configured.
    if (!set) {
      throw new ProviderError(
        "aws_waf",
        "conflict",
        `no ${FAMILY_LABEL[family]} IP set is configured for tenant ${tenantId} (${SETTING[family]}, or aws_waf.${family}_set_arn in MDR_TENANTS_FILE): ${FAMILY_LABEL[family]} addresses cannot be blocked on AWS WAF`,
        { httpStatus: 409 },
      );
    }
    return set;
  }

  private client(tenantId: string, region: string): WAFV2Client {
    const key = `${tenantId}|${region}`;
    let client = this.clients.get(key);
    if (!client) {
      const credentials = this.config(tenantId).credentials;
      client = new WAFV2Client({
        region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(credentials ? { credentials } : {}),
        // The SDK's standard retry mode backs off on throttling and 5xx: 3 tries in all.
        maxAttempts: 3,
      });
      // Inside the SDK's retry loop: each attempt is one request and takes a turn at the gate.
      gateAwsClient(client, this.opts.gate, "aws_waf", tenantId);
      this.clients.set(key, client);
    }
    return client;
  }

  private run<T>(what: string, work: (abortSignal: AbortSignal) => Promise<T>, write = false): Promise<T> {
    return withTimeout(this.opts.timeoutMs, work, (err, abortSignal) => wafError(err, what, abortSignal, write));
  }

  /** One after another per set: the next read-modify-write starts once the last has ended. */
  private serial<T>(set: WafIpSetRef, work: () => Promise<T>): Promise<T> {
    return this.queues.run(set.arn, work);
  }

  private async read(tenantId: string, set: WafIpSetRef, family?: Family): Promise<ReadSet> {
    const out = await this.run("GetIPSet", (abortSignal) =>
      this.client(tenantId, set.region).send(new GetIPSetCommand({ Name: set.name, Scope: set.scope, Id: set.id }), { abortSignal }),
    );
    const ipSet: IPSet | undefined = out.IPSet;
    if (!ipSet || !Array.isArray(ipSet.Addresses) || typeof out.LockToken !== "string") {
      throw new ProviderError("aws_waf", "unavailable", `GetIPSet of ${set.name} answered without the set's addresses or a LockToken`, { httpStatus: 502 });
    }
    if (family && ipSet.IPAddressVersion && ipSet.IPAddressVersion !== VERSION[family]) {
      throw new ProviderError(
        "aws_waf",
        "bad_request",
        `the IP set ${set.name} holds ${ipSet.IPAddressVersion} addresses, but is configured as the ${FAMILY_LABEL[family]} set (${SETTING[family]})`,
      );
    }
    return { addresses: ipSet.Addresses, lockToken: out.LockToken, description: ipSet.Description };
  }

  private async write(tenantId: string, set: WafIpSetRef, read: ReadSet, addresses: string[]): Promise<void> {
    await this.run(
      "UpdateIPSet",
      (abortSignal) =>
        this.client(tenantId, set.region).send(
          new UpdateIPSetCommand({
            Name: set.name,
            Scope: set.scope,
            Id: set.id,
            // UpdateIPSet replaces every mutable setting: the description is sent back as read.
            ...(read.description !== undefined ? { Description: read.description } : {}),
            Addresses: addresses,
            LockToken: read.lockToken,
          }),
          { abortSignal },
        ),
      true,
    );
  }

  /**
   * Read, work out the change, write; read again when the write lost the LockToken race (someone
   * else wrote the set in between), at most `lockAttempts` times. `change` is given the set as read
   * and the attempt number, and returns the list to write (undefined: nothing to write).
   */
  private async readModifyWrite<T>(
    tenantId: string,
    set: WafIpSetRef,
    family: Family | undefined,
    change: (read: ReadSet) => { result: T; write: string[] | undefined; beforeWrite?: () => void },
  ): Promise<T> {
    const attempts = this.opts.lockAttempts ?? 5;
    return this.serial(set, async () => {
      for (let attempt = 1; ; attempt++) {
        const read = await this.read(tenantId, set, family);
        const { result, write, beforeWrite } = change(read);
        if (!write) return result;
        beforeWrite?.();
        try {
          await this.write(tenantId, set, read, write);
          return result;
        } catch (err) {
          if (!(err instanceof ProviderError && /WAFOptimisticLockException/.test(err.message))) throw err;
          if (attempt >= attempts) {
            throw new ProviderError(
              "aws_waf",
              "conflict",
              `the IP set ${set.name} was changed by another writer during each of ${attempts} attempts (WAFOptimisticLockException); nothing of this change was written`,
              { httpStatus: 409 },
            );
          }
        }
      }
    });
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    const [outcome] = await this.blockMany(tenantId, [request]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    this.config(tenantId);
    const outcomes: BatchOutcome<BlockResult>[] = new Array(requests.length);
    const groups = new Map<Family, number[]>();
    requests.forEach((r, i) => groups.set(familyOf(r.address), [...(groups.get(familyOf(r.address)) ?? []), i]));
    const failures: ProviderError[] = [];
    let wrote = false;
    for (const [family, indexes] of groups) {
      let set: WafIpSetRef;
      try {
        set = this.setFor(tenantId, family);
      } catch (err) {
        for (const i of indexes) outcomes[i] = { ok: false, error: err as ProviderError };
        continue;
      }
      const cidrs = indexes.map((i) => wafCidr(requests[i]!.address));
      // What an earlier attempt wrote is ours when a later read finds it (its answer may have been lost).
      const ours = new Set<string>();
      try {
        const plan = await this.readModifyWrite(tenantId, set, family, (read) => {
          const plan = planAdd(read.addresses, cidrs, ours);
          return {
            result: plan,
            write: plan.write,
            beforeWrite: () => {
              plan.outcomes.forEach((o, k) => {
                if ("full" in o || o.alreadyPresent) return;
                ours.add(cidrKey(o.cidr));
                requests[indexes[k]!]!.planned?.({ ip_set_arn: set.arn, cidr: o.cidr, already_present: 0 });
              });
            },
          };
        });
        wrote = true;
        plan.outcomes.forEach((o, k) => {
          const i = indexes[k]!;
          if ("full" in o) {
            outcomes[i] = {
              ok: false,
              error: new ProviderError(
                "aws_waf",
                "conflict",
                `the IP set ${set.name} holds the most addresses an IP set may (${ADDRESSES_PER_SET.toLocaleString("en-US")}): this address was not added`,
                { httpStatus: 409 },
              ),
            };
          } else {
            // Nothing is written for an address the set already held: recorded as found, not ours.
            if (o.alreadyPresent) requests[i]!.planned?.({ ip_set_arn: set.arn, cidr: o.cidr, already_present: 1 });
            outcomes[i] = { ok: true, value: blocked(set, o.cidr, o.alreadyPresent) };
          }
        });
      } catch (err) {
        const error = wafError(err, "UpdateIPSet", undefined, true);
        failures.push(error);
        for (const i of indexes) outcomes[i] = { ok: false, error };
      }
    }
    // Nothing was done at all: the whole call failed.
    if (!wrote && failures.length > 0 && outcomes.every((o) => !o.ok)) throw failures[0];
    return outcomes;
  }

  async unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }> {
    const [outcome] = await this.unblockMany(tenantId, [{ ref, address }]);
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  /**
   * Removes each block's own CIDR from the set its ref names, one read and one write per set. An
   * address the set held before our block (`already-present` in the ref) is left there: it is
   * someone else's entry. Other addresses of the set are written back untouched.
   */
  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    this.config(tenantId);
    const outcomes: BatchOutcome<{ alreadyAbsent: boolean }>[] = new Array(items.length);
    const groups = new Map<string, { set: WafIpSetRef; list: { index: number; cidr: string; keep: boolean }[] }>();
    items.forEach((item, index) => {
      const ref = parseWafRef(item.ref);
      const set = ref && parseWafIpSetArn(ref.arn);
      if (!ref || !set || typeof set === "string") {
        outcomes[index] = { ok: false, error: new ProviderError("aws_waf", "bad_request", `'${item.ref}' is not a WAF IP set block (<IP set ARN>#<CIDR>)`) };
        return;
      }
      const group = groups.get(set.arn) ?? { set, list: [] };
      group.list.push({ index, cidr: ref.cidr, keep: ref.alreadyPresent });
      groups.set(set.arn, group);
    });
    const failures: ProviderError[] = [];
    let wrote = false;
    for (const { set, list } of groups.values()) {
      const removed = new Set<string>();
      try {
        const plan = await this.readModifyWrite(tenantId, set, undefined, (read) => {
          const plan = planRemove(read.addresses, list, removed);
          return {
            result: plan,
            write: plan.write,
            beforeWrite: () => list.forEach((item) => !item.keep && removed.add(cidrKey(item.cidr))),
          };
        });
        wrote = true;
        plan.outcomes.forEach((o, k) => (outcomes[list[k]!.index] = { ok: true, value: o }));
      } catch (err) {
        const error = wafError(err, "UpdateIPSet", undefined, true);
        failures.push(error);
        for (const item of list) outcomes[item.index] = { ok: false, error };
      }
    }
    if (!wrote && failures.length > 0 && outcomes.every((o) => !o.ok)) throw failures[0];
    return outcomes;
  }

  /** Room left in the tenant's sets (10,000 addresses each): the fuller one bounds a list. */
  async capacity(tenantId: string): Promise<FirewallCapacity | null> {
    const waf = this.config(tenantId);
    const sets: { ref: WafIpSetRef; family: Family; count: number }[] = [];
    for (const family of ["ipv4", "ipv6"] as const) {
      const ref = family === "ipv4" ? waf.ipv4Set : waf.ipv6Set;
      if (ref) sets.push({ ref, family, count: (await this.read(tenantId, ref, family)).addresses.length });
    }
    return capacityOf(sets);
  }

  /**
   * The block's CIDR, in the set it recorded before writing (`planned`'s ip_set_arn), if the set
   * holds it. Nothing recorded: nothing was written (an equal address in the set is someone else's).
   */
  async findBlock(tenantId: string, _actionId: string, address: string, known: Record<string, unknown> | null): Promise<BlockResult | null> {
    const set = typeof known?.ip_set_arn === "string" ? parseWafIpSetArn(known.ip_set_arn) : undefined;
    if (!set || typeof set === "string") return null;
    const cidr = wafCidr(address);
    const { addresses } = await this.read(tenantId, set);
    if (!addresses.some((a) => cidrKey(a) === cidrKey(cidr))) return null;
    return blocked(set, cidr, Boolean(known?.already_present));
  }

  /** An IP set's addresses carry no expiry: the sweep removes them at the row's expires_at. */
  async setExpiry(): Promise<void> {}

  /**
   * The health check: one GetIPSet, of the first set configured. One round trip, as for every
   * service: at WAF's one call a second, a second read would hold /status for another second.
   */
  async probe(tenantId: string): Promise<void> {
    const waf = this.config(tenantId);
    if (waf.ipv4Set) await this.read(tenantId, waf.ipv4Set, "ipv4");
    else if (waf.ipv6Set) await this.read(tenantId, waf.ipv6Set, "ipv6");
  }
}

function blocked(set: WafIpSetRef, cidr: string, alreadyPresent: boolean): BlockResult {
  return {
    ref: wafRef(set.arn, cidr, alreadyPresent),
    details: { ip_set_arn: set.arn, ip_set: set.name, cidr, already_present: alreadyPresent },
  };
}

function wafError(err: unknown, what: string, signal: AbortSignal | undefined, write = false): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; message?: string; Reason?: string; Field?: string; Parameter?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status !== "number") return asProviderError("aws_waf", err, signal, write);
  const code = e.name ?? "";
  let kind = kindOfStatus(status);
  if (/AccessDenied|UnrecognizedClient|InvalidClientTokenId|InvalidSignature|SignatureDoesNotMatch|MissingAuthenticationToken/.test(code)) kind = "permission";
  else if (code === "WAFNonexistentItemException") kind = "not_found";
  else if (/WAFOptimisticLockException|WAFLimitsExceededException|WAFDuplicateItemException|WAFUnavailableEntityException/.test(code)) kind = "conflict";
  else if (/Throttl|TooManyRequests/.test(code)) kind = "throttled";
  else if (code === "WAFInternalErrorException") kind = "unavailable";
  else if (/WAFInvalidParameterException|WAFInvalidOperationException|ValidationException/.test(code)) kind = "bad_request";
  const head = `${status}${code ? ` ${code}` : ""} on ${what}`;
  const where = [e.Field && `field ${e.Field}`, e.Parameter && `parameter ${e.Parameter}`].filter(Boolean).join(", ");
  const message = `${(e.message ?? "").slice(0, 300)}${where ? ` (${where})` : ""}`;
  return new ProviderError(
    "aws_waf",
    kind,
    /UnrecognizedClient|InvalidClientTokenId|InvalidSignature|SignatureDoesNotMatch/.test(code)
      ? `${head}: the credentials were refused. ${message}`.trim()
      : kind === "permission"
        ? `${head}: the credentials need ${PERMISSION}. ${message}`.trim()
        : `${head}: ${message}`,
    { httpStatus: status },
  );
}
