import { idempotent } from "@/lib/http/idempotency";
import { actionResponse, methodsNotAllowed, readJson, readParam, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { revertAction } from "@/lib/mdr/revert-action";
import { ActionId, RevertRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/actions/{id}/revert — undo an action (release, unblock, enable, restore)
export const POST = route<{ id: string }>(
  { role: "responder", limited: true },
  idempotent(async (req, rc, params) => {
    const id = readParam("id", params.id, ActionId);
    const { reason } = await readJson(req, RevertRequest, { optional: true });
    const action = await revertAction({ ctx: getContext(rc), id: id, reason });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
