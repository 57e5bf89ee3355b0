import { MdrError } from "@/lib/errors";
import { idempotent } from "@/lib/http/idempotency";
import { JsonObject, actionResponse, bulkResponse, chargeActions, methodsNotAllowed, parseBody, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { disableUsers } from "@/lib/mdr/bulk/requests";
import { getContext } from "@/lib/mdr/context";
import { disableUser } from "@/lib/mdr/kinds/disable-user/disable";
import { BulkDisableUserRequest, DisableUserRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/disable-user — disable an account and revoke its sessions; with `upns`, one action per account (207, or 202 while some wait in the queue)
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const body = await readJson(req, JsonObject);
    const ctx = getContext(rc);
    if ("upns" in body) {
      if ("upn" in body) throw MdrError.field("upns", "give either upn or upns, not both");
      const input = parseBody(BulkDisableUserRequest, body);
      chargeActions(rc, input.upns.length);
      return bulkResponse(await disableUsers({ ctx, input }));
    }
    const action = await disableUser({ ctx, input: parseBody(DisableUserRequest, body) });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
