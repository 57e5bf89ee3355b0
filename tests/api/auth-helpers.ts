// Shared by the auth test files: the 401/403 problem documents, reading the server's database
// (action and audit rows) from the test process, and signing in.
import { expect } from "vitest";
import { type Db, openDb } from "@/lib/db/client";
import type { TestServer } from "../support/server";
import type { Json, Reply } from "./helpers";

export const NO_CREDENTIALS = "Sign in, or send Authorization: Bearer mdr_... with an API token.";

/** A whole problem+json body (the helpers module's, under the name these files use). */
import { problem as problemOf } from "./helpers";
export { problemOf };

/** A problem answer: status, content type, the request id in header and body, the whole body. */
export function expectProblemReply(reply: Reply, expected: Record<string, unknown>): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status: expected.status, body: expected });
  expect(reply.headers.get("content-type")).toBe("application/problem+json");
  expect(reply.headers.get("x-request-id")).toBe(reply.body.request_id);
  expect(reply.headers.get("cache-control")).toBe("no-store");
}

/** A 401 with its challenge. */
export function expectUnauthorized(reply: Reply, detail: string, bearerError?: "invalid_token" | "invalid_request"): void {
  expectProblemReply(reply, problemOf("unauthorized", detail));
  expect(reply.headers.get("www-authenticate")).toBe(
    bearerError ? `Bearer realm="mdr", error="${bearerError}"` : `Bearer realm="mdr"`,
  );
}

/** Reads the server's database file (WAL: the test sees every commit the server made). */
export class DbProbe {
  readonly db: Db;
  constructor(dbPath: string) {
    this.db = openDb(dbPath);
  }
  count(table: "actions" | "audit_events" | "api_tokens" | "users" | "sessions" | "protected_assets"): number {
    return (this.db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
  }
  actions(): Json[] {
    return this.db.$client.prepare("select * from actions order by id").all() as Json[];
  }
  audit(): Json[] {
    return this.db.$client.prepare("select * from audit_events order by id").all() as Json[];
  }
  close(): void {
    this.db.$client.close();
  }
}

/** Sends a request with exactly these headers (no test token unless given) and reads the answer. */
export async function raw(server: TestServer, pathname: string, init: RequestInit = {}): Promise<Reply> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", "");
  const res = await server.fetch(pathname, { redirect: "manual", ...init, headers });
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, headers: res.headers, body: /\bjson\b/.test(type) && text !== "" ? JSON.parse(text) : text };
}

/** Every session cookie value signIn has seen: the leak checks look for them. */
export const seenCookies = new Set<string>();

/** Signs in; returns the `mdr_session=...` pair (`__Host-mdr_session=...` over https) to send as Cookie, and the Set-Cookie line. */
export async function signIn(
  server: TestServer,
  username: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<{ cookie: string; setCookie: string; reply: Reply }> {
  const reply = await raw(server, "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ username, password }),
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const setCookie = reply.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  expect(cookie).toMatch(/^(?:__Host-)?mdr_session=[A-Za-z0-9_-]{43}$/);
  seenCookies.add(cookie.slice(cookie.indexOf("=") + 1));
  return { cookie, setCookie, reply };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
