// What a SIEM receives for a record: CEF (with its escaping), the RFC 5424 message around it, its
// octet-counted frame, and the HEC event.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { QueuedRecord } from "@/lib/db/queries/siem";
import { cefHeader, cefValue, octetCounted, toCef, toHecEvent, toSyslogMessage } from "@/lib/mdr/siem/format";
import { retryDelayMs } from "@/lib/mdr/siem/forwarder";

const AT = Date.UTC(2026, 11, 4, 23, 39, 22, 123);

const actionRecord = (over: Partial<NonNullable<QueuedRecord["action"]>> = {}): QueuedRecord => ({
  seq: 7,
  source: "action_event",
  recordId: 12,
  action: {
    id: "act_01JEXAMPLE0000000000000000",
    at: AT,
    status: "failed",
    message: "[Graph] connection refused",
    type: "disable_user",
    target: "alice@contoso.com",
    tenantId: "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d",
    provider: "graph",
    mode: "simulation",
    requestedBy: "token:soar",
    reason: null,
    ...over,
  },
  audit: null,
  hash: null,
});

describe("CEF escaping", () => {
  it("escapes backslash and pipe in the header, and puts a header on one line", () => {
    expect(cefHeader("a|b\\c")).toBe("a\\|b\\\\c");
    expect(cefHeader("one\r\ntwo\nthree\rfour")).toBe("one two three four");
    expect(cefHeader("a=b")).toBe("a=b");
  });

  it("escapes backslash and equals in an extension value, and writes line breaks as \\n and \\r", () => {
    expect(cefValue("a=b\\c")).toBe("a\\=b\\\\c");
    expect(cefValue("one\r\ntwo\nthree\rfour")).toBe("one\\ntwo\\nthree\\rfour");
    expect(cefValue("a|b")).toBe("a|b");
    // A backslash before an n stays two characters apart from a line break.
    expect(cefValue("C:\\new\n")).toBe("C:\\\\new\\n");
  });

  it("applies both to a whole event: a hostile reason and target cannot forge fields or lines", () => {
    const r = actionRecord({ reason: "x=1 act=forged\nCEF:0|evil", target: "host|a\\b", type: "isolate_endpoint", status: "rejected" });
    expect(toCef(r)).toBe(
      "CEF:0|MDR|Response Actions|1.0|isolate_endpoint.rejected|isolate_endpoint rejected|5|" +
        `rt=${AT} externalId=action_event:12 cat=action_event act=isolate_endpoint outcome=rejected suser=token:soar ` +
        "msg=[Graph] connection refused reason=x\\=1 act\\=forged\\nCEF:0|evil cs1Label=actionId cs1=act_01JEXAMPLE0000000000000000 " +
        "cs2Label=tenantId cs2=8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d cs3Label=target cs3=host|a\\\\b cs4Label=provider cs4=graph " +
        "cs5Label=mode cs5=simulation",
    );
  });
});

describe("the forwarded forms of a record", () => {
  it("a failed action: severity 7, syslog warning (PRI 108), octet counted in bytes", () => {
    const message = toSyslogMessage(actionRecord({ message: "Zürich unreachable" }), "mdr-host", 4242)!;
    expect(message).toBe(
      "<108>1 2026-12-04T23:39:22.123Z mdr-host mdr-response-actions 4242 action_event - " +
        "CEF:0|MDR|Response Actions|1.0|disable_user.failed|disable_user failed|7|" +
        `rt=${AT} externalId=action_event:12 cat=action_event act=disable_user outcome=failed suser=token:soar msg=Zürich unreachable ` +
        "cs1Label=actionId cs1=act_01JEXAMPLE0000000000000000 cs2Label=tenantId cs2=8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d " +
        "cs3Label=target cs3=alice@contoso.com cs4Label=provider cs4=graph cs5Label=mode cs5=simulation",
    );
    // "ü" is two bytes: the count is of bytes, not characters.
    expect(octetCounted(message)).toBe(`${message.length + 1} ${message}`);
  });

  it("a security audit event: its actor, address, detail and subject; no label without its value", () => {
    const r: QueuedRecord = {
      seq: 8,
      source: "audit_event",
      recordId: 3,
      action: null,
      audit: { at: AT, event: "sign_in_failed", actor: "anonymous", subject: "alice", detail: { reason: "bad=password" }, ip: "203.0.113.9" },
      hash: null,
    };
    expect(toSyslogMessage(r, "h", 1)).toBe(
      "<109>1 2026-12-04T23:39:22.123Z h mdr-response-actions 1 audit_event - CEF:0|MDR|Response Actions|1.0|audit.sign_in_failed|sign_in_failed|5|" +
        `rt=${AT} externalId=audit_event:3 cat=audit_event act=sign_in_failed suser=anonymous src=203.0.113.9 ` +
        'msg={"reason":"bad\\=password"} cs3Label=subject cs3=alice',
    );
    expect(toCef({ ...r, audit: { ...r.audit!, event: "token_created", subject: null, detail: null, ip: null } })).toBe(
      `CEF:0|MDR|Response Actions|1.0|audit.token_created|token_created|3|rt=${AT} externalId=audit_event:3 cat=audit_event act=token_created suser=anonymous`,
    );
    expect(toHecEvent(r, "h")).toEqual({
      time: AT / 1000,
      host: "h",
      source: "mdr-response-actions",
      sourcetype: "mdr:audit",
      event: {
        id: "audit_event:3",
        kind: "audit_event",
        at: "2026-12-04T23:39:22.123Z",
        event: "sign_in_failed",
        actor: "anonymous",
        subject: "alice",
        detail: { reason: "bad=password" },
        ip: "203.0.113.9",
        hash: null,
      },
    });
  });

  it("carries the record's hash when the hash chain gives one (CEF cs6, HEC hash)", () => {
    const r = { ...actionRecord(), hash: "ab".repeat(32) };
    expect(toCef(r)).toMatch(new RegExp(` cs6Label=recordHash cs6=${"ab".repeat(32)}$`));
    expect((toHecEvent(r, "h")!.event as Record<string, unknown>).hash).toBe("ab".repeat(32));
  });

  it("a record gone from the log (pruned before it was forwarded) has no form", () => {
    const gone: QueuedRecord = { seq: 9, source: "action_event", recordId: 99, action: null, audit: null, hash: null };
    expect([toCef(gone), toSyslogMessage(gone), toHecEvent(gone)]).toEqual([undefined, undefined, undefined]);
  });
});

describe("retry backoff", () => {
  it("starts at 0.5 s and doubles up to the configured longest wait", () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => retryDelayMs(n, 5000))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe("the README's example", () => {
  it("is the frame the forwarder writes for that record", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const line = /^ {2}(\d+ <110>1 .*)$/m.exec(readme)?.[1];
    const record: QueuedRecord = {
      seq: 1,
      source: "action_event",
      recordId: 12,
      action: {
        id: "act_01KBSZ4Q5W3V8R2N6M0J7H1C9D",
        at: Date.parse("2026-12-04T10:21:07.415Z"),
        status: "pending",
        message: "Requested by token:soar-playbook",
        type: "block_ip",
        target: "185.220.101.34",
        tenantId: "8f3b2c1d-5e6f-4a7b-9c8d-0e1f2a3b4c5d",
        provider: "defender",
        mode: "live",
        requestedBy: "token:soar-playbook",
        reason: "Tor exit",
      },
      audit: null,
      hash: "9f1c2e7a4b5d6c8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
    };
    expect(line).toBe(octetCounted(toSyslogMessage(record, "mdr-01", 4242)!));
  });
});
