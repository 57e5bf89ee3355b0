import { MdrError } from "@/lib/errors";
import { json, methodsNotAllowed, route } from "@/lib/http/route";
import { getActionDetail } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { ActionId } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/actions/{id} — one action with its timeline
export const GET = route<{ id: string }>(async (_req, rc, params) => {
  const id = ActionId.safeParse(params.id);
  if (!id.success) throw MdrError.field("id", id.error.issues[0]!.message);
  const action = getActionDetail(getContext(rc.actor), id.data);
  if (!action) throw new MdrError("not_found", `No action ${id.data}.`);
  return json(action);
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
