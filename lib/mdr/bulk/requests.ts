// Bulk requests: one action per target, each through the one pipeline, written first to the
// durable queue (lib/mdr/bulk/queue.ts) and run at once as far as the providers' limits allow.
// The list was validated as a whole before any of it ran (a bad item refuses the request); from
// then on each target succeeds or fails on its own, and none fails for rate reasons: what has no
// turn now waits in the queue (`queued`), and the answer says where to follow it.
import "server-only";
import { ERROR_CODES, MdrError, problemType } from "@/lib/errors";
import { bulkActions, findBulk } from "@/lib/db/queries/bulks";
import { findRunningUndo } from "@/lib/db/queries/actions";
import type { ActionRow, BulkRow } from "@/lib/db/schema";
import type { ActionSpec } from "@/lib/mdr/actions";
import { REQUEST_WAIT_MS, type Written, enqueueBulk, runQueued } from "@/lib/mdr/bulk/queue";
import type { MdrContext } from "@/lib/mdr/context";
import { kindOf } from "@/lib/mdr/kinds";
import { blockSpec } from "@/lib/mdr/kinds/block-ip/block";
import { disableSpec } from "@/lib/mdr/kinds/disable-user/disable";
import { isolationSpec, resolvedFrom } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { quarantineSpec, refuseUnavailableHardDelete } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { whyNotRevertible } from "@/lib/mdr/revertible";
import type { BulkBlockIpRequest, BulkDisableUserRequest, BulkIsolateRequest, BulkQuarantineEmailRequest, BulkResponse } from "@/lib/mdr/schemas";
import { FIREWALL_LABELS } from "@/lib/mdr/providers/types";
import { serviceOf } from "@/lib/mdr/providers/facts";
import { inScope, requireService, resolveTenant } from "@/lib/mdr/tenant";

type Result = BulkResponse["results"][number];

/**
 * What a bulk names each of its targets by: the row's target, or for mail the mailbox (every row of
 * a bulk quarantine has the one Message-ID as its target).
 */
export function bulkTarget(row: ActionRow): string {
  const mailbox = row.parameters.user_principal_name;
  return (row.type === "quarantine_email" || row.type === "restore_email") && typeof mailbox === "string" ? mailbox : row.target;
}

/** What a single request for the target would have answered with this row. */
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

/** The answer to a bulk request: 207 when every target is final for now, 202 while some wait in the queue. */
export interface BulkAnswer {
  status: 202 | 207;
  location: string;
  body: BulkResponse;
}

export const bulkLocation = (id: string) => `/api/v1/mdr/bulk/${id}`;

/** Queues the targets, runs what can go now, and answers for each. */
async function submit(ctx: MdrContext, items: { target: string; spec: ActionSpec }[], reverts: string | null = null): Promise<BulkAnswer> {
  const { type, tenantId, provider } = items[0]!.spec;
  const { bulk, written } = enqueueBulk(ctx, { type, tenantId, provider, reverts }, items);
  const queued = written.flatMap((w) => ("row" in w ? [w.row] : []));
  const ended = await runQueued(ctx, queued, Date.now() + REQUEST_WAIT_MS);
  const results = written.map((w: Written) => {
    if (!("row" in w)) return failureOf(w.target, w.error);
    const now = ended.get(w.row.id) ?? w.row;
    return now instanceof MdrError ? failureOf(w.target, now) : resultOf(w.target, now);
  });
  const waiting = results.some((r) => r.status === "queued");
  return { status: waiting ? 202 : 207, location: bulkLocation(bulk.id), body: { bulk_id: bulk.id, results } };
}

// POST /block-ip with `ips`
export async function blockIps({ ctx, input }: { ctx: MdrContext; input: BulkBlockIpRequest }): Promise<BulkAnswer> {
  // What holds for every item is refused once, before any of them runs.
  const tenantId = resolveTenant(ctx, input.tenant_id);
  const firewall = input.firewall_type;
  requireService(ctx, serviceOf(firewall), tenantId, "firewall_type");
  // An address the firewall cannot take as configured (no WAF IP set of its family) is a bad item.
  const fw = ctx.providers.firewalls[firewall];
  const refused = input.ips.flatMap((a, i) => {
    const why = fw.refuses?.(tenantId, a.value);
    return why ? [{ path: `ips.${i}`, message: why }] : [];
  });
  if (refused.length > 0) {
    throw new MdrError("validation_failed", refused.map((e) => `${e.path}: ${e.message}`).join("; "), { errors: refused });
  }
  // A list the firewall cannot hold is refused whole: half a threat list blocked is not what was asked.
  const room = await ctx.providers.firewalls[firewall].capacity?.(tenantId);
  if (room && room.free < input.ips.length) {
    throw new MdrError(
      "conflict",
      `${FIREWALL_LABELS[firewall]} can take ${room.free} more addresses and the list has ${input.ips.length}: ${room.detail}. Nothing was written; send at most ${room.free}, or choose another firewall.`,
      { extra: { capacity: room.free } },
    );
  }
  const { ips, ...common } = input;
  return submit(
    ctx,
    ips.map((address) => ({
      target: address.value,
      spec: blockSpec(ctx, { ...common, ip: address.value, address, priority: undefined }, tenantId),
    })),
  );
}

// POST /isolate with `hostnames`
export async function isolateEndpoints({ ctx, input }: { ctx: MdrContext; input: BulkIsolateRequest }): Promise<BulkAnswer> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  requireService(ctx, "defender", tenantId, "tenant_id");
  const { hostnames, ...common } = input;
  // Every host resolved in one read of the machine list (pages of 10,000), not one look-up each:
  // each row starts with its device, or is refused as a single request would have been.
  const found = await ctx.providers.endpoint.findMachinesByNames?.(tenantId, hostnames);
  return submit(
    ctx,
    hostnames.map((hostname) => {
      const spec = isolationSpec(ctx, { ...common, hostname, machine_id: undefined }, tenantId);
      const machines = found?.get(hostname);
      if (!machines) return { target: hostname, spec };
      const guard = spec.guard;
      const resolve = () => resolvedFrom(hostname, machines);
      const machine = machines.length === 1 ? machines[0]! : null;
      return {
        target: hostname,
        spec: {
          ...spec,
          guard: () => {
            guard?.();
            resolve();
          },
          learned: machine
            ? {
                message: `Resolved to device ${machine.id} (${machine.computerDnsName})`,
                result: { machine_id: machine.id, computer_dns_name: machine.computerDnsName },
              }
            : undefined,
        },
      };
    }),
  );
}

// POST /disable-user with `upns`: each account disabled (and its sessions revoked) through Graph's
// JSON batching; a protected account or one already disabled by an action is refused on its own.
export async function disableUsers({ ctx, input }: { ctx: MdrContext; input: BulkDisableUserRequest }): Promise<BulkAnswer> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  const { upns, ...common } = input;
  return submit(
    ctx,
    upns.map((upn) => ({ target: upn, spec: disableSpec(ctx, { ...common, upn }, tenantId) })),
  );
}

// POST /quarantine-email with `upns`: one message pulled out of each mailbox, found and moved in
// batches across the mailboxes.
export async function quarantineEmails({ ctx, input }: { ctx: MdrContext; input: BulkQuarantineEmailRequest }): Promise<BulkAnswer> {
  const tenantId = resolveTenant(ctx, input.tenant_id);
  refuseUnavailableHardDelete(ctx, input.action);
  const { upns, tenant_id: _tenant, ...common } = input;
  return submit(
    ctx,
    upns.map((mailbox) => ({ target: mailbox, spec: quarantineSpec({ ...common, user_principal_name: mailbox }, tenantId) })),
  );
}

/** The bulk the caller asked for by id: 404 when there is none it may see. */
export function requireVisibleBulk(ctx: MdrContext, id: string): BulkRow {
  const bulk = findBulk(ctx.db, id);
  if (!bulk || !inScope(ctx, bulk.tenantId)) throw new MdrError("not_found", `No bulk ${id}.`);
  return bulk;
}

// POST /bulk/{id}/revert: undoes every target of the bulk in effect, as a bulk of its own.
export async function revertBulk({
  ctx,
  id,
  reason,
  charge,
}: {
  ctx: MdrContext;
  id: string;
  reason: string | null;
  /** Counts the undos against the caller's rate limit (one per target), before any is written. */
  charge?: (actions: number) => void;
}): Promise<BulkAnswer> {
  const bulk = requireVisibleBulk(ctx, id);
  const undoSpec = kindOf(bulk.type).queue?.undoSpec;
  if (!undoSpec) throw new MdrError("conflict", `Bulk ${id} (${bulk.type}) cannot be reverted.`);
  const inEffect = bulkActions(ctx.db, id).filter((row) => whyNotRevertible(row) === null && !findRunningUndo(ctx.db, row.id));
  if (inEffect.length === 0) {
    throw new MdrError("conflict", `Nothing of bulk ${id} is in effect and not already being undone: there is nothing to revert.`);
  }
  charge?.(inEffect.length);
  return submit(
    ctx,
    inEffect.map((row) => ({ target: bulkTarget(row), spec: undoSpec(row, reason) })),
    bulk.id,
  );
}
