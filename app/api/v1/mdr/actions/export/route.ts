import { methodsNotAllowed, readQuery, route } from "@/lib/http/route";
import { getContext } from "@/lib/mdr/context";
import { EXPORT_CONTENT_TYPES, exportActions, exportFilename } from "@/lib/mdr/export-actions";
import { ExportActionsQuery } from "@/lib/mdr/schemas";

// GET /api/v1/mdr/actions/export — the audit log of actions as NDJSON or CSV, oldest first, streamed
export const GET = route({ role: "viewer" }, async (req, rc) => {
  const query = readQuery(req, ExportActionsQuery);
  const ctx = getContext(rc);
  return new Response(exportActions({ ctx, query }), {
    headers: {
      "content-type": EXPORT_CONTENT_TYPES[query.format],
      "content-disposition": `attachment; filename="${exportFilename(query.format, ctx.now())}"`,
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
