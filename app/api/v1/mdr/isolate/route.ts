import { MdrError } from "@/lib/errors";
import { idempotent } from "@/lib/http/idempotency";
import { JsonObject, actionResponse, bulkResponse, chargeActions, methodsNotAllowed, parseBody, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { isolateEndpoints } from "@/lib/mdr/bulk/requests";
import { getContext } from "@/lib/mdr/context";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { BulkIsolateRequest, IsolateRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/isolate — isolate an endpoint through Defender for Endpoint; with `hostnames`, one action per target (207, or 202 while some wait in the queue)
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const body = await readJson(req, JsonObject);
    const ctx = getContext(rc);
    if ("hostnames" in body) {
      if ("hostname" in body) throw MdrError.field("hostnames", "give either hostname or hostnames, not both");
      const input = parseBody(BulkIsolateRequest, body);
      chargeActions(rc, input.hostnames.length);
      return bulkResponse(await isolateEndpoints({ ctx, input }));
    }
    const action = await isolateEndpoint({ ctx, input: parseBody(IsolateRequest, body) });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
