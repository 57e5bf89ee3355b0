import "server-only";
// The identity of a page request, from its session cookie (pages are for people; tokens are for the API).
import { cookies, headers } from "next/headers";
import { config } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import type { Role } from "./enums";
import { findSession, servedOverHttps, sessionCookieName } from "./sessions";

export interface PageIdentity {
  actor: string;
  name: string;
  role: Role;
  /** The tenants the user may see and act in; null: all. */
  scope: readonly string[] | null;
  /** The password must be changed before any page but /password (the generated first-run one). */
  mustChangePassword: boolean;
}

export async function pageIdentity(): Promise<PageIdentity | null> {
  const https = servedOverHttps(config().auth, await headers());
  const secret = (await cookies()).get(sessionCookieName(https))?.value;
  if (!secret) return null;
  const found = findSession({ db: getDb(), now: Date.now }, secret);
  if (!found) return null;
  return {
    actor: `user:${found.user.username}`,
    name: found.user.username,
    role: found.user.role,
    scope: found.user.tenants,
    mustChangePassword: found.user.mustChangePassword,
  };
}

/** Where a page sends a signed-in user who must change their password first. */
export function passwordChangePath(next: string): string {
  return `/password?next=${encodeURIComponent(safeNext(next))}`;
}

/** A `next` target that stays on this site: a path, never `//host` or a URL. */
export function safeNext(next: string | string[] | undefined, fallback = "/mdr"): string {
  const value = Array.isArray(next) ? next[0] : next;
  return value && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : fallback;
}
