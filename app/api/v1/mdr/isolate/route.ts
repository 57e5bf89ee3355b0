import { idempotent } from "@/lib/http/idempotency";
import { actionResponse, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { isolateEndpoint } from "@/lib/mdr/isolate-endpoint";
import { IsolateRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/isolate — isolate an endpoint through Defender for Endpoint
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const input = await readJson(req, IsolateRequest);
    const action = await isolateEndpoint({ ctx: getContext(rc.actor), input });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
