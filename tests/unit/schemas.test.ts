// Table-driven tests of every request schema and the field-error mapping the API returns for them. One test
// per rule, with its table of inputs inside: each input's whole outcome (the parsed value, or the exact
// `{ path, message }[]` list the API reports) is checked, and a failure lists every input that differs.
// A rule shared by several schemas or firewalls is one test that runs its table on each of them.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MdrError } from "@/lib/errors";
import { fieldErrors, validationError } from "@/lib/http/problem";
import {
  ActionId,
  BlockIpRequest,
  DisableUserRequest,
  IsolateRequest,
  ListActionsQuery,
  MetricsQuery,
  type ParsedAddress,
  QuarantineEmailRequest,
  parseAddress,
} from "@/lib/mdr/schemas";

type FieldError = { path: string; message: string };
type Outcome = { data: unknown } | { errors: FieldError[] };

/** Parses as the route handlers do (`safeParse`, no options) and maps a failure through `fieldErrors`. */
function outcome(schema: z.ZodType, input: unknown): Outcome {
  const result = schema.safeParse(input);
  return result.success ? { data: result.data } : { errors: fieldErrors(result.error) };
}
/** The field errors of a refused input; `[]` when it was accepted. */
function errorsOf(schema: z.ZodType, input: unknown): FieldError[] {
  const o = outcome(schema, input);
  return "errors" in o ? o.errors : [];
}
const BIDI_MESSAGE =
  "must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)";
const refused = (path: string, message: string): { errors: FieldError[] } => ({ errors: [{ path, message }] });

/**
 * Checks one rule on every row of its table at once: each row's actual outcome against its expected one,
 * labelled with its input. A failure shows every input whose outcome differs, not only the first.
 */
function expectEach<R>(rows: readonly R[], check: (row: R) => { input: unknown; actual: unknown; expected: unknown }): void {
  expect(rows.length, "the rule's table has inputs").toBeGreaterThan(0);
  const results = rows.map(check);
  expect(results.map(({ input, actual }) => ({ input, outcome: actual }))).toEqual(
    results.map(({ input, expected }) => ({ input, outcome: expected })),
  );
}

/** expectEach on one schema: each row's input parsed as the handlers do, against its expected outcome. */
function expectOutcomes<R>(schema: z.ZodType, rows: readonly R[], input: (row: R) => unknown, expected: (row: R) => unknown): void {
  expectEach(rows, (row) => {
    const value = input(row);
    return { input: value, actual: outcome(schema, value), expected: expected(row) };
  });
}

const GUID = "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d";
const HEX40 = "0123456789abcdef0123456789abcdef01234567";
const a = (n: number) => "a".repeat(n);
const label63 = a(63);
/** Four labels of 63: exactly 255 characters. */
const host255 = [label63, label63, label63, label63].join(".");

// ---- field-error mapping (lib/http/problem.ts) --------------------------------------------------------

describe("fieldErrors", () => {
  const Nested = z.strictObject({
    outer: z.strictObject({ name: z.string().min(1, "must not be empty") }),
    ips: z.array(z.string().min(1, "must not be empty")),
  });

  // A loop rather than it.each, which shortens interpolated names.
  for (const { name, schema, input, errors } of [
    {
      name: "one error per unknown key, path = key",
      schema: IsolateRequest,
      input: { hostname: "ws01", foo: 1, bar: "x" },
      errors: [
        { path: "foo", message: "is not a known field" },
        { path: "bar", message: "is not a known field" },
      ],
    },
    {
      name: "unknown keys of a nested object are dotted under it",
      schema: Nested,
      input: { outer: { name: "x", extra: 1, other: 2 }, ips: [] },
      errors: [
        { path: "outer.extra", message: "is not a known field" },
        { path: "outer.other", message: "is not a known field" },
      ],
    },
    {
      name: "array indexes are dotted",
      schema: Nested,
      input: { outer: { name: "x" }, ips: ["a", ""] },
      errors: [{ path: "ips.1", message: "must not be empty" }],
    },
    {
      name: "a missing required field is 'is required'",
      schema: DisableUserRequest,
      input: {},
      errors: [{ path: "upn", message: "is required" }],
    },
    {
      name: "a missing nested field is 'is required' at its dotted path",
      schema: Nested,
      input: { outer: {}, ips: [] },
      errors: [{ path: "outer.name", message: "is required" }],
    },
    {
      name: "every missing field is listed, in schema order",
      schema: QuarantineEmailRequest,
      input: {},
      errors: [
        { path: "message_id", message: "is required" },
        { path: "user_principal_name", message: "is required" },
      ],
    },
    {
      name: "unknown and missing fields are reported together",
      schema: QuarantineEmailRequest,
      input: { message_id: "<abc@host>", upn: "alice@contoso.com" },
      errors: [
        { path: "user_principal_name", message: "is required" },
        { path: "upn", message: "is not a known field" },
      ],
    },
    {
      name: "other issues keep the schema's message",
      schema: IsolateRequest,
      input: { hostname: "ws_01" },
      errors: [
        { path: "hostname", message: "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63" },
      ],
    },
    {
      name: "an issue about the whole value has an empty path",
      schema: ActionId,
      input: "nope",
      errors: [{ path: "", message: "must be an action id like act_01J..." }],
    },
  ]) {
    it(name, () => {
      expect(errorsOf(schema, input)).toEqual(errors);
    });
  }
});

// A value of the wrong type is present, not missing: "is required" would send the caller looking for a field
// they did send. These fail while fieldErrors decides "missing" from `issue.input`, which zod 4 leaves out of
// issues unless parsing is called with `reportInput: true` (lib/http/problem.ts, lib/http/route.ts).
describe("fieldErrors: a value of the wrong type", () => {
  it("is not reported as missing: the field gets the type's message", () => {
    const rows = [
      { name: "hostname: number", schema: IsolateRequest, input: { hostname: 5 }, path: "hostname", message: "Invalid input: expected string, received number" },
      { name: "hostname: null", schema: IsolateRequest, input: { hostname: null }, path: "hostname", message: "Invalid input: expected string, received null" },
      { name: "tenant_id: null", schema: IsolateRequest, input: { hostname: "ws01", tenant_id: null }, path: "tenant_id", message: "Invalid input: expected string, received null" },
      { name: "reason: number", schema: IsolateRequest, input: { hostname: "ws01", reason: 5 }, path: "reason", message: "Invalid input: expected string, received number" },
      { name: "ip: number", schema: BlockIpRequest, input: { ip: 134744072 }, path: "ip", message: "Invalid input: expected string, received number" },
      { name: "priority: fraction", schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: 150.5 }, path: "priority", message: "must be a whole number" },
      { name: "priority: numeric string (no coercion)", schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: "150" }, path: "priority", message: "Invalid input: expected number, received string" },
      { name: "duration_hours: numeric string (no coercion)", schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: "24" }, path: "duration_hours", message: "Invalid input: expected number, received string" },
      { name: "duration_hours: null", schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: null }, path: "duration_hours", message: "Invalid input: expected number, received null" },
      { name: "revoke_sessions: string", schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: "true" }, path: "revoke_sessions", message: "Invalid input: expected boolean, received string" },
      { name: "revoke_sessions: 1", schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: 1 }, path: "revoke_sessions", message: "Invalid input: expected boolean, received number" },
      { name: "limit: fraction", schema: ListActionsQuery, input: { limit: "1.5" }, path: "limit", message: "must be a whole number" },
      { name: "limit: not a number", schema: ListActionsQuery, input: { limit: "abc" }, path: "limit", message: "Invalid input: expected number, received NaN" },
      { name: "hours: fraction", schema: MetricsQuery, input: { hours: "2.5" }, path: "hours", message: "must be a whole number" },
      { name: "action id: number", schema: ActionId, input: 5, path: "", message: "Invalid input: expected string, received number" },
    ];
    expectEach(rows, ({ name, schema, input, path, message }) => ({
      input: name,
      actual: errorsOf(schema, input),
      expected: [{ path, message }],
    }));
  });
});

// JSON bodies are not coerced: whatever the message (see above), these are refused on the right field.
describe("JSON body fields are not coerced", () => {
  it("a string, boolean, fraction or array where another type belongs is refused on that field alone", () => {
    const rows = [
      { schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: "24" }, path: "duration_hours" },
      { schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: true }, path: "duration_hours" },
      { schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: "150" }, path: "priority" },
      { schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: 150.5 }, path: "priority" },
      { schema: BlockIpRequest, input: { ip: ["8.8.8.8"] }, path: "ip" },
      { schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: "false" }, path: "revoke_sessions" },
      { schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: 0 }, path: "revoke_sessions" },
      { schema: IsolateRequest, input: { machine_id: 1234567890 }, path: "machine_id" },
      { schema: IsolateRequest, input: { hostname: ["ws01"] }, path: "hostname" },
    ];
    expectEach(rows, ({ schema, input, path }) => {
      const result = schema.safeParse(input);
      return { input, actual: result.success ? "accepted" : fieldErrors(result.error).map((e) => e.path), expected: [path] };
    });
  });
});

describe("validationError", () => {
  for (const { where, schema, input, detail, errors } of [
    {
      where: "body" as const,
      schema: IsolateRequest,
      input: { foo: 1 },
      detail: "The request body is invalid: foo: is not a known field; hostname: is required unless machine_id is given",
      errors: [
        { path: "foo", message: "is not a known field" },
        { path: "hostname", message: "is required unless machine_id is given" },
      ],
    },
    {
      where: "query" as const,
      schema: ListActionsQuery,
      input: { limit: "0", page: "2" },
      detail: "The request query is invalid: limit: must be between 1 and 200; page: is not a known field",
      errors: [
        { path: "limit", message: "must be between 1 and 200" },
        { path: "page", message: "is not a known field" },
      ],
    },
    {
      where: "query" as const,
      schema: ActionId,
      input: "act_x",
      detail: "The request query is invalid: must be an action id like act_01J...",
      errors: [{ path: "", message: "must be an action id like act_01J..." }],
    },
  ]) {
    it(`${where}: ${detail}`, () => {
      const result = schema.safeParse(input);
      expect(result.success).toBe(false);
      const err = validationError(result.error!, where);
      expect(err).toBeInstanceOf(MdrError);
      expect(err.code).toBe("validation_failed");
      expect(err.status).toBe(422);
      expect(err.message).toBe(detail);
      expect(err.errors).toEqual(errors);
    });
  }
});

// ---- isolate -------------------------------------------------------------------------------------------

describe("IsolateRequest", () => {
  const ok = (fields: Record<string, unknown>) => ({ data: { isolation_type: "Full", reason: null, ...fields } });

  describe("hostname", () => {
    const accepts = (rows: { hostname: string; expected: string }[]) =>
      expectOutcomes(IsolateRequest, rows, ({ hostname }) => ({ hostname }), ({ expected }) => ok({ hostname: expected }));
    const refuses = (message: string, hostnames: string[]) =>
      expectOutcomes(IsolateRequest, hostnames, (hostname) => ({ hostname }), () => refused("hostname", message));

    it("accepts DNS names: labels of letters, digits and hyphens up to 63, up to 255 in all", () => {
      accepts([
        { hostname: "ws01", expected: "ws01" },
        { hostname: "a", expected: "a" },
        { hostname: "1ws", expected: "1ws" },
        { hostname: "ws01.10a", expected: "ws01.10a" },
        { hostname: "xn--bcher-kva.example", expected: "xn--bcher-kva.example" },
        { hostname: label63, expected: label63 },
        { hostname: `${label63}.contoso.com`, expected: `${label63}.contoso.com` },
        { hostname: host255, expected: host255 },
      ]);
    });

    it("normalises: lower case, trimmed, without the root's trailing dot", () => {
      accepts([
        { hostname: "WS-01.Contoso.COM", expected: "ws-01.contoso.com" },
        { hostname: "ws-01.contoso.com.", expected: "ws-01.contoso.com" },
        { hostname: "  ws01  ", expected: "ws01" },
        { hostname: "\tws01\n", expected: "ws01" },
        { hostname: host255.toUpperCase(), expected: host255 },
      ]);
    });

    it("refuses an empty one", () => {
      refuses("must not be empty", ["", "   "]);
    });

    it("refuses one over 255 characters", () => {
      refuses("must be at most 255 characters", [`${host255}.`, a(256)]);
    });

    it("refuses what is not a DNS name: long or empty labels, edge hyphens, other characters, injections", () => {
      refuses("must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63", [
        a(64),
        `ws01.${a(64)}.com`,
        "-ws01",
        "ws01-",
        "ws01.-contoso.com",
        "ws01.contoso-.com",
        "ws_01",
        "ws 01",
        "ws01..contoso.com",
        ".ws01",
        ".",
        "ws01..",
        "ws01'",
        'ws"01',
        "x' or 1 eq 1 or computerDnsName eq 'y",
        "x'or'1'eq'1",
        "ws01%27",
        "ws01;whoami",
        "ws01/x",
        "wsé01",
        "ws01\u200b",
        "ws\u000001",
        "::1",
        "[::1]",
      ]);
    });

    it("refuses an IPv4 address or a name whose last label is a number", () => {
      refuses("must be a hostname, not an IP address or a number", ["10.1.2.3", "10.1.2.3.", "123", "ws01.123"]);
    });
  });

  describe("machine_id", () => {
    it("accepts 40 hexadecimal characters, lower-cased and trimmed", () => {
      expectOutcomes(
        IsolateRequest,
        [
          { machine_id: HEX40, expected: HEX40 },
          { machine_id: HEX40.toUpperCase(), expected: HEX40 },
          { machine_id: `  ${HEX40}\n`, expected: HEX40 },
        ],
        ({ machine_id }) => ({ machine_id }),
        ({ expected }) => ok({ machine_id: expected }),
      );
    });

    it("accepts hostname and machine_id together", () => {
      expect(outcome(IsolateRequest, { hostname: "WS01", machine_id: HEX40 })).toEqual(
        ok({ hostname: "ws01", machine_id: HEX40 }),
      );
    });

    it("refuses anything but 40 hexadecimal characters", () => {
      expectOutcomes(
        IsolateRequest,
        [
          "",
          HEX40.slice(1),
          `${HEX40}8`,
          "g".repeat(40),
          `0x${HEX40.slice(2)}`,
          `${HEX40.slice(0, 20)} ${HEX40.slice(21)}`,
          `${HEX40.slice(0, 39)}'`,
          "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d0000",
        ],
        (machine_id) => ({ machine_id }),
        () => refused("machine_id", "must be a Defender machine id (40 hexadecimal characters)"),
      );
    });

    it("one of hostname or machine_id is required", () => {
      expect(outcome(IsolateRequest, {})).toEqual(refused("hostname", "is required unless machine_id is given"));
      expect(outcome(IsolateRequest, { isolation_type: "Selective", reason: "x" })).toEqual(
        refused("hostname", "is required unless machine_id is given"),
      );
    });
  });

  describe("isolation_type", () => {
    it("defaults to Full", () => {
      expect(outcome(IsolateRequest, { hostname: "ws01" })).toEqual(ok({ hostname: "ws01", isolation_type: "Full" }));
    });

    it("accepts Defender's three types", () => {
      expectOutcomes(
        IsolateRequest,
        ["Full", "Selective", "UnManagedDevice"],
        (isolation_type) => ({ hostname: "ws01", isolation_type }),
        (isolation_type) => ok({ hostname: "ws01", isolation_type }),
      );
    });

    it("refuses any other spelling or type", () => {
      expectOutcomes(
        IsolateRequest,
        ["full", "FULL", "selective", "UnmanagedDevice", " Full", "", "Partial"],
        (isolation_type) => ({ hostname: "ws01", isolation_type }),
        () => refused("isolation_type", 'Invalid option: expected one of "Full"|"Selective"|"UnManagedDevice"'),
      );
    });
  });

  it("refuses unknown fields, one error each", () => {
    expect(outcome(IsolateRequest, { hostname: "ws01", machineId: HEX40, isolationType: "Full" })).toEqual({
      errors: [
        { path: "machineId", message: "is not a known field" },
        { path: "isolationType", message: "is not a known field" },
      ],
    });
  });
});

// ---- fields shared by every action: reason, tenant_id ------------------------------------------------------

const ACTION_SCHEMAS = [
  { name: "IsolateRequest", schema: IsolateRequest, base: { hostname: "ws01" } },
  { name: "BlockIpRequest", schema: BlockIpRequest, base: { ip: "8.8.8.8" } },
  { name: "DisableUserRequest", schema: DisableUserRequest, base: { upn: "alice@contoso.com" } },
  {
    name: "QuarantineEmailRequest",
    schema: QuarantineEmailRequest,
    base: { message_id: "<abc@host>", user_principal_name: "alice@contoso.com" },
  },
];

/**
 * A rule of a field every action takes, run on each action schema (with its required fields): `field` picks
 * that field out of an accepted outcome; a refusal is compared whole.
 */
function expectOnEveryAction<R>(
  rows: readonly R[],
  input: (row: R) => Record<string, unknown>,
  field: "reason" | "tenant_id",
  expected: (row: R) => unknown,
): void {
  expectEach(
    ACTION_SCHEMAS.flatMap((s) => rows.map((row) => ({ s, row }))),
    ({ s, row }) => {
      const value = { ...s.base, ...input(row) };
      const o = outcome(s.schema, value);
      return {
        input: { schema: s.name, ...value },
        actual: "data" in o ? { [field]: (o.data as Record<string, unknown>)[field] } : o,
        expected: expected(row),
      };
    },
  );
}

describe("reason, on every action", () => {
  const accepts = (rows: { reason?: unknown; expected: unknown }[]) =>
    expectOnEveryAction(rows, ({ expected: _, ...input }) => input, "reason", ({ expected }) => ({ reason: expected }));
  const refuses = (message: string, reasons: string[]) =>
    expectOnEveryAction(reasons, (reason) => ({ reason }), "reason", () => refused("reason", message));

  it("a blank reason is null: absent, null, empty or only whitespace", () => {
    accepts([
      { expected: null },
      { reason: null, expected: null },
      { reason: "", expected: null },
      { reason: " \t\n ", expected: null },
    ]);
  });

  it("is trimmed at both ends (line breaks and tabs there too)", () => {
    accepts([
      { reason: "  phishing, IR-42  ", expected: "phishing, IR-42" },
      { reason: "\tone line, pasted\r\n", expected: "one line, pasted" },
    ]);
  });

  it("takes up to 1000 characters, counted once trimmed, in any script", () => {
    accepts([
      { reason: a(1000), expected: a(1000) },
      { reason: ` ${a(1000)} `, expected: a(1000) },
      { reason: "é".repeat(1000), expected: "é".repeat(1000) },
    ]);
  });

  it("refuses more than 1000 characters", () => {
    refuses("must be at most 1000 characters", [a(1001)]);
  });

  it("refuses control characters: C0 (NUL, an ANSI escape, CR and LF, tab inside), DEL and C1", () => {
    refuses("must not contain control characters", [
      "a\u0000b",
      "\u001b[2Jcleared",
      "a\u007fb",
      "a\u0085b",
      "INC-1\r\n[mdr] forged log line",
      "line one\nline two",
      "a\rb",
      "a\tb",
    ]);
  });

  it("refuses bidirectional formatting characters: embeddings, overrides, isolates, marks", () => {
    refuses(BIDI_MESSAGE, [
      "INC-4712 \u202Egnp.exe",
      "\u202Aa",
      "\u202Ba",
      "a\u202C",
      "\u202Da",
      "a\u2066b\u2069",
      "\u2067a",
      "\u2068a",
      "a\u200E",
      "a\u200Fb",
      "a\u061Cb",
    ]);
  });

  it("keeps other unicode: right-to-left scripts themselves, zero-width joiners, emoji", () => {
    accepts([
      { reason: "حظر العنوان", expected: "حظر العنوان" },
      { reason: "שלום", expected: "שלום" },
      { reason: "👩\u200D💻 SOC", expected: "👩\u200D💻 SOC" },
    ]);
  });
});

describe("tenant_id, on every action", () => {
  const accepts = (rows: { tenant_id: string | undefined; expected: string | undefined }[]) =>
    expectOnEveryAction(rows, ({ tenant_id }) => ({ tenant_id }), "tenant_id", ({ expected }) => ({ tenant_id: expected }));
  const refuses = (message: string, tenants: string[]) =>
    expectOnEveryAction(tenants, (tenant_id) => ({ tenant_id }), "tenant_id", () => refused("tenant_id", message));

  it("is optional; a GUID is lower-cased and trimmed", () => {
    accepts([
      { tenant_id: undefined, expected: undefined },
      { tenant_id: GUID, expected: GUID },
      { tenant_id: GUID.toUpperCase(), expected: GUID },
      { tenant_id: ` ${GUID} `, expected: GUID },
    ]);
  });

  it("a domain name is lower-cased", () => {
    accepts([
      { tenant_id: "contoso.com", expected: "contoso.com" },
      { tenant_id: "Contoso.OnMicrosoft.COM", expected: "contoso.onmicrosoft.com" },
    ]);
  });

  it("refuses what is neither a GUID nor a domain name", () => {
    refuses("must be a tenant GUID or domain name", [
      "",
      "contoso",
      "contoso.com.",
      "-contoso.com",
      GUID.replaceAll("-", ""),
      `{${GUID}}`,
      `${GUID}0`,
      "contoso.com' or 1 eq 1",
    ]);
  });

  it("refuses a domain name over 255 characters", () => {
    refuses("must be at most 255 characters", [`${`${a(60)}.`.repeat(4)}${a(52)}.com`]);
  });
});

// ---- block-ip ------------------------------------------------------------------------------------------

const FIREWALLS = ["defender", "azure_nsg", "aws_sg", "aws_waf"] as const;
const RULE_FIREWALLS = ["azure_nsg", "aws_sg", "aws_waf"] as const;

function address(value: string, family: "ipv4" | "ipv6", prefix: number, range: string): ParsedAddress {
  return { value, family, prefix, isRange: prefix < (family === "ipv4" ? 32 : 128), range };
}
function blocked(firewall_type: string, addr: ParsedAddress, extra: Record<string, unknown> = {}) {
  return { data: { ip: addr.value, firewall_type, reason: null, duration_hours: 24, address: addr, ...extra } };
}
const ipErr = (message: string) => refused("ip", message);

describe("parseAddress", () => {
  it("parses an address or range: its canonical form, family, prefix and kind of range", () => {
    expectEach(
      [
        { raw: "8.8.8.8", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
        { raw: "8.8.8.8/32", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
        { raw: "198.51.100.0/24", expected: address("198.51.100.0/24", "ipv4", 24, "reserved") },
        { raw: "10.0.0.0/8", expected: address("10.0.0.0/8", "ipv4", 8, "private") },
        { raw: "0.0.0.0/0", expected: address("0.0.0.0/0", "ipv4", 0, "unspecified") },
        { raw: "2001:DB8:0:0:0:0:0:1", expected: address("2001:db8::1", "ipv6", 128, "reserved") },
        { raw: "2606:4700:4700:0000:0000:0000:0000:1111", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
        { raw: "2606:4700::/32", expected: address("2606:4700::/32", "ipv6", 32, "unicast") },
        { raw: "::/0", expected: address("::/0", "ipv6", 0, "unspecified") },
        { raw: "::2", expected: address("::2", "ipv6", 128, "reserved") },
        { raw: "4000::1", expected: address("4000::1", "ipv6", 128, "reserved") },
      ],
      ({ raw, expected }) => ({ input: raw, actual: parseAddress(raw), expected }),
    );
  });

  it("returns why it refuses one as a string", () => {
    expectEach(
      [
        { raw: " 8.8.8.8", expected: "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24" },
        { raw: "8.8.8.8/24", expected: "has host bits set: did you mean 8.8.8.0/24?" },
        { raw: "8.8.8.8/08", expected: "has an invalid prefix length: /08 (0-32)" },
        { raw: "::ffff:8.8.8.8", expected: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
      ],
      ({ raw, expected }) => ({ input: raw, actual: parseAddress(raw), expected }),
    );
  });
});

describe("BlockIpRequest", () => {
  /** Each row on each of the firewalls given: accepted as the expected address. */
  const acceptedBy = (firewalls: readonly string[], rows: { ip: string; expected: ParsedAddress }[]) =>
    expectOutcomes(
      BlockIpRequest,
      firewalls.flatMap((fw) => rows.map((row) => ({ ...row, fw }))),
      ({ ip, fw }) => ({ ip, firewall_type: fw }),
      ({ fw, expected }) => blocked(fw, expected),
    );
  /** Each row on each of the firewalls given: refused on `ip` with the row's message. */
  const refusedBy = (firewalls: readonly string[], rows: { ip: string; message: string }[]) =>
    expectOutcomes(
      BlockIpRequest,
      firewalls.flatMap((fw) => rows.map((row) => ({ ...row, fw }))),
      ({ ip, fw }) => ({ ip, firewall_type: fw }),
      ({ message }) => ipErr(message),
    );

  describe("ip accepted by every firewall", () => {
    it("a public address, trimmed, without /32 or /128, IPv6 compressed and lower-cased", () => {
      acceptedBy(FIREWALLS, [
        { ip: "8.8.8.8", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
        { ip: "  8.8.8.8\n", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
        { ip: "8.8.8.8/32", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
        { ip: "1.1.1.1", expected: address("1.1.1.1", "ipv4", 32, "unicast") },
        { ip: "2606:4700:4700::1111", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
        { ip: "2606:4700:4700:0000:0000:0000:0000:1111", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
        { ip: "2606:4700:4700:0:0:0:0:1111/128", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
        { ip: "2606:4700::ABCD", expected: address("2606:4700::abcd", "ipv6", 128, "unicast") },
      ]);
    });

    it("firewall_type defaults to defender", () => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8" })).toEqual(
        blocked("defender", address("8.8.8.8", "ipv4", 32, "unicast")),
      );
    });
  });

  describe("ip accepted by azure_nsg, aws_sg and aws_waf, refused by defender", () => {
    const RANGES = [
      { ip: "8.8.8.0/24", expected: address("8.8.8.0/24", "ipv4", 24, "unicast") },
      { ip: "1.0.0.0/8", expected: address("1.0.0.0/8", "ipv4", 8, "unicast") },
      { ip: "10.0.0.0/8", expected: address("10.0.0.0/8", "ipv4", 8, "private") },
      { ip: "192.168.0.0/16", expected: address("192.168.0.0/16", "ipv4", 16, "private") },
      { ip: "198.51.100.0/24", expected: address("198.51.100.0/24", "ipv4", 24, "reserved") },
      { ip: "2606:4700::/32", expected: address("2606:4700::/32", "ipv6", 32, "unicast") },
      { ip: "2606:4700:0:0::/48", expected: address("2606:4700::/48", "ipv6", 48, "unicast") },
      { ip: "2001:db8::/32", expected: address("2001:db8::/32", "ipv6", 32, "reserved") },
    ];
    /** Single addresses that are not public, with what Defender's refusal calls them. */
    const NOT_PUBLIC = [
      { ip: "10.0.0.1", expected: address("10.0.0.1", "ipv4", 32, "private"), kind: "a private" },
      { ip: "172.16.5.4", expected: address("172.16.5.4", "ipv4", 32, "private"), kind: "a private" },
      { ip: "192.168.1.1", expected: address("192.168.1.1", "ipv4", 32, "private"), kind: "a private" },
      { ip: "100.64.0.1", expected: address("100.64.0.1", "ipv4", 32, "carrierGradeNat"), kind: "a carrierGradeNat" },
      { ip: "169.254.169.254", expected: address("169.254.169.254", "ipv4", 32, "linkLocal"), kind: "a linkLocal" },
      { ip: "192.0.2.1", expected: address("192.0.2.1", "ipv4", 32, "reserved"), kind: "a reserved" },
      { ip: "198.51.100.7", expected: address("198.51.100.7", "ipv4", 32, "reserved"), kind: "a reserved" },
      { ip: "203.0.113.7", expected: address("203.0.113.7", "ipv4", 32, "reserved"), kind: "a reserved" },
      { ip: "240.0.0.1", expected: address("240.0.0.1", "ipv4", 32, "reserved"), kind: "a reserved" },
      { ip: "fe80::1", expected: address("fe80::1", "ipv6", 128, "linkLocal"), kind: "a linkLocal" },
      { ip: "fc00::1", expected: address("fc00::1", "ipv6", 128, "uniqueLocal"), kind: "a uniqueLocal" },
      { ip: "2001:db8::1", expected: address("2001:db8::1", "ipv6", 128, "reserved"), kind: "a reserved" },
      { ip: "64:ff9b::808:808", expected: address("64:ff9b::808:808", "ipv6", 128, "rfc6052"), kind: "an rfc6052" },
      { ip: "2002:c000:204::1", expected: address("2002:c000:204::1", "ipv6", 128, "6to4"), kind: "a 6to4" },
      { ip: "::2", expected: address("::2", "ipv6", 128, "reserved"), kind: "a reserved" },
      { ip: "::808:808", expected: address("::808:808", "ipv6", 128, "reserved"), kind: "a reserved" },
      { ip: "4000::1", expected: address("4000::1", "ipv6", 128, "reserved"), kind: "a reserved" },
    ];

    it("azure_nsg, aws_sg and aws_waf accept a range, and a single address that is not public", () => {
      acceptedBy(RULE_FIREWALLS, [...RANGES, ...NOT_PUBLIC.map(({ ip, expected }) => ({ ip, expected }))]);
    });

    it("defender refuses a range", () => {
      refusedBy(
        ["defender"],
        RANGES.map(({ ip }) => ({ ip, message: "Defender indicators take single addresses only; use azure_nsg, aws_sg or aws_waf for a range" })),
      );
    });

    it("defender refuses an address that is not public, naming its range", () => {
      refusedBy(
        ["defender"],
        NOT_PUBLIC.map(({ ip, kind }) => ({ ip, message: `is ${kind} address; Defender indicators block public addresses only` })),
      );
    });
  });

  describe("ip refused by every firewall", () => {
    const NOT_AN_ADDRESS = "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24";

    it("an empty one", () => {
      refusedBy(FIREWALLS, [
        { ip: "", message: "must not be empty" },
        { ip: "  \t ", message: "must not be empty" },
      ]);
    });

    it("one over 64 characters", () => {
      refusedBy(FIREWALLS, [{ ip: "8".repeat(65), message: "must be at most 64 characters" }]);
    });

    it("one not strictly written: leading zeros, hex, integers, short forms, lists, names, zones, brackets", () => {
      refusedBy(
        FIREWALLS,
        [
          "8".repeat(64),
          "010.1.1.1",
          "08.8.8.8",
          "8.8.8.08",
          "0x8.8.8.8",
          "0x08080808",
          "134744072",
          "8.8.8",
          "8.8",
          "8.8.8.8.",
          "256.1.1.1",
          "8.8.8.8 8.8.4.4",
          "8.8.8.8,8.8.4.4",
          "8.8.8.0/24/8",
          "evil.example.com",
          "[2606:4700::1111]",
          "fe80::1%eth0",
          "2606:4700::1::2",
          "2606:4700:4700:0:0:0:0:0:1111",
          "::ffff:08.8.8.8",
        ].map((ip) => ({ ip, message: NOT_AN_ADDRESS })),
      );
    });

    it("a prefix length that is not a plain decimal within the family's bits", () => {
      refusedBy(FIREWALLS, [
        { ip: "8.8.8.8/", message: "has an invalid prefix length: / (0-32)" },
        { ip: "8.8.8.8/33", message: "has an invalid prefix length: /33 (0-32)" },
        { ip: "8.8.8.8/-1", message: "has an invalid prefix length: /-1 (0-32)" },
        { ip: "8.8.8.8/ 32", message: "has an invalid prefix length: / 32 (0-32)" },
        { ip: "8.8.8.0/24.0", message: "has an invalid prefix length: /24.0 (0-32)" },
        { ip: "8.8.8.0/0x18", message: "has an invalid prefix length: /0x18 (0-32)" },
        { ip: "10.0.0.0/08", message: "has an invalid prefix length: /08 (0-32)" },
        { ip: "8.8.8.8/032", message: "has an invalid prefix length: /032 (0-32)" },
        { ip: "2606:4700::/129", message: "has an invalid prefix length: /129 (0-128)" },
        { ip: "2606:4700::/032", message: "has an invalid prefix length: /032 (0-128)" },
      ]);
    });

    it("a range with host bits set, suggesting the network", () => {
      refusedBy(FIREWALLS, [
        { ip: "8.8.8.1/24", message: "has host bits set: did you mean 8.8.8.0/24?" },
        { ip: "10.0.0.1/8", message: "has host bits set: did you mean 10.0.0.0/8?" },
        { ip: "198.51.100.7/31", message: "has host bits set: did you mean 198.51.100.6/31?" },
        { ip: "2606:4700::1/64", message: "has host bits set: did you mean 2606:4700::/64?" },
        { ip: "2606:4700:4700::1111/48", message: "has host bits set: did you mean 2606:4700:4700::/48?" },
      ]);
    });

    it("a range wider than /8 (IPv4) or /32 (IPv6)", () => {
      refusedBy(FIREWALLS, [
        { ip: "10.0.0.0/7", message: "/7 is too wide to block: IPv4 ranges must be /8 or narrower" },
        { ip: "128.0.0.0/1", message: "/1 is too wide to block: IPv4 ranges must be /8 or narrower" },
        { ip: "0.0.0.0/0", message: "/0 is too wide to block: IPv4 ranges must be /8 or narrower" },
        { ip: "2606:4700::/31", message: "/31 is too wide to block: IPv6 ranges must be /32 or narrower" },
        { ip: "2000::/3", message: "/3 is too wide to block: IPv6 ranges must be /32 or narrower" },
        { ip: "::/0", message: "/0 is too wide to block: IPv6 ranges must be /32 or narrower" },
      ]);
    });

    it("what can never be blocked: loopback, unspecified, multicast, broadcast", () => {
      refusedBy(FIREWALLS, [
        { ip: "127.0.0.1", message: "is a loopback address, which cannot be blocked" },
        { ip: "127.0.0.0/8", message: "is a loopback address, which cannot be blocked" },
        { ip: "::1", message: "is a loopback address, which cannot be blocked" },
        { ip: "0:0:0:0:0:0:0:1/128", message: "is a loopback address, which cannot be blocked" },
        { ip: "0.0.0.0", message: "is an unspecified address, which cannot be blocked" },
        { ip: "0.1.2.3", message: "is an unspecified address, which cannot be blocked" },
        { ip: "0.0.0.0/8", message: "is an unspecified address, which cannot be blocked" },
        { ip: "::", message: "is an unspecified address, which cannot be blocked" },
        { ip: "::/32", message: "is an unspecified address, which cannot be blocked" },
        { ip: "224.0.0.1", message: "is a multicast address, which cannot be blocked" },
        { ip: "239.255.255.250", message: "is a multicast address, which cannot be blocked" },
        { ip: "224.0.0.0/8", message: "is a multicast address, which cannot be blocked" },
        { ip: "ff02::1", message: "is a multicast address, which cannot be blocked" },
        { ip: "ff00::/32", message: "is a multicast address, which cannot be blocked" },
        { ip: "255.255.255.255", message: "is a broadcast address, which cannot be blocked" },
      ]);
    });

    it("an IPv4 address written as IPv6, suggesting the IPv4 form", () => {
      refusedBy(FIREWALLS, [
        { ip: "::ffff:8.8.8.8", message: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
        { ip: "::FFFF:0808:0808", message: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
        { ip: "0:0:0:0:0:ffff:808:808/128", message: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
        { ip: "::ffff:192.168.1.1", message: "is an IPv4-mapped IPv6 address: did you mean 192.168.1.1?" },
        { ip: "::ffff:127.0.0.1", message: "is an IPv4-mapped IPv6 address: did you mean 127.0.0.1?" },
        { ip: "::ffff:0.0.0.0", message: "is an IPv4-mapped IPv6 address: did you mean 0.0.0.0?" },
        { ip: "::ffff:8.8.8.0/120", message: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.0/24?" },
        { ip: "::ffff:0:0/96", message: "is an IPv4-mapped IPv6 address: did you mean 0.0.0.0/0?" },
        { ip: "::127.0.0.1", message: "is an IPv4-mapped IPv6 address: did you mean 127.0.0.1?" },
        { ip: "::8.8.8.8", message: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
      ]);
    });
  });

  describe("firewall_type", () => {
    it("refuses any other spelling or firewall", () => {
      expectOutcomes(
        BlockIpRequest,
        ["Defender", "AZURE_NSG", "azure", "aws", "nsg", ""],
        (firewall_type) => ({ ip: "8.8.8.8", firewall_type }),
        () => refused("firewall_type", 'Invalid option: expected one of "azure_nsg"|"aws_sg"|"defender"|"aws_waf"'),
      );
    });
  });

  describe("priority", () => {
    const v4 = address("8.8.8.8", "ipv4", 32, "unicast");
    it("azure_nsg accepts 100 to 4096", () => {
      expectOutcomes(
        BlockIpRequest,
        [100, 150, 4096],
        (priority) => ({ ip: "8.8.8.8", firewall_type: "azure_nsg", priority }),
        (priority) => blocked("azure_nsg", v4, { priority }),
      );
    });

    it("is optional for azure_nsg", () => {
      const o = outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type: "azure_nsg" });
      expect(o).toEqual(blocked("azure_nsg", v4));
      expect("data" in o && "priority" in (o.data as object)).toBe(false);
    });

    it("azure_nsg refuses one outside 100 to 4096", () => {
      expectOutcomes(
        BlockIpRequest,
        [99, 4097, 0, -100, 65000],
        (priority) => ({ ip: "8.8.8.8", firewall_type: "azure_nsg", priority }),
        () => refused("priority", "must be between 100 and 4096"),
      );
    });

    it("any other firewall refuses a priority: defender, aws_sg, aws_waf, and defender by default", () => {
      expectOutcomes(
        BlockIpRequest,
        [{ firewall_type: "defender" }, { firewall_type: "aws_sg" }, { firewall_type: "aws_waf" }, {}],
        (fw) => ({ ip: "8.8.8.8", ...fw, priority: 150 }),
        () => refused("priority", "applies to firewall_type azure_nsg only"),
      );
    });
  });

  describe("duration_hours", () => {
    const v4 = address("8.8.8.8", "ipv4", 32, "unicast");
    it("defaults to 24", () => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8" })).toEqual(blocked("defender", v4, { duration_hours: 24 }));
    });

    it("accepts more than 0 up to 8760 (one year), fractions too", () => {
      expectOutcomes(
        BlockIpRequest,
        [0.25, 0.5, 1, 1.5, 24, 168, 8759.75, 8760],
        (duration_hours) => ({ ip: "8.8.8.8", duration_hours }),
        (duration_hours) => blocked("defender", v4, { duration_hours }),
      );
    });

    it("refuses 0 or less", () => {
      expectOutcomes(
        BlockIpRequest,
        [0, -0, -1],
        (duration_hours) => ({ ip: "8.8.8.8", duration_hours }),
        () => refused("duration_hours", "must be greater than 0"),
      );
    });

    it("refuses more than 8760", () => {
      expectOutcomes(
        BlockIpRequest,
        [8760.01, 8761, 1e9],
        (duration_hours) => ({ ip: "8.8.8.8", duration_hours }),
        () => refused("duration_hours", "must be at most 8760 (one year)"),
      );
    });
  });

  it("errors of several fields are reported together", () => {
    expectEach(
      [
        {
          name: "a bad address with an unknown field",
          input: { ip: "8.8.8.1/24", firewall: "azure_nsg" },
          errors: [
            { path: "ip", message: "has host bits set: did you mean 8.8.8.0/24?" },
            { path: "firewall", message: "is not a known field" },
          ],
        },
        {
          name: "a bad address with a bad priority and duration",
          input: { ip: "127.0.0.1", firewall_type: "azure_nsg", priority: 5, duration_hours: 0 },
          errors: [
            { path: "ip", message: "is a loopback address, which cannot be blocked" },
            { path: "priority", message: "must be between 100 and 4096" },
            { path: "duration_hours", message: "must be greater than 0" },
          ],
        },
        {
          name: "a missing address with a bad firewall_type",
          input: { firewall_type: "pf" },
          errors: [
            { path: "ip", message: "is required" },
            { path: "firewall_type", message: 'Invalid option: expected one of "azure_nsg"|"aws_sg"|"defender"|"aws_waf"' },
          ],
        },
      ],
      ({ name, input, errors }) => ({ input: name, actual: errorsOf(BlockIpRequest, input), expected: errors }),
    );
  });

  it("keeps the remaining fields and tenant", () => {
    expect(
      outcome(BlockIpRequest, {
        ip: "2606:4700::/48",
        firewall_type: "azure_nsg",
        priority: 200,
        duration_hours: 2,
        reason: " C2 ",
        tenant_id: "Contoso.com",
      }),
    ).toEqual({
      data: {
        ip: "2606:4700::/48",
        firewall_type: "azure_nsg",
        priority: 200,
        duration_hours: 2,
        reason: "C2",
        tenant_id: "contoso.com",
        address: address("2606:4700::/48", "ipv6", 48, "unicast"),
      },
    });
  });
});

// ---- disable-user --------------------------------------------------------------------------------------

describe("DisableUserRequest", () => {
  const ok = (upn: string, revoke_sessions = true) => ({ data: { upn, reason: null, revoke_sessions } });

  it("accepts a user principal name, lower-cased and trimmed: dotted, #EXT# guests, punycode, 64@255", () => {
    expectOutcomes(
      DisableUserRequest,
      [
        { upn: "alice@contoso.com", expected: "alice@contoso.com" },
        { upn: "Alice@Contoso.COM", expected: "alice@contoso.com" },
        { upn: "  alice@contoso.com\n", expected: "alice@contoso.com" },
        { upn: "first.last@contoso.co.uk", expected: "first.last@contoso.co.uk" },
        { upn: "svc-backup_01@contoso.com", expected: "svc-backup_01@contoso.com" },
        { upn: "o'brien@contoso.com", expected: "o'brien@contoso.com" },
        { upn: "a!b^c~d#e@contoso.com", expected: "a!b^c~d#e@contoso.com" },
        { upn: "Alice_Fabrikam.com#EXT#@contoso.onmicrosoft.com", expected: "alice_fabrikam.com#ext#@contoso.onmicrosoft.com" },
        { upn: "alice@xn--bcher-kva.example", expected: "alice@xn--bcher-kva.example" },
        { upn: "alice@sub.contoso-corp.com", expected: "alice@sub.contoso-corp.com" },
        { upn: `${a(64)}@${a(63)}.${a(63)}.com`, expected: `${a(64)}@${a(63)}.${a(63)}.com` },
      ],
      ({ upn }) => ({ upn }),
      ({ expected }) => ok(expected),
    );
  });

  it("refuses what is not a user principal name: no domain, quotes, plus, dots astray, injections", () => {
    expectOutcomes(
      DisableUserRequest,
      [
        "",
        "   ",
        "alice",
        "CONTOSO\\alice",
        "alice@",
        "@contoso.com",
        "alice@contoso",
        "alice@localhost",
        "alice@contoso.c",
        "alice@10.0.0.1",
        "alice@[10.0.0.1]",
        "alice@@contoso.com",
        "alice@bob@contoso.com",
        "ali ce@contoso.com",
        '"alice"@contoso.com',
        ".alice@contoso.com",
        "alice.@contoso.com",
        "alice..smith@contoso.com",
        "alice+tag@contoso.com",
        "alice/x@contoso.com",
        "alice%27@contoso.com",
        "ålice@contoso.com",
        "alice@contoso.com'",
        "x' or 1 eq 1 or userPrincipalName eq 'y@contoso.com",
        "alice@-contoso.com",
        "alice@contoso-.com",
        "alice@contoso..com",
        "alice@contoso.com.",
        "alice@contoso_corp.com",
        `alice@${a(64)}.com`,
      ],
      (upn) => ({ upn }),
      () => refused("upn", "must be a user principal name like user@contoso.com"),
    );
  });

  it("refuses one over 256 characters", () => {
    expect(outcome(DisableUserRequest, { upn: `${a(250)}@contoso.com` })).toEqual(
      refused("upn", "must be at most 256 characters"),
    );
  });

  it("revoke_sessions defaults to true", () => {
    expectOutcomes(
      DisableUserRequest,
      [
        { input: {}, expected: true },
        { input: { revoke_sessions: true }, expected: true },
        { input: { revoke_sessions: false }, expected: false },
      ],
      ({ input }) => ({ upn: "alice@contoso.com", ...input }),
      ({ expected }) => ok("alice@contoso.com", expected),
    );
  });

  it("reports a missing upn and each unknown field", () => {
    expectEach(
      [
        { input: {}, errors: [{ path: "upn", message: "is required" }] },
        {
          input: { user: "alice@contoso.com" },
          errors: [
            { path: "upn", message: "is required" },
            { path: "user", message: "is not a known field" },
          ],
        },
        {
          input: { upn: "alice@contoso.com", revoke: false, revokeSessions: false },
          errors: [
            { path: "revoke", message: "is not a known field" },
            { path: "revokeSessions", message: "is not a known field" },
          ],
        },
      ],
      ({ input, errors }) => ({ input, actual: errorsOf(DisableUserRequest, input), expected: errors }),
    );
  });
});

// ---- quarantine-email ----------------------------------------------------------------------------------

describe("QuarantineEmailRequest", () => {
  const UPN = "alice@contoso.com";
  const ok = (message_id: string, action = "softDelete") => ({
    data: { message_id, user_principal_name: UPN, action, reason: null },
  });
  const MESSAGE = "must be an RFC 5322 Message-ID such as <abc@host> or a provider message id";
  const outlookId = "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>";
  const graphId =
    "AAMkAGI2TG93AAA0ZTYtNGE1MS00ZDVjLWI3ODktMTVmNzdiMTYyMzhjAEYAAAAAAiQ8W967B7XAAAkYdQx7S5QQy0jmBPRdRWAAFBwAAAA=";

  describe("message_id", () => {
    const accepts = (rows: { message_id: string; expected: string }[]) =>
      expectOutcomes(
        QuarantineEmailRequest,
        rows,
        ({ message_id }) => ({ message_id, user_principal_name: UPN }),
        ({ expected }) => ok(expected),
      );
    const refuses = (message: string, ids: string[]) =>
      expectOutcomes(
        QuarantineEmailRequest,
        ids,
        (message_id) => ({ message_id, user_principal_name: UPN }),
        () => refused("message_id", message),
      );

    it("accepts an RFC 5322 Message-ID in angle brackets (atext, dots, a domain literal), trimmed, up to 998", () => {
      accepts([
        { message_id: "<abc@host>", expected: "<abc@host>" },
        { message_id: "  <abc@host>\n", expected: "<abc@host>" },
        { message_id: outlookId, expected: outlookId },
        { message_id: "<CAFx=abc+def_1@mail.gmail.com>", expected: "<CAFx=abc+def_1@mail.gmail.com>" },
        { message_id: "<20260131.1234$5%6&7*8/9?{x}|~@mx.example.com>", expected: "<20260131.1234$5%6&7*8/9?{x}|~@mx.example.com>" },
        { message_id: "<o'brien.1@host>", expected: "<o'brien.1@host>" },
        { message_id: "<abc@[192.0.2.1]>", expected: "<abc@[192.0.2.1]>" },
        { message_id: `<${a(991)}@h.io>`, expected: `<${a(991)}@h.io>` },
      ]);
    });

    it("accepts a Graph message id: base64 or base64url with padding, up to 512", () => {
      accepts([
        { message_id: graphId, expected: graphId },
        { message_id: "AAMkAGI2TG93AAA=", expected: "AAMkAGI2TG93AAA=" },
        { message_id: "AAMk-AGI2_TG93/A+=", expected: "AAMk-AGI2_TG93/A+=" },
        { message_id: "A".repeat(512), expected: "A".repeat(512) },
      ]);
    });

    it("refuses what is neither: empty, unbracketed, no local part or domain, specials, injections, bad ids", () => {
      refuses(MESSAGE, [
        "",
        "   ",
        "<>",
        "<abc>",
        "abc@host",
        "<abc@host",
        "abc@host>",
        "<@host>",
        "<abc@>",
        "<a@b@c>",
        "<<abc@host>>",
        "<a b@host>",
        '<a"b@host>',
        "<a\\b@host>",
        "<a;b@host>",
        "<a,b@host>",
        "<a(b)@host>",
        "<a:b@host>",
        "<a\u0000b@host>",
        "<é@host>",
        "<abc@[a]b]>",
        "<abc@host> or 1 eq 1",
        "<x' or internetMessageId ne 'y@host>",
        "AAMkAGI2TG93AAA",
        "A".repeat(513),
        "AAMkAGI2TG93AAA'",
        "AAMkAGI2 TG93AAA=",
        "AAMkAGI2.TG93AAA=",
      ]);
    });

    it("refuses a Message-ID over 998 characters", () => {
      refuses("must be at most 998 characters", [`<${a(992)}@h.io>`]);
    });
  });

  describe("user_principal_name", () => {
    it("accepts a user principal name, lower-cased and trimmed", () => {
      expectOutcomes(
        QuarantineEmailRequest,
        [
          { upn: "Alice@Contoso.com", expected: "alice@contoso.com" },
          { upn: " alice@contoso.com ", expected: "alice@contoso.com" },
        ],
        ({ upn }) => ({ message_id: "<abc@host>", user_principal_name: upn }),
        ({ expected }) => ({
          data: { message_id: "<abc@host>", user_principal_name: expected, action: "softDelete", reason: null },
        }),
      );
    });

    it("refuses a name without a domain, or an address with a display name or brackets", () => {
      expectOutcomes(
        QuarantineEmailRequest,
        ["alice", "alice@contoso", "<alice@contoso.com>", "Alice <alice@contoso.com>"],
        (upn) => ({ message_id: "<abc@host>", user_principal_name: upn }),
        () => refused("user_principal_name", "must be a user principal name like user@contoso.com"),
      );
    });
  });

  describe("action", () => {
    it("defaults to softDelete", () => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: UPN })).toEqual(
        ok("<abc@host>", "softDelete"),
      );
    });

    it("accepts softDelete, hardDelete and moveToJunk", () => {
      expectOutcomes(
        QuarantineEmailRequest,
        ["softDelete", "hardDelete", "moveToJunk"],
        (action) => ({ message_id: "<abc@host>", user_principal_name: UPN, action }),
        (action) => ok("<abc@host>", action),
      );
    });

    it("refuses any other spelling or action", () => {
      expectOutcomes(
        QuarantineEmailRequest,
        ["softdelete", "SoftDelete", "delete", "purge", "move", ""],
        (action) => ({ message_id: "<abc@host>", user_principal_name: UPN, action }),
        () => refused("action", 'Invalid option: expected one of "softDelete"|"hardDelete"|"moveToJunk"'),
      );
    });
  });
});

// ---- list actions (query string: every value arrives as a string) ----------------------------------------

describe("ListActionsQuery", () => {
  const ok = (fields: Record<string, unknown> = {}) => ({ data: { limit: 50, ...fields } });

  it("defaults limit to 50 and nothing else", () => {
    expect(outcome(ListActionsQuery, {})).toEqual(ok());
  });

  describe("limit", () => {
    it("accepts 1 to 200, as a number", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          { limit: "1", expected: 1 },
          { limit: "50", expected: 50 },
          { limit: "199", expected: 199 },
          { limit: "200", expected: 200 },
        ],
        ({ limit }) => ({ limit }),
        ({ expected }) => ok({ limit: expected }),
      );
    });

    it("refuses one outside 1 to 200, or empty", () => {
      expectOutcomes(
        ListActionsQuery,
        ["0", "-1", "201", "1000", ""],
        (limit) => ({ limit }),
        () => refused("limit", "must be between 1 and 200"),
      );
    });
  });

  describe("since and until", () => {
    /** Each time as since, then as until. */
    const bothEnds = (times: string[]) => times.flatMap((t) => [{ since: t }, { until: t }]);

    it("accept an ISO 8601 date-time with seconds and a zone: Z or an offset, fractions too", () => {
      expectOutcomes(
        ListActionsQuery,
        bothEnds([
          "2026-01-31T12:00:00Z",
          "2026-01-31T12:00:00.123Z",
          "2026-01-31T12:00:00+02:00",
          "2026-01-31T12:00:00-05:30",
          "2026-01-31T12:00:00.5+00:00",
          "2028-02-29T23:59:59Z",
        ]),
        (q) => q,
        (q) => ok(q),
      );
    });

    it("refuse anything else: no zone, no time, lower case, other formats, impossible dates", () => {
      const MESSAGE = "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z";
      expectOutcomes(
        ListActionsQuery,
        bothEnds([
          "",
          "2026-01-31T12:00:00",
          "2026-01-31",
          "2026-01-31 12:00:00Z",
          "2026-01-31t12:00:00z",
          "2026-01-31T12:00Z",
          "2026-01-31T12:00:00+0200",
          "2026-01-31T12:00:00+02",
          "2026-13-01T12:00:00Z",
          "2026-02-30T12:00:00Z",
          "2026-01-31T24:00:00Z",
          "1769860800",
          "yesterday",
          "Sat, 31 Jan 2026 12:00:00 GMT",
        ]),
        (q) => q,
        (q) => refused(Object.keys(q)[0]!, MESSAGE),
      );
    });

    it("accept until at or after since, compared as instants", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          { since: "2026-01-31T12:00:00Z", until: "2026-01-31T12:00:00Z" },
          { since: "2026-01-31T12:00:00Z", until: "2026-01-31T12:00:00.001Z" },
          { since: "2026-01-31T12:00:00+02:00", until: "2026-01-31T11:00:00Z" },
        ],
        (q) => q,
        (q) => ok(q),
      );
    });

    it("refuse until before since, compared as instants", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          { since: "2026-01-31T12:00:00Z", until: "2026-01-31T11:59:59Z" },
          { since: "2026-01-31T12:00:00.001Z", until: "2026-01-31T12:00:00Z" },
          { since: "2026-01-31T12:00:00Z", until: "2026-01-31T13:00:00+02:00" },
        ],
        (q) => q,
        () => refused("until", "must not be before since"),
      );
    });
  });

  describe("cursor", () => {
    it("accepts an action id", () => {
      expectOutcomes(
        ListActionsQuery,
        ["act_01J0000000000000000000000Z", "act_01KGZ5M4Q9X7T3VBN8D2HCWERY", "act_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"],
        (cursor) => ({ cursor }),
        (cursor) => ok({ cursor }),
      );
    });

    it("refuses anything but act_ and 26 upper-case Crockford base32 characters starting 0-7", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          "",
          "act_",
          "01J0000000000000000000000Z",
          "ACT_01J0000000000000000000000Z",
          "act_01j0000000000000000000000z",
          "act_01J000000000000000000000Z",
          "act_01J0000000000000000000000ZZ",
          "act_01J0000000000000000000000I",
          "act_01J0000000000000000000000L",
          "act_01J0000000000000000000000O",
          "act_01J0000000000000000000000U",
          "act_81J0000000000000000000000Z",
          " act_01J0000000000000000000000Z",
          "act_01J0000000000000000000000Z'",
        ],
        (cursor) => ({ cursor }),
        () => refused("cursor", "must be an action id like act_01J..."),
      );
    });
  });

  describe("filters", () => {
    it("accept a type, status, target (trimmed, up to 512) and tenant (lower-cased)", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          { q: { type: "block_ip" }, expected: { type: "block_ip" } },
          { q: { type: "restore_email" }, expected: { type: "restore_email" } },
          { q: { status: "in_progress" }, expected: { status: "in_progress" } },
          { q: { target: "  ws01.contoso.com " }, expected: { target: "ws01.contoso.com" } },
          { q: { target: a(512) }, expected: { target: a(512) } },
          { q: { tenant_id: "Contoso.com" }, expected: { tenant_id: "contoso.com" } },
        ],
        ({ q }) => q,
        ({ expected }) => ok(expected),
      );
    });

    it("refuse a type or status that is not one of the enum's values, exactly spelled", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          {
            q: { type: "BLOCK_IP" },
            path: "type",
            message:
              'Invalid option: expected one of "isolate_endpoint"|"release_endpoint"|"block_ip"|"unblock_ip"|"change_expiry"|"disable_user"|"enable_user"|"quarantine_email"|"restore_email"',
          },
          {
            q: { status: "done" },
            path: "status",
            message: 'Invalid option: expected one of "queued"|"pending"|"in_progress"|"succeeded"|"failed"|"rejected"',
          },
        ],
        ({ q }) => q,
        ({ path, message }) => refused(path, message),
      );
    });

    it("refuse an empty target, one over 512 characters, or one with control or bidi formatting characters", () => {
      expectOutcomes(
        ListActionsQuery,
        [
          { target: "", message: "must not be empty" },
          { target: "   ", message: "must not be empty" },
          { target: a(513), message: "must be at most 512 characters" },
          { target: "ws\u000001", message: "must not contain control characters" },
          { target: "ws-01\r\nx", message: "must not contain control characters" },
          { target: "\u202Ews-01", message: BIDI_MESSAGE },
        ],
        ({ target }) => ({ target }),
        ({ message }) => refused("target", message),
      );
    });

    it("refuse a tenant that is neither a GUID nor a domain name", () => {
      expect(outcome(ListActionsQuery, { tenant_id: "contoso" })).toEqual(
        refused("tenant_id", "must be a tenant GUID or domain name"),
      );
    });
  });

  it("reports each unknown parameter (names are case-sensitive) and every bad one together", () => {
    expectEach(
      [
        {
          q: { page: "2", offset: "10" },
          errors: [
            { path: "page", message: "is not a known field" },
            { path: "offset", message: "is not a known field" },
          ],
        },
        { q: { Limit: "5" }, errors: [{ path: "Limit", message: "is not a known field" }] },
        {
          q: { limit: "0", since: "2026-01-31T12:00:00Z", until: "2026-01-31T11:00:00Z" },
          errors: [
            { path: "limit", message: "must be between 1 and 200" },
            { path: "until", message: "must not be before since" },
          ],
        },
      ],
      ({ q, errors }) => ({ input: q, actual: errorsOf(ListActionsQuery, q), expected: errors }),
    );
  });
});

describe("MetricsQuery", () => {
  it("hours: 1 to 168, 24 by default", () => {
    expectOutcomes(
      MetricsQuery,
      [
        { q: {}, hours: 24 },
        { q: { hours: "1" }, hours: 1 },
        { q: { hours: "24" }, hours: 24 },
        { q: { hours: "168" }, hours: 168 },
      ],
      ({ q }) => q,
      ({ hours }) => ({ data: { hours } }),
    );
  });

  it("refuses hours outside 1 to 168", () => {
    expectEach(["0", "169", "-24"], (hours) => ({
      input: { hours },
      actual: errorsOf(MetricsQuery, { hours }),
      expected: [{ path: "hours", message: "must be between 1 and 168" }],
    }));
  });

  it("refuses any other parameter", () => {
    expectEach(
      [
        { q: { hour: "1" }, errors: [{ path: "hour", message: "is not a known field" }] },
        { q: { hours: "24", since: "2026-01-31T12:00:00Z" }, errors: [{ path: "since", message: "is not a known field" }] },
      ],
      ({ q, errors }) => ({ input: q, actual: errorsOf(MetricsQuery, q), expected: errors }),
    );
  });
});

describe("ActionId", () => {
  it("accepts act_ and a ULID", () => {
    expectOutcomes(ActionId, ["act_01J0000000000000000000000Z", "act_01KGZ5M4Q9X7T3VBN8D2HCWERY"], (id) => id, (id) => ({ data: id }));
  });

  it("refuses anything else: short, long, lower case, another separator, spaces, escapes, a path", () => {
    expectEach(
      [
        "",
        "act_01KGZ5M4Q9X7T3VBN8D2HCWER",
        "act_01KGZ5M4Q9X7T3VBN8D2HCWERYY",
        "act_01kgz5m4q9x7t3vbn8d2hcwery",
        "act-01KGZ5M4Q9X7T3VBN8D2HCWERY",
        "act_01KGZ5M4Q9X7T3VBN8D2HCWERY ",
        "act_91KGZ5M4Q9X7T3VBN8D2HCWERY",
        "act_01KGZ5M4Q9X7T3VBN8D2HCWER%",
        "../act_01KGZ5M4Q9X7T3VBN8D2HC",
      ],
      (id) => ({ input: id, actual: errorsOf(ActionId, id), expected: [{ path: "", message: "must be an action id like act_01J..." }] }),
    );
  });
});
