import { idempotent } from "@/lib/http/idempotency";
import { bulkResponse, chargeActions, methodsNotAllowed, readJson, readParam, route } from "@/lib/http/route";
import { revertBulk } from "@/lib/mdr/bulk/requests";
import { getContext } from "@/lib/mdr/context";
import { BulkId, RevertRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/bulk/{id}/revert — undo every target of a bulk that is in effect, as a bulk of its own
export const POST = route<{ id: string }>(
  { role: "responder", limited: true },
  idempotent(async (req, rc, params) => {
    const id = readParam("id", params.id, BulkId);
    const { reason } = await readJson(req, RevertRequest, { optional: true });
    return bulkResponse(await revertBulk({ ctx: getContext(rc), id, reason, charge: (n) => chargeActions(rc, n) }));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
