import { idempotent } from "@/lib/http/idempotency";
import { actionResponse, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { blockIp } from "@/lib/mdr/block-ip";
import { getContext } from "@/lib/mdr/context";
import { BlockIpRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/block-ip — block an address or range on a firewall
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const input = await readJson(req, BlockIpRequest);
    const action = await blockIp({ ctx: getContext(rc.actor), input });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
