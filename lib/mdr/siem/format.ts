// What a SIEM receives for each audit record: a CEF event in an RFC 5424 syslog message, framed by
// octet counting (RFC 6587) for TCP and TLS; a Splunk HTTP Event Collector JSON event.
// Pure functions: the same record always gives the same bytes.
import os from "node:os";
import type { QueuedRecord } from "@/lib/db/queries/siem";

export const VENDOR = "MDR";
export const PRODUCT = "Response Actions";
export const PRODUCT_VERSION = "1.0";
/** RFC 5424 APP-NAME, and the HEC `source`. */
export const APP_NAME = "mdr-response-actions";
export const HEC_SOURCETYPE = "mdr:audit";
/** RFC 5424 facility 13, "log audit". */
const FACILITY = 13;

/** The record's id as receivers see it, stable across retries: what a receiver dedupes on. */
export const recordId = (r: Pick<QueuedRecord, "source" | "recordId">) => `${r.source}:${r.recordId}`;

/** CEF header field: backslash and pipe escaped; a header may not span lines, so line breaks become spaces. */
export function cefHeader(text: string): string {
  return text.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r\n|\r|\n/g, " ");
}

/** CEF extension value: backslash and equals sign escaped, line breaks written as \n and \r. */
export function cefValue(text: string): string {
  return text
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r\n|\n/g, "\\n")
    .replace(/\r/g, "\\r");
}

/** Security audit events that are someone being refused: a SIEM should look at them first. */
const REFUSALS = new Set(["sign_in_failed", "sign_in_throttled", "tenant_refused"]);

/** CEF severity (0-10): a failed action 7, a refusal 5, the rest 3. */
function cefSeverity(r: QueuedRecord): number {
  if (r.action) return r.action.status === "failed" ? 7 : r.action.status === "rejected" ? 5 : 3;
  return r.audit && REFUSALS.has(r.audit.event) ? 5 : 3;
}

/** The syslog severity matching a CEF severity: 7 warning (4), 5 notice (5), 3 informational (6). */
const syslogSeverity = (cef: number) => (cef >= 7 ? 4 : cef >= 5 ? 5 : 6);

type Extension = [key: string, value: string | number | null | undefined];

/** The record as a CEF event; undefined when the record is no longer in the log. */
export function toCef(r: QueuedRecord): string | undefined {
  let signature: string;
  let name: string;
  let ext: Extension[];
  if (r.action) {
    const a = r.action;
    signature = `${a.type}.${a.status}`;
    name = `${a.type} ${a.status}`;
    ext = [
      ["rt", a.at],
      ["externalId", recordId(r)],
      ["cat", r.source],
      ["act", a.type],
      ["outcome", a.status],
      ["suser", a.requestedBy],
      ["msg", a.message],
      ["reason", a.reason],
      ["cs1Label", "actionId"],
      ["cs1", a.id],
      ["cs2Label", "tenantId"],
      ["cs2", a.tenantId],
      ["cs3Label", "target"],
      ["cs3", a.target],
      ["cs4Label", "provider"],
      ["cs4", a.provider],
      ["cs5Label", "mode"],
      ["cs5", a.mode],
    ];
  } else if (r.audit) {
    const e = r.audit;
    signature = `audit.${e.event}`;
    name = e.event;
    ext = [
      ["rt", e.at],
      ["externalId", recordId(r)],
      ["cat", r.source],
      ["act", e.event],
      ["suser", e.actor],
      ["src", e.ip],
      ["msg", e.detail === null ? null : JSON.stringify(e.detail)],
      ["cs3Label", "subject"],
      ["cs3", e.subject],
    ];
  } else return undefined;
  // The record's hash in the audit hash chain (QueuedRecord.hash).
  if (r.hash !== null) ext.push(["cs6Label", "recordHash"], ["cs6", r.hash]);
  const extension = ext
    .filter(([key, value], i) => value !== null && value !== undefined && !(key.endsWith("Label") && (ext[i + 1]?.[1] ?? null) === null))
    .map(([key, value]) => `${key}=${cefValue(String(value))}`)
    .join(" ");
  return `CEF:0|${[VENDOR, PRODUCT, PRODUCT_VERSION, signature, name].map(cefHeader).join("|")}|${cefSeverity(r)}|${extension}`;
}

/** RFC 5424 HOSTNAME: printable US-ASCII, at most 255 characters, "-" when unknown. */
export function syslogHostname(name = os.hostname()): string {
  const clean = name.replace(/[^\x21-\x7e]/g, "").slice(0, 255);
  return clean === "" ? "-" : clean;
}

/** One RFC 5424 message carrying the record's CEF event (MSGID: the record's kind). */
export function toSyslogMessage(r: QueuedRecord, host = syslogHostname(), pid = process.pid): string | undefined {
  const cef = toCef(r);
  const at = r.action?.at ?? r.audit?.at;
  if (cef === undefined || at === undefined) return undefined;
  const pri = FACILITY * 8 + syslogSeverity(cefSeverity(r));
  return `<${pri}>1 ${new Date(at).toISOString()} ${host} ${APP_NAME} ${pid} ${r.source} - ${cef}`;
}

/** Octet-counting framing (RFC 6587 3.4.1): the message's length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message, "utf8")} ${message}`;
}

/** The record as a Splunk HEC event (one object of a batch); undefined when the record is gone. */
export function toHecEvent(r: QueuedRecord, host = syslogHostname()): Record<string, unknown> | undefined {
  let event: Record<string, unknown>;
  let at: number;
  if (r.action) {
    const a = r.action;
    at = a.at;
    event = {
      id: recordId(r),
      kind: r.source,
      at: new Date(a.at).toISOString(),
      action_id: a.id,
      type: a.type,
      status: a.status,
      message: a.message,
      target: a.target,
      tenant_id: a.tenantId,
      provider: a.provider,
      mode: a.mode,
      requested_by: a.requestedBy,
      reason: a.reason,
      // The record's hash in the audit hash chain (QueuedRecord.hash).
      hash: r.hash,
    };
  } else if (r.audit) {
    const e = r.audit;
    at = e.at;
    event = {
      id: recordId(r),
      kind: r.source,
      at: new Date(e.at).toISOString(),
      event: e.event,
      actor: e.actor,
      subject: e.subject,
      detail: e.detail,
      ip: e.ip,
      hash: r.hash,
    };
  } else return undefined;
  return { time: at / 1000, host, source: APP_NAME, sourcetype: HEC_SOURCETYPE, event };
}
