// The Defender XDR client: Microsoft Defender for Endpoint's API over plain fetch (it has no
// JavaScript SDK). Machines, machine actions (isolate / unisolate) and IP indicators.
import { z } from "zod";
import { type RetryPolicy, kindOfStatus, retryAfterSeconds, withRetry } from "@/lib/mdr/providers/live/retry";
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

const MachineSchema = z.object({
  id: z.string(),
  computerDnsName: z.string().nullable().transform((n) => n ?? ""),
  lastSeen: z.string().nullable().transform((s) => s ?? ""),
  osPlatform: z.string().nullable().transform((s) => s ?? "Unknown"),
  healthStatus: z.string().nullable().transform((s) => s ?? "Unknown"),
});
const MachineList = z.object({ value: z.array(MachineSchema) });
const MachineActionSchema = z.object({
  id: z.string(),
  type: z.enum(["Isolate", "Unisolate"]),
  status: z.enum(MACHINE_ACTION_STATUSES),
  machineId: z.string(),
  computerDnsName: z.string().nullable().transform((n) => n ?? ""),
  creationDateTimeUtc: z.string(),
  lastUpdateDateTimeUtc: z.string(),
});
const IndicatorSchema = z.object({ id: z.union([z.string(), z.number()]).transform(String) });
const IndicatorList = z.object({
  value: z.array(
    IndicatorSchema.extend({
      action: z.string().nullish().transform((a) => a ?? "?"),
      title: z.string().nullish().transform((t) => t ?? ""),
    }),
  ),
});
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
  resource: string;
  tokens: TokenSource;
  retry: RetryPolicy;
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
    const token = await this.opts.tokens.token("defender", tenantId, this.opts.resource);
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
      if (!res.ok) throw httpError(res, text, `${method} ${path.split("?")[0]}`, permission);
      if (schema === null || res.status === 204) return null;
      const parsed = schema.safeParse(text ? JSON.parse(text) : null);
      if (!parsed.success) {
        throw new ProviderError("defender", "bad_request", `unexpected answer to ${method} ${path.split("?")[0]}: ${parsed.error.issues[0]?.message}`);
      }
      return parsed.data;
    });
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
    return (await this.call(
      tenantId,
      "POST",
      `/api/machines/${encodeURIComponent(machineId)}/isolate`,
      PERMISSION.isolate,
      MachineActionSchema,
      { Comment: input.comment, IsolationType: input.isolationType },
    ))!;
  }

  async release(tenantId: string, machineId: string, input: { comment: string }): Promise<MachineAction> {
    return (await this.call(
      tenantId,
      "POST",
      `/api/machines/${encodeURIComponent(machineId)}/unisolate`,
      PERMISSION.isolate,
      MachineActionSchema,
      { Comment: input.comment },
    ))!;
  }

  async getMachineAction(tenantId: string, actionId: string): Promise<MachineAction> {
    return (await this.call(tenantId, "GET", `/api/machineactions/${encodeURIComponent(actionId)}`, PERMISSION.read, MachineActionSchema))!;
  }

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    // Defender keeps one indicator per value: a POST for an address that has one updates it (same
    // id, new action, title and expiry). Its unblock would then delete the other block's indicator
    // (or an analyst's own), so an address that already has one is refused.
    const filter = `indicatorValue eq ${odataString(request.address)} and indicatorType eq 'IpAddress'`;
    const existing = await this.call(
      tenantId,
      "GET",
      `/api/indicators?$filter=${encodeURIComponent(filter)}`,
      PERMISSION.indicators,
      IndicatorList,
    );
    const taken = existing!.value[0];
    if (taken) {
      throw new ProviderError(
        "defender",
        "conflict",
        `${request.address} already has indicator ${taken.id} (${taken.action}, "${taken.title}"); Defender keeps one indicator per address, so a second block would overwrite it`,
        { httpStatus: 409 },
      );
    }
    const indicator = await this.call(tenantId, "POST", "/api/indicators", PERMISSION.indicators, IndicatorSchema, {
      indicatorValue: request.address,
      indicatorType: "IpAddress",
      action: "Block",
      title: `MDR block ${request.actionId}`,
      description: request.description.slice(0, 1000),
      expirationTime: request.expiresAt.toISOString(),
      severity: "High",
      generateAlert: true,
    });
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

  /** The cheapest authenticated read. */
  async probe(tenantId: string): Promise<void> {
    await this.call(tenantId, "GET", "/api/machines?$top=1", PERMISSION.read, MachineList);
  }
}

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
  // no permission grant would fix; 403: the token is fine but lacks the permission.
  const detail =
    status === 401
      ? `${head}: the access token was refused. ${message}`
      : kind === "permission"
        ? `${head}: the app registration needs the ${permission} application permission (admin-consented). ${message}`
        : `${head}: ${message}`;
  return new ProviderError("defender", kind, detail.trim(), {
    httpStatus: status,
    retryAfterSeconds: retryAfterSeconds(res.headers.get("retry-after")),
  });
}
