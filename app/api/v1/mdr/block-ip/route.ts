import { MdrError } from "@/lib/errors";
import { idempotent } from "@/lib/http/idempotency";
import { JsonObject, actionResponse, bulkResponse, chargeActions, methodsNotAllowed, parseBody, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { blockIps } from "@/lib/mdr/bulk/requests";
import { getContext } from "@/lib/mdr/context";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { BulkBlockIpRequest, BlockIpRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/block-ip — block an address or range on a firewall; with `ips`, one action per target (207, or 202 while some wait in the queue)
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const body = await readJson(req, JsonObject);
    const ctx = getContext(rc);
    if ("ips" in body) {
      if ("ip" in body) throw MdrError.field("ips", "give either ip or ips, not both");
      const input = parseBody(BulkBlockIpRequest, body);
      chargeActions(rc, input.ips.length);
      return bulkResponse(await blockIps({ ctx, input }));
    }
    const action = await blockIp({ ctx, input: parseBody(BlockIpRequest, body) });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
