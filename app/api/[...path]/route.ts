import { MdrError } from "@/lib/errors";
import { route } from "@/lib/http/route";

// Any other path under /api answers problem+json, never an HTML page.
const notFound = route({ role: "viewer" }, async (req) => {
  throw new MdrError("not_found", `No API route ${new URL(req.url).pathname}.`);
});

export { notFound as DELETE, notFound as GET, notFound as PATCH, notFound as POST, notFound as PUT };
