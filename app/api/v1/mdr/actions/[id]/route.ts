import { MdrError } from "@/lib/errors";
import { json, methodsNotAllowed, readJson, readParam, route } from "@/lib/http/route";
import { getActionDetail, toApiAction } from "@/lib/mdr/actions";
import { changeExpiry } from "@/lib/mdr/kinds/block-ip/change-expiry";
import { getContext } from "@/lib/mdr/context";
import { ActionId, ChangeExpiryRequest } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/actions/{id} — one action with its timeline
export const GET = route<{ id: string }>({ role: "viewer" }, async (_req, rc, params) => {
  const id = readParam("id", params.id, ActionId);
  const action = getActionDetail(getContext(rc), id);
  if (!action) throw new MdrError("not_found", `No action ${id}.`);
  return json(action);
});

// PATCH /api/v1/mdr/actions/{id} — move the expiry of an active IP block
export const PATCH = route<{ id: string }>({ role: "responder", limited: true }, async (req, rc, params) => {
  const id = readParam("id", params.id, ActionId);
  const input = await readJson(req, ChangeExpiryRequest);
  const action = await changeExpiry({ ctx: getContext(rc), id, input });
  return json(toApiAction(action));
});

export const { POST, PUT, DELETE } = methodsNotAllowed("GET", "PATCH");
