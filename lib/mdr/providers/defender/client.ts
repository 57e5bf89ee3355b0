// The Defender XDR client: Microsoft Defender for Endpoint's API over plain fetch (it has no
// JavaScript SDK). Machines, machine actions (isolate / unisolate) and IP indicators.
import { z } from "zod";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { type RetryPolicy, firstIssue, kindOfStatus, retryAfterSeconds, withRetry } from "@/lib/mdr/providers/live/retry";
import type { TokenSource } from "@/lib/mdr/providers/live/tokens";
import {
  type BatchOutcome,
  type BlockRequest,
  type BlockResult,
  type EndpointProvider,
  type FirewallProvider,
  type IsolationType,
  type Machine,
  type MachineAction,
  MACHINE_ACTION_STATUSES,
  ProviderError,
} from "@/lib/mdr/providers/types";

// Answers are parsed for what the actions use, and tolerate the rest: a field that is only shown
// (or absent from a smaller answer than the emulator's, as real tenants give) has a fallback;
// what an action decides on (ids, a machine action's status) is required, so that an answer
// without it is "unexpected", never read as something it did not say.

/** A text field that may be absent or null: its fallback then. */
const text = (fallback: string) => z.string().nullish().transform((s) => s ?? fallback);

const MachineSchema = z.object({
  id: z.string(),
  // What a short name is matched on and the guard checks; an unnamed device (an unmanaged one may
  // be) has "", as a null name always had.
  computerDnsName: text(""),
  // Only shown (the candidates of an ambiguous name) or not used at all.
  lastSeen: text(""),
  osPlatform: text("Unknown"),
  healthStatus: text("Unknown"),
});
const MachineList = z.object({ value: z.array(MachineSchema) });
/**
 * A machine action: `id` and `status` decide everything (the row's ref, its outcome, the poll).
 * Its `type` is not checked here: the caller knows what it asked for (isolate-machine.md: an
 * UnManagedDevice isolation triggers "contain device", whose type machineaction.md does not list).
 */
const MachineActionSchema = z
  .object({
    id: z.string(),
    type: text(""),
    status: z.enum(MACHINE_ACTION_STATUSES),
    machineId: text(""),
    computerDnsName: text(""),
    creationDateTimeUtc: text(""),
    // machineaction.md and get-machineaction-object spell it lastUpdateDateTimeUtc; the list page
    // (get-machineactions-collection.md) lastUpdateTimeUtc. Either is read; without both it falls
    // back to the creation time (nothing later is known), else "". No decision reads it.
    lastUpdateDateTimeUtc: z.string().nullish(),
    lastUpdateTimeUtc: z.string().nullish(),
    // The Comment it was sent with: how recovery tells its own action (`MDR act_... by ...`).
    requestorComment: z.string().nullish().transform((c) => c ?? null),
  })
  .transform(({ lastUpdateTimeUtc, ...a }) => ({
    ...a,
    lastUpdateDateTimeUtc: a.lastUpdateDateTimeUtc ?? lastUpdateTimeUtc ?? a.creationDateTimeUtc,
  }));
// A device's action list holds every kind (scans, investigations...): all are returned, and recovery
// picks its own by the Comment naming its row.
const MachineActionList = z.object({ value: z.array(MachineActionSchema) });
const IndicatorSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String) });
const IndicatorList = z.object({
  value: z.array(
    IndicatorSchema.extend({
      indicatorValue: z.string().nullish().transform((v) => v ?? ""),
      action: z.string().nullish().transform((a) => a ?? "?"),
      title: z.string().nullish().transform((t) => t ?? ""),
      expirationTime: z.string().nullish().transform((e) => e ?? null),
    }),
  ),
});
type Indicator = z.infer<typeof IndicatorList>["value"][number];

/**
 * The import's answer (import-ti-indicators.md): one result per indicator, `isFailed` and
 * `failureReason` saying why one was not taken. What decides is required; `indicator` (its value)
 * may be absent, the position then tells.
 */
const ImportResults = z.object({
  value: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).nullish().transform((id) => (id === null || id === undefined ? null : String(id))),
      indicator: z.string().nullish().transform((v) => v ?? null),
      isFailed: z.boolean(),
      failureReason: z.string().nullish().transform((r) => r ?? null),
    }),
  ),
});

/**
 * The most indicators one import takes, and the most ids one batch delete takes
 * (import-ti-indicators.md: "Maximum batch size for one API call is 500";
 * batch-delete-ti-indicators.md: "Batch size limit of up to 500 Indicator IDs").
 */
export const INDICATOR_BATCH_SIZE = 500;
/** The most items a list page holds ($top "with max value of 10,000": get-machines.md, get-ti-indicators-collection.md). */
export const LIST_PAGE_SIZE = 10_000;
/** The gate's lane of the batch calls, which Defender counts apart (30 a minute: defender facts `batchRate`). */
export const BATCH_LANE = "batch";

/** The title a block's indicator carries: how it is found again. */
export const indicatorTitle = (actionId: string): string => `MDR block ${actionId}`;
const ErrorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

/** The permission each kind of call needs (Defender for Endpoint API, application permissions). */
const PERMISSION = {
  read: "Machine.Read.All",
  isolate: "Machine.Isolate",
  indicators: "Ti.ReadWrite.All",
} as const;
type Permission = (typeof PERMISSION)[keyof typeof PERMISSION];

/** OData string literal: a single quote inside is written twice. */
export function odataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface DefenderOptions {
  baseUrl: string;
  /** The scope each tenant's Defender tokens are asked for (`<resource>/.default`, or MDE_TOKEN_SCOPE). */
  scope: (tenantId: string) => string;
  tokens: TokenSource;
  retry: RetryPolicy;
  gate: CallGate;
  /** Items per page of a list read ($top): Defender's most, 10,000, unless a test pages smaller. */
  pageSize?: number;
}

export class DefenderClient implements EndpointProvider, FirewallProvider {
  constructor(private readonly opts: DefenderOptions) {}

  private async call<T>(
    tenantId: string,
    method: "GET" | "POST" | "DELETE",
    path: string,
    permission: Permission,
    schema: z.ZodType<T> | null,
    body?: unknown,
    lane?: string,
  ): Promise<T | null> {
    const token = await this.opts.tokens.token("defender", tenantId, this.opts.scope(tenantId));
    // GET and DELETE can be repeated safely; a POST that may have been acted on is not repeated.
    const idempotent = method !== "POST";
    return withRetry("defender", idempotent, this.opts.retry, async (signal) => {
      const res = await fetch(`${this.opts.baseUrl}${path}`, {
        method,
        signal,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const what = `${method} ${path.split("?")[0]}`;
      if (!res.ok) throw httpError(res, text, what, permission);
      if (schema === null || res.status === 204) return null;
      // Defender answered, but not with what it documents: not a network failure (never retried),
      // and a write it may have carried out is not called failed without saying so.
      const unexpected = (why: string) =>
        new ProviderError(
          "defender",
          "bad_request",
          `unexpected answer to ${what} (HTTP ${res.status}): ${why}${idempotent ? "" : "; the outcome is unknown"}`,
        );
      let json: unknown = null;
      if (text) {
        try {
          json = JSON.parse(text);
        } catch {
          throw unexpected(`not JSON (${text.slice(0, 100)})`);
        }
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw unexpected(firstIssue(parsed.error.issues));
      return parsed.data;
    }, { gate: this.opts.gate, tenantId, lane });
  }

  /**
   * A whole collection, page by page: `$top` at the most a page holds and `$skip` past the pages
   * read (get-machines.md and get-ti-indicators-collection.md document both, $top up to 10,000),
   * until a page comes back short. A 404 (the machine list's answer when it has nothing) is an
   * empty list.
   */
  private async listAll<T>(tenantId: string, path: string, permission: Permission, schema: z.ZodType<{ value: T[] }>): Promise<T[]> {
    const top = this.opts.pageSize ?? LIST_PAGE_SIZE;
    const all: T[] = [];
    for (let skip = 0; ; skip += top) {
      const sep = path.includes("?") ? "&" : "?";
      let page: T[];
      try {
        page = (await this.call(tenantId, "GET", `${path}${sep}$top=${top}${skip > 0 ? `&$skip=${skip}` : ""}`, permission, schema))!.value;
      } catch (err) {
        if (err instanceof ProviderError && err.kind === "not_found") break;
        throw err;
      }
      all.push(...page);
      if (page.length < top) break;
    }
    return all;
  }

  async findMachines(tenantId: string, hostname: string): Promise<Machine[]> {
    const byFilter = async (filter: string) => {
      try {
        const list = await this.call(tenantId, "GET", `/api/machines?$filter=${encodeURIComponent(filter)}`, PERMISSION.read, MachineList);
        return list!.value;
      } catch (err) {
        // The API may answer 404 rather than an empty list when nothing matches.
        if (err instanceof ProviderError && err.kind === "not_found") return [];
        throw err;
      }
    };
    const exact = await byFilter(`computerDnsName eq ${odataString(hostname)}`);
    if (exact.length > 0 || hostname.includes(".")) return exact;
    // A short name: devices are usually known by their FQDN.
    const prefix = `${hostname}.`;
    const candidates = await byFilter(`startswith(computerDnsName,${odataString(prefix)})`);
    return candidates.filter((m) => m.computerDnsName.toLowerCase().startsWith(prefix));
  }

  /**
   * The devices of many hostnames, matched as `findMachines` matches one, from one read of the
   * tenant's machine list: $top=10,000 a page (get-machines.md), so a few calls for any fleet,
   * where one lookup per host would spend the 100 calls a minute the isolations need. The API's
   * $filter documents no `in` operator (exposed-apis-odata-samples.md lists eq, startswith...), so
   * the list is read whole rather than filtered by name.
   */
  async findMachinesByNames(tenantId: string, hostnames: string[]): Promise<Map<string, Machine[]>> {
    const machines = await this.listAll(tenantId, "/api/machines", PERMISSION.read, MachineList);
    const byName = new Map<string, Machine[]>();
    const byFirstLabel = new Map<string, Machine[]>();
    for (const m of machines) {
      const name = m.computerDnsName.toLowerCase();
      if (name === "") continue;
      push(byName, name, m);
      push(byFirstLabel, name.split(".")[0]!, m);
    }
    const found = new Map<string, Machine[]>();
    for (const hostname of hostnames) {
      const wanted = hostname.toLowerCase();
      // As findMachines: the exact name first; a short name otherwise matches the first label of an FQDN.
      const exact = byName.get(wanted) ?? [];
      const matches =
        exact.length > 0 || wanted.includes(".")
          ? exact
          : (byFirstLabel.get(wanted) ?? []).filter((m) => m.computerDnsName.toLowerCase().startsWith(`${wanted}.`));
      found.set(hostname, matches.map((m) => ({ ...m })));
    }
    return found;
  }

  async getMachine(tenantId: string, machineId: string): Promise<Machine> {
    return (await this.call(tenantId, "GET", `/api/machines/${encodeURIComponent(machineId)}`, PERMISSION.read, MachineSchema))!;
  }

  async isolate(
    tenantId: string,
    machineId: string,
    input: { comment: string; isolationType: IsolationType },
  ): Promise<MachineAction> {
    return this.machineAction(tenantId, machineId, "isolate", { Comment: input.comment, IsolationType: input.isolationType });
  }

  async release(tenantId: string, machineId: string, input: { comment: string }): Promise<MachineAction> {
    return this.machineAction(tenantId, machineId, "unisolate", { Comment: input.comment });
  }

  /**
   * Asks for an isolation or a release: the machine action Defender created. Its type is the one
   * asked for, whatever Defender calls it: the action was sent, and an answer naming it otherwise
   * (an unmanaged device's containment) must not fail the row.
   */
  private async machineAction(tenantId: string, machineId: string, verb: "isolate" | "unisolate", body: object): Promise<MachineAction> {
    const path = `/api/machines/${encodeURIComponent(machineId)}/${verb}`;
    const action = (await this.call(tenantId, "POST", path, PERMISSION.isolate, MachineActionSchema, body))!;
    return { ...action, type: verb === "isolate" ? "Isolate" : "Unisolate", machineId: action.machineId || machineId };
  }

  /** A collection read with an OData $filter. */
  private async filtered<T>(tenantId: string, collection: string, filter: string, permission: Permission, schema: z.ZodType<T>): Promise<T> {
    return (await this.call(tenantId, "GET", `/api/${collection}?$filter=${encodeURIComponent(filter)}`, permission, schema))!;
  }

  async getMachineAction(tenantId: string, actionId: string): Promise<MachineAction> {
    // The poll reads its status only; the type is kept as Defender says it.
    return (await this.call(tenantId, "GET", `/api/machineactions/${encodeURIComponent(actionId)}`, PERMISSION.read, MachineActionSchema))!;
  }

  async listMachineActions(tenantId: string, machineId: string): Promise<MachineAction[]> {
    const list = await this.filtered(tenantId, "machineactions", `machineId eq ${odataString(machineId)}`, PERMISSION.read, MachineActionList);
    // Newest first; one without a creation time ("") sorts last.
    return list.value
      .map((a) => ({ ...a, machineId: a.machineId || machineId }))
      .sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc));
  }

  private async indicatorsFor(tenantId: string, address: string): Promise<Indicator[]> {
    const filter = `indicatorValue eq ${odataString(address)} and indicatorType eq 'IpAddress'`;
    return (await this.filtered(tenantId, "indicators", filter, PERMISSION.indicators, IndicatorList)).value;
  }

  /** The indicator body of a block: also what an update sends again, with another expiry. */
  private indicatorBody(request: BlockRequest): Record<string, unknown> {
    return {
      indicatorValue: request.address,
      indicatorType: "IpAddress",
      action: "Block",
      title: indicatorTitle(request.actionId),
      description: request.description.slice(0, 1000),
      expirationTime: request.expiresAt.toISOString(),
      severity: "High",
      generateAlert: true,
    };
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    // Defender keeps one indicator per value: a POST for an address that has one updates it (same
    // id, new action, title and expiry). Its unblock would then delete the other block's indicator
    // (or an analyst's own), so an address that already has one is refused.
    const taken = (await this.indicatorsFor(tenantId, request.address))[0];
    if (taken) throw this.taken(request.address, taken);
    const indicator = await this.call(
      tenantId,
      "POST",
      "/api/indicators",
      PERMISSION.indicators,
      IndicatorSchema,
      this.indicatorBody(request),
    );
    return {
      ref: indicator!.id,
      details: { indicator_id: indicator!.id, expiration_time: request.expiresAt.toISOString() },
    };
  }

  readonly batchSize = INDICATOR_BATCH_SIZE;

  /**
   * The tenant's IP indicators, every one, in a page or two: the list API takes no `in (...)` on
   * indicatorValue (its $filter documents eq on single properties: get-ti-indicators-collection.md),
   * and a tenant holds at most 15,000 active indicators (post-ti-indicator.md), two pages of 10,000.
   */
  private async ipIndicators(tenantId: string): Promise<Indicator[]> {
    return this.listAll(tenantId, `/api/indicators?$filter=${encodeURIComponent("indicatorType eq 'IpAddress'")}`, PERMISSION.indicators, IndicatorList);
  }

  /**
   * Blocks many addresses in one import (import-ti-indicators.md, up to 500 per call), after one
   * read of the tenant's IP indicators for the check `block` makes per address: an address that
   * already has an indicator (ours or anyone's) is refused, as is one given twice, since the
   * import would update that indicator rather than add one. Each result is the import's own for
   * that indicator; `planned` is told each indicator's title before the import is sent.
   */
  async blockMany(tenantId: string, requests: BlockRequest[]): Promise<BatchOutcome<BlockResult>[]> {
    if (requests.length > INDICATOR_BATCH_SIZE) {
      throw new ProviderError("defender", "bad_request", `an import takes at most ${INDICATOR_BATCH_SIZE} indicators, not ${requests.length}`);
    }
    const outcomes: (BatchOutcome<BlockResult> | undefined)[] = new Array(requests.length);
    if (requests.length === 0) return [];
    const existing = new Map((await this.ipIndicators(tenantId)).map((i) => [i.indicatorValue.toLowerCase(), i]));
    const sending: number[] = [];
    const seen = new Map<string, string>();
    requests.forEach((request, i) => {
      const value = request.address.toLowerCase();
      const taken = existing.get(value);
      if (taken) {
        outcomes[i] = { ok: false, error: this.taken(request.address, taken) };
      } else if (seen.has(value)) {
        outcomes[i] = {
          ok: false,
          error: new ProviderError(
            "defender",
            "conflict",
            `${request.address} is also blocked by ${seen.get(value)} in the same import; Defender keeps one indicator per address`,
            { httpStatus: 409 },
          ),
        };
      } else {
        seen.set(value, request.actionId);
        sending.push(i);
      }
    });
    if (sending.length > 0) {
      for (const i of sending) requests[i]!.planned?.({ indicator_title: indicatorTitle(requests[i]!.actionId) });
      const answer = (await this.call(
        tenantId,
        "POST",
        "/api/indicators/import",
        PERMISSION.indicators,
        ImportResults,
        { Indicators: sending.map((i) => this.indicatorBody(requests[i]!)) },
        BATCH_LANE,
      ))!.value;
      const byValue = new Map(answer.filter((r) => r.indicator !== null).map((r) => [r.indicator!.toLowerCase(), r]));
      sending.forEach((i, k) => {
        const request = requests[i]!;
        const result = byValue.get(request.address.toLowerCase()) ?? (answer.length === sending.length ? answer[k] : undefined);
        outcomes[i] = importOutcome(request, result);
      });
    }
    return outcomes.map((o) => o!);
  }

  /**
   * Removes many blocks' indicators in one batch delete (batch-delete-ti-indicators.md, up to 500
   * ids). That call fails whole (404) when any id is gone, so the tenant's IP indicators are read
   * first: an id no longer there is `alreadyAbsent`, as `unblock` says of one. One that vanishes
   * between the read and the delete makes the delete a 404: read again, and delete what is left once.
   */
  async unblockMany(tenantId: string, items: { ref: string; address: string }[]): Promise<BatchOutcome<{ alreadyAbsent: boolean }>[]> {
    if (items.length > INDICATOR_BATCH_SIZE) {
      throw new ProviderError("defender", "bad_request", `a batch delete takes at most ${INDICATOR_BATCH_SIZE} ids, not ${items.length}`);
    }
    if (items.length === 0) return [];
    const absent = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const present = new Set((await this.ipIndicators(tenantId)).map((i) => i.id));
      for (const { ref } of items) if (!present.has(ref)) absent.add(ref);
      const ids = [...new Set(items.map((i) => i.ref).filter((ref) => !absent.has(ref)))];
      if (ids.length === 0) break;
      try {
        await this.call(tenantId, "POST", "/api/indicators/BatchDelete", PERMISSION.indicators, null, { IndicatorIds: ids }, BATCH_LANE);
        break;
      } catch (err) {
        if (attempt >= 2 || !(err instanceof ProviderError && err.kind === "not_found")) throw err;
      }
    }
    return items.map(({ ref }) => ({ ok: true, value: { alreadyAbsent: absent.has(ref) } }));
  }

  /** Why an address that already has an indicator is not blocked again. */
  private taken(address: string, taken: Indicator): ProviderError {
    return new ProviderError(
      "defender",
      "conflict",
      `${address} already has indicator ${taken.id} (${taken.action}, "${taken.title}"); Defender keeps one indicator per address, so a second block would overwrite it`,
      { httpStatus: 409 },
    );
  }

  async unblock(tenantId: string, ref: string): Promise<{ alreadyAbsent: boolean }> {
    try {
      await this.call(tenantId, "DELETE", `/api/indicators/${encodeURIComponent(ref)}`, PERMISSION.indicators, null);
      return { alreadyAbsent: false };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not_found") return { alreadyAbsent: true };
      throw err;
    }
  }

  async findBlock(tenantId: string, actionId: string, address: string): Promise<BlockResult | null> {
    const own = (await this.indicatorsFor(tenantId, address)).find((i) => i.title === indicatorTitle(actionId));
    if (!own) return null;
    return {
      ref: own.id,
      details: { indicator_id: own.id, ...(own.expirationTime ? { expiration_time: own.expirationTime } : {}) },
    };
  }

  /**
   * "Submit or Update Indicator" (post-ti-indicator.md): a POST with the value of an existing
   * indicator updates it in place, same id. Only when that indicator is still this block's own:
   * otherwise the POST would create one (it was deleted) or rewrite someone else's.
   */
  async setExpiry(tenantId: string, ref: string, request: BlockRequest): Promise<void> {
    const current = (await this.indicatorsFor(tenantId, request.address)).find((i) => i.id === ref);
    if (!current || current.title !== indicatorTitle(request.actionId)) {
      throw new ProviderError(
        "defender",
        "conflict",
        current
          ? `indicator ${ref} for ${request.address} now belongs to "${current.title}"; its expiry was left alone`
          : `indicator ${ref} for ${request.address} no longer exists; nothing was changed`,
        { httpStatus: 409 },
      );
    }
    await this.call(tenantId, "POST", "/api/indicators", PERMISSION.indicators, IndicatorSchema, this.indicatorBody(request));
  }

  /** The cheapest authenticated read. */
  async probe(tenantId: string): Promise<void> {
    await this.call(tenantId, "GET", "/api/machines?$top=1", PERMISSION.read, MachineList);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * One request's outcome from its import result: the indicator it created, or its failure reason
 * as that request's error (a quota reached is a conflict, as a single submission's 409 would be;
 * anything else the indicator's own fault). A request the answer says nothing of may have been
 * taken or not: its outcome is unknown, and recovery looks for it by its title.
 */
function importOutcome(request: BlockRequest, result: z.infer<typeof ImportResults>["value"][number] | undefined): BatchOutcome<BlockResult> {
  if (!result) {
    return {
      ok: false,
      error: new ProviderError("defender", "bad_request", `unexpected answer to POST /api/indicators/import: no result for ${request.address}; the outcome is unknown`),
    };
  }
  if (result.isFailed || result.id === null) {
    const reason = result.failureReason ?? (result.isFailed ? "no reason given" : "no indicator id in the answer");
    const conflict = /maximum|limit|quota|already exists/i.test(reason);
    return {
      ok: false,
      error: new ProviderError("defender", conflict ? "conflict" : "bad_request", `import of ${request.address} failed: ${reason}`, {
        httpStatus: conflict ? 409 : 400,
      }),
    };
  }
  return {
    ok: true,
    value: { ref: result.id, details: { indicator_id: result.id, expiration_time: request.expiresAt.toISOString() } },
  };
}

/**
 * Defender's 403s that are the tenant's refusal, not a permission the app lacks (common-errors.md):
 * no grant changes them. They keep the kind "permission": a 502 recorded failed, never retried and
 * no sign of an outage, like every refusal only an administrator of the tenant can lift; a 409
 * would tell a caller the target is already held, which it is not.
 */
const TENANT_REFUSALS: Partial<Record<string, string>> = {
  // "Tenant feature isn't enabled": advanced-features.md turns them on there (Custom network
  // indicators, for IP indicators, is one).
  DisabledFeature:
    "a feature this call needs is turned off in the tenant's Defender settings (Settings > Endpoints > Advanced features " +
    "in the Microsoft Defender portal); a tenant administrator must turn it on",
  // "{the disallowed operation and the reason}": Defender's own message says which.
  DisallowedOperation: "Defender disallows this operation in the tenant (its settings or the target's state)",
};

function httpError(res: Response, text: string, what: string, permission: Permission): ProviderError {
  let code = "";
  let message = text.slice(0, 300);
  try {
    const body = ErrorBody.safeParse(JSON.parse(text));
    if (body.success) {
      code = body.data.error.code ?? "";
      message = body.data.error.message ?? message;
    }
  } catch {
    // not JSON: keep the text
  }
  const status = res.status;
  let kind = kindOfStatus(status);
  if (status === 400 && /ActiveRequestAlreadyExists|already in progress|already isolated|not isolated/i.test(`${code} ${message}`)) {
    kind = "conflict";
  }
  const head = `${status}${code ? ` ${code}` : ""} on ${what}`;
  // 401: the token itself was refused (wrong resource for this host, another tenant, expired), which
  // no permission grant would fix; 403: the token is fine but lacks the permission, unless Defender
  // says the tenant itself refuses it (DisabledFeature, DisallowedOperation).
  const tenantRefusal = status === 403 ? TENANT_REFUSALS[code] : undefined;
  const detail =
    status === 401
      ? `${head}: the access token was refused. ${message}`
      : tenantRefusal !== undefined
        ? `${head}: ${tenantRefusal}. ${message}`
        : kind === "permission"
          ? `${head}: the app registration needs the ${permission} application permission (admin-consented). ${message}`
          : `${head}: ${message}`;
  return new ProviderError("defender", kind, detail.trim(), {
    httpStatus: status,
    retryAfterSeconds: retryAfterSeconds(res.headers.get("retry-after")),
  });
}
