import { z } from "zod";
import { listAudit, toApiAuditEvent } from "@/lib/auth/audit";
import { AUDIT_EVENTS } from "@/lib/auth/enums";
import { authStore, json, methodsNotAllowed, readQuery, route } from "@/lib/http/route";

const AuditQuery = z.strictObject({
  event: z.enum(AUDIT_EVENTS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().min(1).optional(),
});

// GET /api/v1/admin/audit — sign-ins, failed sign-ins, tokens, users, protected assets; newest first
export const GET = route({ role: "admin", allTenants: "The security audit log" }, async (req) => {
  const q = readQuery(req, AuditQuery);
  const page = listAudit(authStore(), q);
  return json({
    events: page.events.map(toApiAuditEvent),
    next_cursor: page.nextCursor === null ? null : String(page.nextCursor),
  });
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
