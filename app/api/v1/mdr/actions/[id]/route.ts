import { MdrError } from "@/lib/errors";
import { json, methodsNotAllowed, readParam, route } from "@/lib/http/route";
import { getActionDetail } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { ActionId } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/actions/{id} — one action with its timeline
export const GET = route<{ id: string }>({ role: "viewer" }, async (_req, rc, params) => {
  const id = readParam("id", params.id, ActionId);
  const action = getActionDetail(getContext(rc.actor), id);
  if (!action) throw new MdrError("not_found", `No action ${id}.`);
  return json(action);
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
