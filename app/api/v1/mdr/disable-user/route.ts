import { idempotent } from "@/lib/http/idempotency";
import { actionResponse, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { disableUser } from "@/lib/mdr/kinds/disable-user/disable";
import { DisableUserRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/disable-user — disable an account and revoke its sessions
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const input = await readJson(req, DisableUserRequest);
    const action = await disableUser({ ctx: getContext(rc), input });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
