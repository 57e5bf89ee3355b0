import "server-only";
// The browser side of single sign-on: both routes answer with redirects (the provider, the
// page, or /login?error=...), never with a JSON error a person would be left looking at.
import { recordAudit } from "@/lib/auth/audit";
import type { OidcRefusal } from "@/lib/auth/oidc-accounts";
import type { Store } from "@/lib/auth/store";
import { safeNext } from "@/lib/auth/page-identity";
import { escapeUnsafe } from "@/lib/text";

/** A 303 to a path of this site, setting the given cookies. */
export function redirectTo(location: string, cookies: string[] = [], status = 303): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const c of cookies) headers.append("set-cookie", c);
  return new Response(null, { status, headers });
}

/** /login with the error the page explains, keeping where the person wanted to go. */
export function loginWithError(error: OidcRefusal, next: string | undefined): string {
  const target = safeNext(next);
  return `/login?error=${error}${target === "/mdr" ? "" : `&next=${encodeURIComponent(target)}`}`;
}

/** Audits a single sign-on that failed before the provider said who it was (and logs it). */
export function recordSsoFailure(store: Store, text: string, ip: string | null): void {
  const reason = escapeUnsafe(text);
  console.warn(`[mdr] single sign-on failed: ${reason}`);
  recordAudit(store, { event: "sign_in_failed", actor: "anonymous", ip, detail: { method: "oidc", reason } });
}
