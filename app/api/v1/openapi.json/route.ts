import { json, methodsNotAllowed, route } from "@/lib/http/route";
import { openApiDocument } from "@/lib/mdr/openapi";

// GET /api/v1/openapi.json — the API described from the same zod schemas
export const GET = route({ role: "viewer" }, async () => json(openApiDocument()));

export const { POST, PUT, PATCH, DELETE } = methodsNotAllowed("GET");
