// Pages: a fresh nonce per request for a Content Security Policy without 'unsafe-inline'
// scripts. Next.js puts the nonce on its own scripts when it finds the policy on the request;
// the layout passes it to next-themes. The API and static files get their headers from next.config.ts.
//
// API paths with a percent sign: a malformed escape (`%zz`, a cut UTF-8 sequence) is answered
// here with a problem+json 400, where Next.js would answer a plain-text 500. Other API paths
// do not pass through here at all.
import { randomUUID } from "node:crypto";
import { type NextRequest, NextResponse } from "next/server";
import { MdrError } from "@/lib/errors";
import { problemResponse } from "@/lib/http/problem";

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // React style attributes and the theme's inline <style>: styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Whether every %-escape of the raw path is well formed and decodes to UTF-8. */
function wellEncoded(rawPath: string): boolean {
  try {
    decodeURIComponent(rawPath);
    return true;
  } catch {
    return false;
  }
}

export function proxy(request: NextRequest) {
  const { pathname } = request.nextUrl; // as sent, escapes undecoded
  if (pathname.startsWith("/api/")) {
    if (wellEncoded(pathname)) return NextResponse.next();
    return problemResponse(
      new MdrError("malformed_path", "The request path has a malformed percent-escape: each % must be followed by two hex digits that spell UTF-8."),
      randomUUID(),
    );
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [
    "/api/:path(.*%.*)",
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico|icon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
