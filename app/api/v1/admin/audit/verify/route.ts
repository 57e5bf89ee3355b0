import { signingKey, verifyAudit } from "@/lib/audit/chain";
import { config } from "@/lib/config";
import { authStore, json, methodsNotAllowed, route } from "@/lib/http/route";

// GET /api/v1/admin/audit/verify — checks the whole audit log (the hash chain over actions, their
// timelines and the security events, and the signed checkpoints); 200 either way, `ok` says which.
export const GET = route({ role: "admin", allTenants: "Verifying the audit log" }, async () => {
  const { db, now } = authStore();
  return json(await verifyAudit(db, signingKey(config(), db), now));
});

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
