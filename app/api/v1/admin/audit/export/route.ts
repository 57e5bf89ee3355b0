import { ExportAuditQuery, exportAudit } from "@/lib/auth/audit-export";
import { authStore, methodsNotAllowed, readQuery, route } from "@/lib/http/route";
import { DOWNLOAD_CONTENT_TYPES, downloadFilename } from "@/lib/paged-stream";

// GET /api/v1/admin/audit/export — the security audit log as NDJSON or CSV, oldest first, streamed
export const GET = route({ role: "admin", allTenants: "The security audit log" }, async (req) => {
  const query = readQuery(req, ExportAuditQuery);
  const store = authStore();
  return new Response(exportAudit(store, query), {
    headers: {
      "content-type": DOWNLOAD_CONTENT_TYPES[query.format],
      "content-disposition": `attachment; filename="${downloadFilename("mdr-security-audit", query.format, store.now())}"`,
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
