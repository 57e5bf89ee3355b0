import { z } from "zod";
import { ERROR_CODES, type FieldError, MdrError, problemType } from "@/lib/errors";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemResponse(error: MdrError, requestId: string): Response {
  const { status, title } = ERROR_CODES[error.code];
  const body = {
    type: problemType(error.code),
    title,
    status,
    detail: error.message,
    errors: error.errors,
    request_id: requestId,
    ...error.extra,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, "x-request-id": requestId, "cache-control": "no-store", ...error.headers },
  });
}

/** Turns zod issues into field errors, one per unknown key, paths dotted. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({ path: base ? `${base}.${key}` : key, message: "is not a known field" });
      }
    } else if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
      // zod leaves `input` out of issues by default; its message for an absent value ends so.
      out.push({ path: base, message: "is required" });
    } else {
      out.push({ path: base, message: issue.message });
    }
  }
  return out;
}

export function validationError(error: z.ZodError, where: "body" | "query"): MdrError {
  const errors = fieldErrors(error);
  const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
  return new MdrError("validation_failed", `The request ${where} is invalid: ${summary}`, { errors });
}
