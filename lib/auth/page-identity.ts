import "server-only";
// The identity of a page request, from its session cookie (pages are for people; tokens are for the API).
import { cookies } from "next/headers";
import { getDb } from "@/lib/db/client";
import type { Role } from "./enums";
import { SESSION_COOKIE, findSession } from "./sessions";

export interface PageIdentity {
  actor: string;
  name: string;
  role: Role;
  /** The tenants the user may see and act in; null: all. */
  scope: readonly string[] | null;
}

export async function pageIdentity(): Promise<PageIdentity | null> {
  const secret = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!secret) return null;
  const found = findSession({ db: getDb(), now: Date.now }, secret);
  if (!found) return null;
  return { actor: `user:${found.user.username}`, name: found.user.username, role: found.user.role, scope: found.user.tenants };
}

/** A `next` target that stays on this site: a path, never `//host` or a URL. */
export function safeNext(next: string | string[] | undefined, fallback = "/mdr"): string {
  const value = Array.isArray(next) ? next[0] : next;
  return value && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : fallback;
}
