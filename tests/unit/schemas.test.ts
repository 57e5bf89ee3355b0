// Table-driven tests of every request schema, the field-error mapping the API returns for them, and the
// environment parser. Refusals are compared as exact `{ path, message }[]` lists, as the API reports them.
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
const refused = (path: string, message: string): { errors: FieldError[] } => ({ errors: [{ path, message }] });

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

  it.each([
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
  ])("$name", ({ schema, input, errors }) => {
    expect(errorsOf(schema, input)).toEqual(errors);
  });
});

// A value of the wrong type is present, not missing: "is required" would send the caller looking for a field
// they did send. These fail while fieldErrors decides "missing" from `issue.input`, which zod 4 leaves out of
// issues unless parsing is called with `reportInput: true` (lib/http/problem.ts, lib/http/route.ts).
describe("fieldErrors: a value of the wrong type is not reported as missing", () => {
  it.each([
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
  ])("$name", ({ schema, input, path, message }) => {
    expect(errorsOf(schema, input)).toEqual([{ path, message }]);
  });
});

// JSON bodies are not coerced: whatever the message (see above), these are refused on the right field.
describe("JSON body fields are not coerced", () => {
  it.each([
    { schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: "24" }, path: "duration_hours" },
    { schema: BlockIpRequest, input: { ip: "8.8.8.8", duration_hours: true }, path: "duration_hours" },
    { schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: "150" }, path: "priority" },
    { schema: BlockIpRequest, input: { ip: "8.8.8.8", firewall_type: "azure_nsg", priority: 150.5 }, path: "priority" },
    { schema: BlockIpRequest, input: { ip: ["8.8.8.8"] }, path: "ip" },
    { schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: "false" }, path: "revoke_sessions" },
    { schema: DisableUserRequest, input: { upn: "alice@contoso.com", revoke_sessions: 0 }, path: "revoke_sessions" },
    { schema: IsolateRequest, input: { machine_id: 1234567890 }, path: "machine_id" },
    { schema: IsolateRequest, input: { hostname: ["ws01"] }, path: "hostname" },
  ])("refuses $input on $path", ({ schema, input, path }) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    expect(fieldErrors(result.error!).map((e) => e.path)).toEqual([path]);
  });
});

describe("validationError", () => {
  it.each([
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
  ])("$where: $detail", ({ where, schema, input, detail, errors }) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const err = validationError(result.error!, where);
    expect(err).toBeInstanceOf(MdrError);
    expect(err.code).toBe("validation_failed");
    expect(err.status).toBe(422);
    expect(err.message).toBe(detail);
    expect(err.errors).toEqual(errors);
  });
});

// ---- isolate -------------------------------------------------------------------------------------------

describe("IsolateRequest", () => {
  const ok = (fields: Record<string, unknown>) => ({ data: { isolation_type: "Full", reason: null, ...fields } });

  describe("hostname", () => {
    const DNS = "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63";
    const NOT_IP = "must be a hostname, not an IP address or a number";
    it.each([
      { hostname: "ws01", expected: "ws01" },
      { hostname: "WS-01.Contoso.COM", expected: "ws-01.contoso.com" },
      { hostname: "ws-01.contoso.com.", expected: "ws-01.contoso.com" },
      { hostname: "  ws01  ", expected: "ws01" },
      { hostname: "\tws01\n", expected: "ws01" },
      { hostname: "a", expected: "a" },
      { hostname: "1ws", expected: "1ws" },
      { hostname: "ws01.10a", expected: "ws01.10a" },
      { hostname: "xn--bcher-kva.example", expected: "xn--bcher-kva.example" },
      { hostname: label63, expected: label63 },
      { hostname: `${label63}.contoso.com`, expected: `${label63}.contoso.com` },
      { hostname: host255, expected: host255 },
      { hostname: host255.toUpperCase(), expected: host255 },
    ])("accepts $hostname", ({ hostname, expected }) => {
      expect(outcome(IsolateRequest, { hostname })).toEqual(ok({ hostname: expected }));
    });

    it.each([
      { hostname: "", message: "must not be empty" },
      { hostname: "   ", message: "must not be empty" },
      { hostname: `${host255}.`, message: "must be at most 255 characters" },
      { hostname: a(256), message: "must be at most 255 characters" },
      { hostname: a(64), message: DNS },
      { hostname: `ws01.${a(64)}.com`, message: DNS },
      { hostname: "-ws01", message: DNS },
      { hostname: "ws01-", message: DNS },
      { hostname: "ws01.-contoso.com", message: DNS },
      { hostname: "ws01.contoso-.com", message: DNS },
      { hostname: "ws_01", message: DNS },
      { hostname: "ws 01", message: DNS },
      { hostname: "ws01..contoso.com", message: DNS },
      { hostname: ".ws01", message: DNS },
      { hostname: ".", message: DNS },
      { hostname: "ws01..", message: DNS },
      { hostname: "ws01'", message: DNS },
      { hostname: 'ws"01', message: DNS },
      { hostname: "x' or 1 eq 1 or computerDnsName eq 'y", message: DNS },
      { hostname: "x'or'1'eq'1", message: DNS },
      { hostname: "ws01%27", message: DNS },
      { hostname: "ws01;whoami", message: DNS },
      { hostname: "ws01/x", message: DNS },
      { hostname: "wsé01", message: DNS },
      { hostname: "ws01\u200b", message: DNS },
      { hostname: "ws\u000001", message: DNS },
      { hostname: "::1", message: DNS },
      { hostname: "[::1]", message: DNS },
      { hostname: "10.1.2.3", message: NOT_IP },
      { hostname: "10.1.2.3.", message: NOT_IP },
      { hostname: "123", message: NOT_IP },
      { hostname: "ws01.123", message: NOT_IP },
    ])("refuses $hostname", ({ hostname, message }) => {
      expect(outcome(IsolateRequest, { hostname })).toEqual(refused("hostname", message));
    });
  });

  describe("machine_id", () => {
    it.each([
      { machine_id: HEX40, expected: HEX40 },
      { machine_id: HEX40.toUpperCase(), expected: HEX40 },
      { machine_id: `  ${HEX40}\n`, expected: HEX40 },
    ])("accepts $machine_id", ({ machine_id, expected }) => {
      expect(outcome(IsolateRequest, { machine_id })).toEqual(ok({ machine_id: expected }));
    });

    it("accepts hostname and machine_id together", () => {
      expect(outcome(IsolateRequest, { hostname: "WS01", machine_id: HEX40 })).toEqual(
        ok({ hostname: "ws01", machine_id: HEX40 }),
      );
    });

    const MESSAGE = "must be a Defender machine id (40 hexadecimal characters)";
    it.each([
      { machine_id: "" },
      { machine_id: HEX40.slice(1) },
      { machine_id: `${HEX40}8` },
      { machine_id: "g".repeat(40) },
      { machine_id: `0x${HEX40.slice(2)}` },
      { machine_id: `${HEX40.slice(0, 20)} ${HEX40.slice(21)}` },
      { machine_id: `${HEX40.slice(0, 39)}'` },
      { machine_id: "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d0000" },
    ])("refuses $machine_id", ({ machine_id }) => {
      expect(outcome(IsolateRequest, { machine_id })).toEqual(refused("machine_id", MESSAGE));
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

    it.each(["Full", "Selective", "UnManagedDevice"])("accepts %s", (isolation_type) => {
      expect(outcome(IsolateRequest, { hostname: "ws01", isolation_type })).toEqual(
        ok({ hostname: "ws01", isolation_type }),
      );
    });

    it.each(["full", "FULL", "selective", "UnmanagedDevice", " Full", "", "Partial"])("refuses %j", (isolation_type) => {
      expect(outcome(IsolateRequest, { hostname: "ws01", isolation_type })).toEqual(
        refused("isolation_type", 'Invalid option: expected one of "Full"|"Selective"|"UnManagedDevice"'),
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

describe.each(ACTION_SCHEMAS)("$name reason", ({ schema, base }) => {
  const reasonOf = (input: unknown) => {
    const o = outcome(schema, input);
    return "data" in o ? { reason: (o.data as { reason: unknown }).reason } : o;
  };

  it.each([
    { label: "absent", input: {}, expected: null },
    { label: "null", input: { reason: null }, expected: null },
    { label: "empty", input: { reason: "" }, expected: null },
    { label: "only whitespace", input: { reason: " \t\n " }, expected: null },
    { label: "trimmed", input: { reason: "  phishing, IR-42  " }, expected: "phishing, IR-42" },
    { label: "several lines", input: { reason: "line one\n\tline two\r\n" }, expected: "line one\n\tline two" },
    { label: "1000 characters", input: { reason: a(1000) }, expected: a(1000) },
    { label: "1000 characters once trimmed", input: { reason: ` ${a(1000)} ` }, expected: a(1000) },
    { label: "1000 non-ASCII characters", input: { reason: "é".repeat(1000) }, expected: "é".repeat(1000) },
  ])("accepts $label", ({ input, expected }) => {
    expect(reasonOf({ ...base, ...input })).toEqual({ reason: expected });
  });

  it.each([
    { label: "1001 characters", reason: a(1001), message: "must be at most 1000 characters" },
    { label: "a NUL", reason: "a\u0000b", message: "must not contain control characters" },
    { label: "an ANSI escape", reason: "\u001b[2Jcleared", message: "must not contain control characters" },
    { label: "a DEL", reason: "a\u007fb", message: "must not contain control characters" },
    { label: "a C1 control", reason: "a\u0085b", message: "must not contain control characters" },
  ])("refuses $label", ({ reason, message }) => {
    expect(outcome(schema, { ...base, reason })).toEqual(refused("reason", message));
  });
});

describe.each(ACTION_SCHEMAS)("$name tenant_id", ({ schema, base }) => {
  const tenantOf = (input: unknown) => {
    const o = outcome(schema, input);
    return "data" in o ? { tenant_id: (o.data as { tenant_id?: unknown }).tenant_id } : o;
  };

  it.each([
    { tenant_id: undefined, expected: undefined },
    { tenant_id: GUID, expected: GUID },
    { tenant_id: GUID.toUpperCase(), expected: GUID },
    { tenant_id: ` ${GUID} `, expected: GUID },
    { tenant_id: "contoso.com", expected: "contoso.com" },
    { tenant_id: "Contoso.OnMicrosoft.COM", expected: "contoso.onmicrosoft.com" },
  ])("accepts $tenant_id", ({ tenant_id, expected }) => {
    expect(tenantOf({ ...base, tenant_id })).toEqual({ tenant_id: expected });
  });

  const MESSAGE = "must be a tenant GUID or domain name";
  it.each([
    { tenant_id: "", message: MESSAGE },
    { tenant_id: "contoso", message: MESSAGE },
    { tenant_id: "contoso.com.", message: MESSAGE },
    { tenant_id: "-contoso.com", message: MESSAGE },
    { tenant_id: GUID.replaceAll("-", ""), message: MESSAGE },
    { tenant_id: `{${GUID}}`, message: MESSAGE },
    { tenant_id: `${GUID}0`, message: MESSAGE },
    { tenant_id: "contoso.com' or 1 eq 1", message: MESSAGE },
    { tenant_id: `${`${a(60)}.`.repeat(4)}${a(52)}.com`, message: "must be at most 255 characters" },
  ])("refuses $tenant_id", ({ tenant_id, message }) => {
    expect(outcome(schema, { ...base, tenant_id })).toEqual(refused("tenant_id", message));
  });
});

// ---- block-ip ------------------------------------------------------------------------------------------

const FIREWALLS = ["defender", "azure_nsg", "aws_sg"] as const;
const RULE_FIREWALLS = ["azure_nsg", "aws_sg"] as const;

function address(value: string, family: "ipv4" | "ipv6", prefix: number, range: string): ParsedAddress {
  return { value, family, prefix, isRange: prefix < (family === "ipv4" ? 32 : 128), range };
}
function blocked(firewall_type: string, addr: ParsedAddress, extra: Record<string, unknown> = {}) {
  return { data: { ip: addr.value, firewall_type, reason: null, duration_hours: 24, address: addr, ...extra } };
}
const ipErr = (message: string) => refused("ip", message);

describe("parseAddress", () => {
  it.each([
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
  ])("parses $raw", ({ raw, expected }) => {
    expect(parseAddress(raw)).toEqual(expected);
  });

  it.each([
    { raw: " 8.8.8.8", expected: "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24" },
    { raw: "8.8.8.8/24", expected: "has host bits set: did you mean 8.8.8.0/24?" },
    { raw: "8.8.8.8/08", expected: "has an invalid prefix length: /08 (0-32)" },
    { raw: "::ffff:8.8.8.8", expected: "is an IPv4-mapped IPv6 address: did you mean 8.8.8.8?" },
  ])("refuses $raw", ({ raw, expected }) => {
    expect(parseAddress(raw)).toBe(expected);
  });
});

describe("BlockIpRequest", () => {
  describe("ip accepted by every firewall", () => {
    it.each(
      FIREWALLS.flatMap((fw) =>
        [
          { ip: "8.8.8.8", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
          { ip: "  8.8.8.8\n", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
          { ip: "8.8.8.8/32", expected: address("8.8.8.8", "ipv4", 32, "unicast") },
          { ip: "1.1.1.1", expected: address("1.1.1.1", "ipv4", 32, "unicast") },
          { ip: "2606:4700:4700::1111", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
          { ip: "2606:4700:4700:0000:0000:0000:0000:1111", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
          { ip: "2606:4700:4700:0:0:0:0:1111/128", expected: address("2606:4700:4700::1111", "ipv6", 128, "unicast") },
          { ip: "2606:4700::ABCD", expected: address("2606:4700::abcd", "ipv6", 128, "unicast") },
        ].map((row) => ({ ...row, fw })),
      ),
    )("$fw: $ip", ({ fw, ip, expected }) => {
      expect(outcome(BlockIpRequest, { ip, firewall_type: fw })).toEqual(blocked(fw, expected));
    });

    it("firewall_type defaults to defender", () => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8" })).toEqual(
        blocked("defender", address("8.8.8.8", "ipv4", 32, "unicast")),
      );
    });
  });

  describe("ip accepted by azure_nsg and aws_sg, refused by defender", () => {
    const RANGE = "Defender indicators take single addresses only; use azure_nsg or aws_sg for a range";
    const notPublic = (range: string) => `is ${range} address; Defender indicators block public addresses only`;
    const rows = [
      { ip: "8.8.8.0/24", expected: address("8.8.8.0/24", "ipv4", 24, "unicast"), defender: RANGE },
      { ip: "1.0.0.0/8", expected: address("1.0.0.0/8", "ipv4", 8, "unicast"), defender: RANGE },
      { ip: "10.0.0.0/8", expected: address("10.0.0.0/8", "ipv4", 8, "private"), defender: RANGE },
      { ip: "192.168.0.0/16", expected: address("192.168.0.0/16", "ipv4", 16, "private"), defender: RANGE },
      { ip: "198.51.100.0/24", expected: address("198.51.100.0/24", "ipv4", 24, "reserved"), defender: RANGE },
      { ip: "2606:4700::/32", expected: address("2606:4700::/32", "ipv6", 32, "unicast"), defender: RANGE },
      { ip: "2606:4700:0:0::/48", expected: address("2606:4700::/48", "ipv6", 48, "unicast"), defender: RANGE },
      { ip: "2001:db8::/32", expected: address("2001:db8::/32", "ipv6", 32, "reserved"), defender: RANGE },
      { ip: "10.0.0.1", expected: address("10.0.0.1", "ipv4", 32, "private"), defender: notPublic("a private") },
      { ip: "172.16.5.4", expected: address("172.16.5.4", "ipv4", 32, "private"), defender: notPublic("a private") },
      { ip: "192.168.1.1", expected: address("192.168.1.1", "ipv4", 32, "private"), defender: notPublic("a private") },
      { ip: "100.64.0.1", expected: address("100.64.0.1", "ipv4", 32, "carrierGradeNat"), defender: notPublic("a carrierGradeNat") },
      { ip: "169.254.169.254", expected: address("169.254.169.254", "ipv4", 32, "linkLocal"), defender: notPublic("a linkLocal") },
      { ip: "192.0.2.1", expected: address("192.0.2.1", "ipv4", 32, "reserved"), defender: notPublic("a reserved") },
      { ip: "198.51.100.7", expected: address("198.51.100.7", "ipv4", 32, "reserved"), defender: notPublic("a reserved") },
      { ip: "203.0.113.7", expected: address("203.0.113.7", "ipv4", 32, "reserved"), defender: notPublic("a reserved") },
      { ip: "240.0.0.1", expected: address("240.0.0.1", "ipv4", 32, "reserved"), defender: notPublic("a reserved") },
      { ip: "fe80::1", expected: address("fe80::1", "ipv6", 128, "linkLocal"), defender: notPublic("a linkLocal") },
      { ip: "fc00::1", expected: address("fc00::1", "ipv6", 128, "uniqueLocal"), defender: notPublic("a uniqueLocal") },
      { ip: "2001:db8::1", expected: address("2001:db8::1", "ipv6", 128, "reserved"), defender: notPublic("a reserved") },
      { ip: "64:ff9b::808:808", expected: address("64:ff9b::808:808", "ipv6", 128, "rfc6052"), defender: notPublic("an rfc6052") },
      { ip: "2002:c000:204::1", expected: address("2002:c000:204::1", "ipv6", 128, "6to4"), defender: notPublic("a 6to4") },
      { ip: "::2", expected: address("::2", "ipv6", 128, "reserved"), defender: notPublic("a reserved") },
      { ip: "::808:808", expected: address("::808:808", "ipv6", 128, "reserved"), defender: notPublic("a reserved") },
      { ip: "4000::1", expected: address("4000::1", "ipv6", 128, "reserved"), defender: notPublic("a reserved") },
    ];

    it.each(RULE_FIREWALLS.flatMap((fw) => rows.map((row) => ({ ...row, fw }))))("$fw accepts $ip", ({ fw, ip, expected }) => {
      expect(outcome(BlockIpRequest, { ip, firewall_type: fw })).toEqual(blocked(fw, expected));
    });

    it.each(rows)("defender refuses $ip", ({ ip, defender }) => {
      expect(outcome(BlockIpRequest, { ip, firewall_type: "defender" })).toEqual(ipErr(defender));
    });
  });

  describe("ip refused by every firewall", () => {
    const NOT_AN_ADDRESS = "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24";
    const rows = [
      // not strictly written
      { ip: "", message: "must not be empty" },
      { ip: "  \t ", message: "must not be empty" },
      { ip: "8".repeat(65), message: "must be at most 64 characters" },
      { ip: "8".repeat(64), message: NOT_AN_ADDRESS },
      { ip: "010.1.1.1", message: NOT_AN_ADDRESS },
      { ip: "08.8.8.8", message: NOT_AN_ADDRESS },
      { ip: "8.8.8.08", message: NOT_AN_ADDRESS },
      { ip: "0x8.8.8.8", message: NOT_AN_ADDRESS },
      { ip: "0x08080808", message: NOT_AN_ADDRESS },
      { ip: "134744072", message: NOT_AN_ADDRESS },
      { ip: "8.8.8", message: NOT_AN_ADDRESS },
      { ip: "8.8", message: NOT_AN_ADDRESS },
      { ip: "8.8.8.8.", message: NOT_AN_ADDRESS },
      { ip: "256.1.1.1", message: NOT_AN_ADDRESS },
      { ip: "8.8.8.8 8.8.4.4", message: NOT_AN_ADDRESS },
      { ip: "8.8.8.8,8.8.4.4", message: NOT_AN_ADDRESS },
      { ip: "8.8.8.0/24/8", message: NOT_AN_ADDRESS },
      { ip: "evil.example.com", message: NOT_AN_ADDRESS },
      { ip: "[2606:4700::1111]", message: NOT_AN_ADDRESS },
      { ip: "fe80::1%eth0", message: NOT_AN_ADDRESS },
      { ip: "2606:4700::1::2", message: NOT_AN_ADDRESS },
      { ip: "2606:4700:4700:0:0:0:0:0:1111", message: NOT_AN_ADDRESS },
      { ip: "::ffff:08.8.8.8", message: NOT_AN_ADDRESS },
      // prefix length
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
      // host bits
      { ip: "8.8.8.1/24", message: "has host bits set: did you mean 8.8.8.0/24?" },
      { ip: "10.0.0.1/8", message: "has host bits set: did you mean 10.0.0.0/8?" },
      { ip: "198.51.100.7/31", message: "has host bits set: did you mean 198.51.100.6/31?" },
      { ip: "2606:4700::1/64", message: "has host bits set: did you mean 2606:4700::/64?" },
      { ip: "2606:4700:4700::1111/48", message: "has host bits set: did you mean 2606:4700:4700::/48?" },
      // too wide
      { ip: "10.0.0.0/7", message: "/7 is too wide to block: IPv4 ranges must be /8 or narrower" },
      { ip: "128.0.0.0/1", message: "/1 is too wide to block: IPv4 ranges must be /8 or narrower" },
      { ip: "0.0.0.0/0", message: "/0 is too wide to block: IPv4 ranges must be /8 or narrower" },
      { ip: "2606:4700::/31", message: "/31 is too wide to block: IPv6 ranges must be /32 or narrower" },
      { ip: "2000::/3", message: "/3 is too wide to block: IPv6 ranges must be /32 or narrower" },
      { ip: "::/0", message: "/0 is too wide to block: IPv6 ranges must be /32 or narrower" },
      // never blockable
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
      // IPv4 written as IPv6
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
    ];

    it.each(FIREWALLS.flatMap((fw) => rows.map((row) => ({ ...row, fw }))))("$fw refuses $ip", ({ fw, ip, message }) => {
      expect(outcome(BlockIpRequest, { ip, firewall_type: fw })).toEqual(ipErr(message));
    });
  });

  describe("firewall_type", () => {
    it.each(["Defender", "AZURE_NSG", "azure", "aws", "nsg", ""])("refuses %j", (firewall_type) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type })).toEqual(
        refused("firewall_type", 'Invalid option: expected one of "azure_nsg"|"aws_sg"|"defender"'),
      );
    });
  });

  describe("priority", () => {
    const v4 = address("8.8.8.8", "ipv4", 32, "unicast");
    it.each([100, 150, 4096])("azure_nsg accepts %d", (priority) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type: "azure_nsg", priority })).toEqual(
        blocked("azure_nsg", v4, { priority }),
      );
    });

    it("is optional for azure_nsg", () => {
      const o = outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type: "azure_nsg" });
      expect(o).toEqual(blocked("azure_nsg", v4));
      expect("data" in o && "priority" in (o.data as object)).toBe(false);
    });

    it.each([99, 4097, 0, -100, 65000])("azure_nsg refuses %d", (priority) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type: "azure_nsg", priority })).toEqual(
        refused("priority", "must be between 100 and 4096"),
      );
    });

    it.each(["defender", "aws_sg"])("%s refuses any priority", (firewall_type) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", firewall_type, priority: 150 })).toEqual(
        refused("priority", "applies to firewall_type azure_nsg only"),
      );
    });

    it("defender (the default) refuses a priority", () => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", priority: 150 })).toEqual(
        refused("priority", "applies to firewall_type azure_nsg only"),
      );
    });
  });

  describe("duration_hours", () => {
    const v4 = address("8.8.8.8", "ipv4", 32, "unicast");
    it("defaults to 24", () => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8" })).toEqual(blocked("defender", v4, { duration_hours: 24 }));
    });

    it.each([0.25, 0.5, 1, 1.5, 24, 168, 8759.75, 8760])("accepts %d", (duration_hours) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", duration_hours })).toEqual(
        blocked("defender", v4, { duration_hours }),
      );
    });

    it.each([
      { duration_hours: 0, message: "must be greater than 0" },
      { duration_hours: -0, message: "must be greater than 0" },
      { duration_hours: -1, message: "must be greater than 0" },
      { duration_hours: 8760.01, message: "must be at most 8760 (one year)" },
      { duration_hours: 8761, message: "must be at most 8760 (one year)" },
      { duration_hours: 1e9, message: "must be at most 8760 (one year)" },
    ])("refuses $duration_hours", ({ duration_hours, message }) => {
      expect(outcome(BlockIpRequest, { ip: "8.8.8.8", duration_hours })).toEqual(refused("duration_hours", message));
    });
  });

  describe("errors of several fields are reported together", () => {
    it.each([
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
          { path: "firewall_type", message: 'Invalid option: expected one of "azure_nsg"|"aws_sg"|"defender"' },
        ],
      },
    ])("$name", ({ input, errors }) => {
      expect(errorsOf(BlockIpRequest, input)).toEqual(errors);
    });
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

  it.each([
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
  ])("accepts $upn", ({ upn, expected }) => {
    expect(outcome(DisableUserRequest, { upn })).toEqual(ok(expected));
  });

  const MESSAGE = "must be a user principal name like user@contoso.com";
  it.each([
    { upn: "", message: MESSAGE },
    { upn: "   ", message: MESSAGE },
    { upn: "alice", message: MESSAGE },
    { upn: "CONTOSO\\alice", message: MESSAGE },
    { upn: "alice@", message: MESSAGE },
    { upn: "@contoso.com", message: MESSAGE },
    { upn: "alice@contoso", message: MESSAGE },
    { upn: "alice@localhost", message: MESSAGE },
    { upn: "alice@contoso.c", message: MESSAGE },
    { upn: "alice@10.0.0.1", message: MESSAGE },
    { upn: "alice@[10.0.0.1]", message: MESSAGE },
    { upn: "alice@@contoso.com", message: MESSAGE },
    { upn: "alice@bob@contoso.com", message: MESSAGE },
    { upn: "ali ce@contoso.com", message: MESSAGE },
    { upn: '"alice"@contoso.com', message: MESSAGE },
    { upn: ".alice@contoso.com", message: MESSAGE },
    { upn: "alice.@contoso.com", message: MESSAGE },
    { upn: "alice..smith@contoso.com", message: MESSAGE },
    { upn: "alice+tag@contoso.com", message: MESSAGE },
    { upn: "alice/x@contoso.com", message: MESSAGE },
    { upn: "alice%27@contoso.com", message: MESSAGE },
    { upn: "ålice@contoso.com", message: MESSAGE },
    { upn: "alice@contoso.com'", message: MESSAGE },
    { upn: "x' or 1 eq 1 or userPrincipalName eq 'y@contoso.com", message: MESSAGE },
    { upn: "alice@-contoso.com", message: MESSAGE },
    { upn: "alice@contoso-.com", message: MESSAGE },
    { upn: "alice@contoso..com", message: MESSAGE },
    { upn: "alice@contoso.com.", message: MESSAGE },
    { upn: "alice@contoso_corp.com", message: MESSAGE },
    { upn: `alice@${a(64)}.com`, message: MESSAGE },
    { upn: `${a(250)}@contoso.com`, message: "must be at most 256 characters" },
  ])("refuses $upn", ({ upn, message }) => {
    expect(outcome(DisableUserRequest, { upn })).toEqual(refused("upn", message));
  });

  it.each([
    { input: {}, expected: true },
    { input: { revoke_sessions: true }, expected: true },
    { input: { revoke_sessions: false }, expected: false },
  ])("revoke_sessions $input -> $expected", ({ input, expected }) => {
    expect(outcome(DisableUserRequest, { upn: "alice@contoso.com", ...input })).toEqual(ok("alice@contoso.com", expected));
  });

  it.each([
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
  ])("refuses $input", ({ input, errors }) => {
    expect(errorsOf(DisableUserRequest, input)).toEqual(errors);
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
    it.each([
      { message_id: "<abc@host>", expected: "<abc@host>" },
      { message_id: "  <abc@host>\n", expected: "<abc@host>" },
      { message_id: outlookId, expected: outlookId },
      { message_id: "<CAFx=abc+def_1@mail.gmail.com>", expected: "<CAFx=abc+def_1@mail.gmail.com>" },
      { message_id: "<20260131.1234$5%6&7*8/9?{x}|~@mx.example.com>", expected: "<20260131.1234$5%6&7*8/9?{x}|~@mx.example.com>" },
      { message_id: "<o'brien.1@host>", expected: "<o'brien.1@host>" },
      { message_id: "<abc@[192.0.2.1]>", expected: "<abc@[192.0.2.1]>" },
      { message_id: `<${a(991)}@h.io>`, expected: `<${a(991)}@h.io>` },
      { message_id: graphId, expected: graphId },
      { message_id: "AAMkAGI2TG93AAA=", expected: "AAMkAGI2TG93AAA=" },
      { message_id: "AAMk-AGI2_TG93/A+=", expected: "AAMk-AGI2_TG93/A+=" },
      { message_id: "A".repeat(512), expected: "A".repeat(512) },
    ])("accepts $message_id", ({ message_id, expected }) => {
      expect(outcome(QuarantineEmailRequest, { message_id, user_principal_name: UPN })).toEqual(ok(expected));
    });

    it.each([
      { message_id: "", message: MESSAGE },
      { message_id: "   ", message: MESSAGE },
      { message_id: "<>", message: MESSAGE },
      { message_id: "<abc>", message: MESSAGE },
      { message_id: "abc@host", message: MESSAGE },
      { message_id: "<abc@host", message: MESSAGE },
      { message_id: "abc@host>", message: MESSAGE },
      { message_id: "<@host>", message: MESSAGE },
      { message_id: "<abc@>", message: MESSAGE },
      { message_id: "<a@b@c>", message: MESSAGE },
      { message_id: "<<abc@host>>", message: MESSAGE },
      { message_id: "<a b@host>", message: MESSAGE },
      { message_id: '<a"b@host>', message: MESSAGE },
      { message_id: "<a\\b@host>", message: MESSAGE },
      { message_id: "<a;b@host>", message: MESSAGE },
      { message_id: "<a,b@host>", message: MESSAGE },
      { message_id: "<a(b)@host>", message: MESSAGE },
      { message_id: "<a:b@host>", message: MESSAGE },
      { message_id: "<a\u0000b@host>", message: MESSAGE },
      { message_id: "<é@host>", message: MESSAGE },
      { message_id: "<abc@[a]b]>", message: MESSAGE },
      { message_id: "<abc@host> or 1 eq 1", message: MESSAGE },
      { message_id: "<x' or internetMessageId ne 'y@host>", message: MESSAGE },
      { message_id: "AAMkAGI2TG93AAA", message: MESSAGE },
      { message_id: "A".repeat(513), message: MESSAGE },
      { message_id: "AAMkAGI2TG93AAA'", message: MESSAGE },
      { message_id: "AAMkAGI2 TG93AAA=", message: MESSAGE },
      { message_id: "AAMkAGI2.TG93AAA=", message: MESSAGE },
      { message_id: `<${a(992)}@h.io>`, message: "must be at most 998 characters" },
    ])("refuses $message_id", ({ message_id, message }) => {
      expect(outcome(QuarantineEmailRequest, { message_id, user_principal_name: UPN })).toEqual(
        refused("message_id", message),
      );
    });
  });

  describe("user_principal_name", () => {
    it.each([
      { upn: "Alice@Contoso.com", expected: "alice@contoso.com" },
      { upn: " alice@contoso.com ", expected: "alice@contoso.com" },
    ])("accepts $upn", ({ upn, expected }) => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: upn })).toEqual({
        data: { message_id: "<abc@host>", user_principal_name: expected, action: "softDelete", reason: null },
      });
    });

    it.each(["alice", "alice@contoso", "<alice@contoso.com>", "Alice <alice@contoso.com>"])("refuses %j", (upn) => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: upn })).toEqual(
        refused("user_principal_name", "must be a user principal name like user@contoso.com"),
      );
    });
  });

  describe("action", () => {
    it("defaults to softDelete", () => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: UPN })).toEqual(
        ok("<abc@host>", "softDelete"),
      );
    });

    it.each(["softDelete", "hardDelete", "moveToJunk"])("accepts %s", (action) => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: UPN, action })).toEqual(
        ok("<abc@host>", action),
      );
    });

    it.each(["softdelete", "SoftDelete", "delete", "purge", "move", ""])("refuses %j", (action) => {
      expect(outcome(QuarantineEmailRequest, { message_id: "<abc@host>", user_principal_name: UPN, action })).toEqual(
        refused("action", 'Invalid option: expected one of "softDelete"|"hardDelete"|"moveToJunk"'),
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
    it.each([
      { limit: "1", expected: 1 },
      { limit: "50", expected: 50 },
      { limit: "199", expected: 199 },
      { limit: "200", expected: 200 },
    ])("accepts $limit", ({ limit, expected }) => {
      expect(outcome(ListActionsQuery, { limit })).toEqual(ok({ limit: expected }));
    });

    it.each(["0", "-1", "201", "1000", ""])("refuses %j", (limit) => {
      expect(outcome(ListActionsQuery, { limit })).toEqual(refused("limit", "must be between 1 and 200"));
    });
  });

  describe("since and until", () => {
    it.each([
      "2026-01-31T12:00:00Z",
      "2026-01-31T12:00:00.123Z",
      "2026-01-31T12:00:00+02:00",
      "2026-01-31T12:00:00-05:30",
      "2026-01-31T12:00:00.5+00:00",
      "2028-02-29T23:59:59Z",
    ])("accepts %s", (t) => {
      expect(outcome(ListActionsQuery, { since: t })).toEqual(ok({ since: t }));
      expect(outcome(ListActionsQuery, { until: t })).toEqual(ok({ until: t }));
    });

    const MESSAGE = "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z";
    it.each([
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
    ])("refuses %j", (t) => {
      expect(outcome(ListActionsQuery, { since: t })).toEqual(refused("since", MESSAGE));
      expect(outcome(ListActionsQuery, { until: t })).toEqual(refused("until", MESSAGE));
    });

    it.each([
      { since: "2026-01-31T12:00:00Z", until: "2026-01-31T12:00:00Z" },
      { since: "2026-01-31T12:00:00Z", until: "2026-01-31T12:00:00.001Z" },
      { since: "2026-01-31T12:00:00+02:00", until: "2026-01-31T11:00:00Z" },
    ])("accepts since $since until $until", ({ since, until }) => {
      expect(outcome(ListActionsQuery, { since, until })).toEqual(ok({ since, until }));
    });

    it.each([
      { since: "2026-01-31T12:00:00Z", until: "2026-01-31T11:59:59Z" },
      { since: "2026-01-31T12:00:00.001Z", until: "2026-01-31T12:00:00Z" },
      { since: "2026-01-31T12:00:00Z", until: "2026-01-31T13:00:00+02:00" },
    ])("refuses since $since until $until", ({ since, until }) => {
      expect(outcome(ListActionsQuery, { since, until })).toEqual(refused("until", "must not be before since"));
    });
  });

  describe("cursor", () => {
    it.each(["act_01J0000000000000000000000Z", "act_01KGZ5M4Q9X7T3VBN8D2HCWERY", "act_7ZZZZZZZZZZZZZZZZZZZZZZZZZ"])(
      "accepts %s",
      (cursor) => {
        expect(outcome(ListActionsQuery, { cursor })).toEqual(ok({ cursor }));
      },
    );

    it.each([
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
    ])("refuses %j", (cursor) => {
      expect(outcome(ListActionsQuery, { cursor })).toEqual(refused("cursor", "must be an action id like act_01J..."));
    });
  });

  describe("filters", () => {
    it.each([
      { q: { type: "block_ip" }, expected: { type: "block_ip" } },
      { q: { type: "restore_email" }, expected: { type: "restore_email" } },
      { q: { status: "in_progress" }, expected: { status: "in_progress" } },
      { q: { target: "  ws01.contoso.com " }, expected: { target: "ws01.contoso.com" } },
      { q: { target: a(512) }, expected: { target: a(512) } },
      { q: { tenant_id: "Contoso.com" }, expected: { tenant_id: "contoso.com" } },
    ])("accepts $q", ({ q, expected }) => {
      expect(outcome(ListActionsQuery, q)).toEqual(ok(expected));
    });

    it.each([
      {
        q: { type: "BLOCK_IP" },
        path: "type",
        message:
          'Invalid option: expected one of "isolate_endpoint"|"release_endpoint"|"block_ip"|"unblock_ip"|"disable_user"|"enable_user"|"quarantine_email"|"restore_email"',
      },
      {
        q: { status: "done" },
        path: "status",
        message: 'Invalid option: expected one of "pending"|"in_progress"|"succeeded"|"failed"|"rejected"',
      },
      { q: { target: "" }, path: "target", message: "must not be empty" },
      { q: { target: "   " }, path: "target", message: "must not be empty" },
      { q: { target: a(513) }, path: "target", message: "must be at most 512 characters" },
      { q: { tenant_id: "contoso" }, path: "tenant_id", message: "must be a tenant GUID or domain name" },
    ])("refuses $q", ({ q, path, message }) => {
      expect(outcome(ListActionsQuery, q)).toEqual(refused(path, message));
    });
  });

  it.each([
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
  ])("refuses $q", ({ q, errors }) => {
    expect(errorsOf(ListActionsQuery, q)).toEqual(errors);
  });
});

describe("MetricsQuery", () => {
  it.each([
    { q: {}, hours: 24 },
    { q: { hours: "1" }, hours: 1 },
    { q: { hours: "24" }, hours: 24 },
    { q: { hours: "168" }, hours: 168 },
  ])("accepts $q", ({ q, hours }) => {
    expect(outcome(MetricsQuery, q)).toEqual({ data: { hours } });
  });

  it.each([
    { q: { hours: "0" }, errors: [{ path: "hours", message: "must be between 1 and 168" }] },
    { q: { hours: "169" }, errors: [{ path: "hours", message: "must be between 1 and 168" }] },
    { q: { hours: "-24" }, errors: [{ path: "hours", message: "must be between 1 and 168" }] },
    { q: { hour: "1" }, errors: [{ path: "hour", message: "is not a known field" }] },
    {
      q: { hours: "24", since: "2026-01-31T12:00:00Z" },
      errors: [{ path: "since", message: "is not a known field" }],
    },
  ])("refuses $q", ({ q, errors }) => {
    expect(errorsOf(MetricsQuery, q)).toEqual(errors);
  });
});

describe("ActionId", () => {
  it.each(["act_01J0000000000000000000000Z", "act_01KGZ5M4Q9X7T3VBN8D2HCWERY"])("accepts %s", (id) => {
    expect(outcome(ActionId, id)).toEqual({ data: id });
  });

  it.each([
    "",
    "act_01KGZ5M4Q9X7T3VBN8D2HCWER",
    "act_01KGZ5M4Q9X7T3VBN8D2HCWERYY",
    "act_01kgz5m4q9x7t3vbn8d2hcwery",
    "act-01KGZ5M4Q9X7T3VBN8D2HCWERY",
    "act_01KGZ5M4Q9X7T3VBN8D2HCWERY ",
    "act_91KGZ5M4Q9X7T3VBN8D2HCWERY",
    "act_01KGZ5M4Q9X7T3VBN8D2HCWER%",
    "../act_01KGZ5M4Q9X7T3VBN8D2HC",
  ])("refuses %j", (id) => {
    expect(errorsOf(ActionId, id)).toEqual([{ path: "", message: "must be an action id like act_01J..." }]);
  });
});

