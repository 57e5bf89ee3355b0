// The Defender XDR client: Microsoft Defender for Endpoint's API over plain fetch (it has no
// JavaScript SDK). Machines, machine actions (isolate / unisolate) and IP indicators.
import { z } from "zod";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { type RetryPolicy, firstIssue, kindOfStatus, retryAfterSeconds, withRetry } from "@/lib/mdr/providers/live/retry";
import type { TokenSource } from "@/lib/mdr/providers/live/tokens";
import {
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
      action: z.string().nullish().transform((a) => a ?? "?"),
      title: z.string().nullish().transform((t) => t ?? ""),
      expirationTime: z.string().nullish().transform((e) => e ?? null),
    }),
  ),
});
type Indicator = z.infer<typeof IndicatorList>["value"][number];

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
    }, { gate: this.opts.gate, tenantId });
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
    if (taken) {
      throw new ProviderError(
        "defender",
        "conflict",
        `${request.address} already has indicator ${taken.id} (${taken.action}, "${taken.title}"); Defender keeps one indicator per address, so a second block would overwrite it`,
        { httpStatus: 409 },
      );
    }
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
