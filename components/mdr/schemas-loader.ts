"use client";

// The request schemas (zod and ipaddr.js: most of the page's own JavaScript) load just after the
// first paint instead of with it; the forms wait for them only if used in the first instant.
export type Schemas = typeof import("@/lib/mdr/schemas");

let loading: Promise<Schemas> | null = null;

export function loadSchemas(): Promise<Schemas> {
  loading ??= import("@/lib/mdr/schemas");
  return loading;
}
