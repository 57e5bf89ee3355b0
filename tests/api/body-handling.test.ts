// What every POST route does with a body it cannot use, before anything is recorded:
// 415, 400, 413, 422 as whole problem+json documents, and no row written.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startServer } from "../support/server";
import { POST_ROUTES, call, countActions, expectProblem, problem, type Reply } from "./helpers";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({}, "body-handling");
});
afterAll(async () => {
  await server?.stop();
});

const MAX = 64 * 1024;
const routes = Object.entries(POST_ROUTES) as [keyof typeof POST_ROUTES, Record<string, unknown>][];

/** A JSON object of exactly `size` bytes: a valid body padded through an unknown field. */
function bodyOfSize(valid: Record<string, unknown>, size: number): string {
  const empty = JSON.stringify({ ...valid, padding: "" });
  const text = JSON.stringify({ ...valid, padding: "x".repeat(size - Buffer.byteLength(empty)) });
  expect(Buffer.byteLength(text)).toBe(size);
  return text;
}

/** The message this Node's JSON.parse gives for `text` (the server runs the same Node). */
function jsonParseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

const send = (pathname: string, init: RequestInit) => call(server, pathname, { method: "POST", ...init });
const json = (body: string, extra: Record<string, string> = {}): RequestInit => ({
  headers: { "content-type": "application/json", ...extra },
  body,
});

interface Case {
  name: string;
  request: (valid: Record<string, unknown>) => RequestInit;
  expected: (valid: Record<string, unknown>) => Record<string, unknown>;
}

const unsupported = (got: string) =>
  problem("unsupported-media-type", `Send the body as JSON with Content-Type: application/json (got ${got}).`);
const notAnObject = problem("validation-failed", "The request body must be a JSON object.", {
  errors: [{ path: "", message: "must be a JSON object" }],
});
const tooLarge = problem("payload-too-large", "The body is larger than 64 KiB.");

const cases: Case[] = [
  {
    name: "no body and no content type: 415",
    request: () => ({}),
    expected: () => unsupported("none"),
  },
  {
    name: "a JSON body without a content type: 415",
    request: (valid) => ({ body: new TextEncoder().encode(JSON.stringify(valid)) }),
    expected: () => unsupported("none"),
  },
  {
    name: "text/plain: 415",
    request: (valid) => ({ headers: { "content-type": "text/plain" }, body: JSON.stringify(valid) }),
    expected: () => unsupported('"text/plain"'),
  },
  {
    name: "a form: 415",
    request: () => ({ body: new URLSearchParams({ hostname: "ws-0142" }) }),
    expected: () => unsupported('"application/x-www-form-urlencoded;charset=UTF-8"'),
  },
  {
    name: "application/jsonx: 415",
    request: (valid) => ({ headers: { "content-type": "application/jsonx" }, body: JSON.stringify(valid) }),
    expected: () => unsupported('"application/jsonx"'),
  },
  {
    name: "truncated JSON: 400",
    request: (valid) => json(JSON.stringify(valid).slice(0, -1)),
    expected: (valid) =>
      problem("malformed-json", `The body is not valid JSON: ${jsonParseError(JSON.stringify(valid).slice(0, -1))}`),
  },
  {
    name: "an empty JSON body: 400",
    request: () => json(""),
    expected: () => problem("malformed-json", `The body is not valid JSON: ${jsonParseError("")}`),
  },
  {
    name: "single quotes: 400",
    request: () => json("{'hostname': 'ws-0142'}"),
    expected: () => problem("malformed-json", `The body is not valid JSON: ${jsonParseError("{'hostname': 'ws-0142'}")}`),
  },
  {
    name: "one byte over 64 KiB with Content-Length: 413",
    request: (valid) => json(bodyOfSize(valid, MAX + 1)),
    expected: () => tooLarge,
  },
  {
    name: "a megabyte: 413",
    request: (valid) => json(bodyOfSize(valid, 1024 * 1024)),
    expected: () => tooLarge,
  },
  {
    name: "over 64 KiB streamed without Content-Length: 413",
    request: (valid) => {
      const bytes = new TextEncoder().encode(bodyOfSize(valid, MAX + 1024));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.slice(i, i + 8192));
          controller.close();
        },
      });
      return { headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit;
    },
    expected: () => tooLarge,
  },
  {
    name: "exactly 64 KiB is read (and its padding refused as an unknown field): 422",
    request: (valid) => json(bodyOfSize(valid, MAX)),
    expected: () =>
      problem("validation-failed", "The request body is invalid: padding: is not a known field", {
        errors: [{ path: "padding", message: "is not a known field" }],
      }),
  },
  { name: "a JSON array: 422", request: (valid) => json(JSON.stringify([valid])), expected: () => notAnObject },
  { name: "JSON null: 422", request: () => json("null"), expected: () => notAnObject },
  { name: "a JSON string: 422", request: () => json('"ws-0142"'), expected: () => notAnObject },
  { name: "a JSON number: 422", request: () => json("42"), expected: () => notAnObject },
  {
    name: "an unknown field: 422 naming it",
    request: (valid) => json(JSON.stringify({ ...valid, dry_run: true })),
    expected: () =>
      problem("validation-failed", "The request body is invalid: dry_run: is not a known field", {
        errors: [{ path: "dry_run", message: "is not a known field" }],
      }),
  },
  {
    name: "two unknown fields: 422 naming each",
    request: (valid) => json(JSON.stringify({ ...valid, Reason: "x", tenant: "y" })),
    expected: () =>
      problem("validation-failed", "The request body is invalid: Reason: is not a known field; tenant: is not a known field", {
        errors: [
          { path: "Reason", message: "is not a known field" },
          { path: "tenant", message: "is not a known field" },
        ],
      }),
  },
];

describe.each(routes)("POST %s", (pathname, valid) => {
  it.each(cases)("$name, and no row", async ({ request, expected }) => {
    const before = await countActions(server);
    const reply: Reply = await send(pathname, request(valid));
    expectProblem(reply, expected(valid));
    expect(await countActions(server)).toBe(before);
  });

  it("GET: 405 with Allow: POST", async () => {
    const reply = await call(server, pathname);
    expectProblem(reply, problem("method-not-allowed", "GET is not allowed here; use POST."));
    expect(reply.headers.get("allow")).toBe("POST");
  });
});

it("nothing above wrote to the audit log", async () => {
  expect(await countActions(server)).toBe(0);
});

it("a JSON content type with parameters or a +json suffix is accepted", async () => {
  const charset = await send("/api/v1/mdr/disable-user", json(JSON.stringify({ upn: "dave@contoso.com" }), {
    "content-type": "application/json; charset=utf-8",
  }));
  expect(charset.status, JSON.stringify(charset.body)).toBe(201);
  const suffix = await send("/api/v1/mdr/disable-user", json(JSON.stringify({ upn: "jdoe@contoso.com" }), {
    "content-type": "application/merge-patch+json",
  }));
  expect(suffix.status, JSON.stringify(suffix.body)).toBe(201);
  expect(await countActions(server)).toBe(2);
});
