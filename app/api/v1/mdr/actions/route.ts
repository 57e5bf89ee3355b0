import { json, methodsNotAllowed, readQuery, route } from "@/lib/http/route";
import { getContext } from "@/lib/mdr/context";
import { listActions } from "@/lib/mdr/list-actions";
import { ListActionsQuery } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/actions — the audit log, newest first, cursor-paginated
export const GET = route({ role: "viewer" }, async (req, rc) => {
  const query = readQuery(req, ListActionsQuery);
  return json(listActions({ ctx: getContext(rc), query }));
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
