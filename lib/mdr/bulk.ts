// Bulk requests: one action per target, each through the one pipeline and the rate gate, each
// answered as a single request would have been. The list was validated as a whole before any of
// it ran (a bad item refuses the request); from then on each target succeeds or fails on its own.
import "server-only";
import { ERROR_CODES, MdrError, problemType } from "@/lib/errors";
import type { ActionRow } from "@/lib/db/schema";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import type { MdrContext } from "@/lib/mdr/context";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import type { BulkBlockIpRequest, BulkIsolateRequest, BulkResponse } from "@/lib/mdr/schemas";
import { serviceOf } from "@/lib/mdr/providers/facts";
import { requireService, resolveTenant } from "@/lib/mdr/tenant";

type Result = BulkResponse["results"][number];

/**
 * How many targets run at once. The rate gate decides when calls go out; this keeps a list of 500
 * from holding 500 requests in its queue at once (each would count its wait against the bound).
 */
export const BULK_CONCURRENCY = 8;

function resultOf(target: string, row: ActionRow): Result {
  return { target, id: row.id, status: row.status, http_status: row.status === "succeeded" ? 201 : 202 };
}

function failureOf(target: string, err: unknown): Result {
  if (!(err instanceof MdrError)) {
    console.error(`[mdr] bulk item ${target} failed unexpectedly:`, err);
    err = new MdrError("internal", `The action for ${target} failed with an unexpected error.`);
  }
  const e = err as MdrError;
  const { action_id: id, action_status: status, ...extra } = e.extra as { action_id?: string; action_status?: Result["status"] };
  return {
    target,
    id: id ?? null,
    status: status ?? null,
    http_status: e.status,
    error: { type: problemType(e.code), title: ERROR_CODES[e.code].title, detail: e.message, errors: e.errors, ...extra },
  };
}

/** Runs `act` for every target, at most BULK_CONCURRENCY at a time; results in the list's order. */
async function runAll<T>(targets: T[], label: (t: T) => string, act: (t: T) => Promise<ActionRow>): Promise<Result[]> {
  const results: Result[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const target = targets[i]!;
      try {
        results[i] = resultOf(label(target), await act(target));
      } catch (err) {
        results[i] = failureOf(label(target), err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, targets.length) }, worker));
  return results;
}

// POST /block-ip with `ips`
export async function blockIps({ ctx, input }: { ctx: MdrContext; input: BulkBlockIpRequest }): Promise<BulkResponse> {
  // What holds for every item is refused once, before any of them runs.
  const tenantId = resolveTenant(ctx, input.tenant_id);
  requireService(ctx, serviceOf(input.firewall_type), tenantId, "firewall_type");
  const { ips, ...common } = input;
  const results = await runAll(ips, (a) => a.value, (address) =>
    blockIp({ ctx, input: { ...common, ip: address.value, address, priority: undefined } }),
  );
  return { results };
}

// POST /isolate with `hostnames`
export async function isolateEndpoints({ ctx, input }: { ctx: MdrContext; input: BulkIsolateRequest }): Promise<BulkResponse> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  requireService(ctx, "defender", tenantId, "tenant_id");
  const { hostnames, ...common } = input;
  const results = await runAll(hostnames, (h) => h, (hostname) =>
    isolateEndpoint({ ctx, input: { ...common, hostname, machine_id: undefined } }),
  );
  return { results };
}
