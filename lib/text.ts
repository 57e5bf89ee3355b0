// Characters that must not reach a timeline, a log line or the audit log as they are: control
// characters (CR/LF forge log lines, ESC drives terminals) and the bidirectional formatting
// characters (they reorder what a reader sees: "Trojan Source", CVE-2021-42574). Free of server
// code: the request schemas (and so the page's forms) use the same rule.
import { z } from "zod";

/** Bidi formatting: LRE RLE PDF LRO RLO (U+202A-E), LRI RLI FSI PDI (U+2066-9), LRM RLM, ALM. */
const BIDI = "\\u202A-\\u202E\\u2066-\\u2069\\u200E\\u200F\\u061C";

/** A control character: C0 (tab, CR and LF included), DEL, C1. */
export const CONTROL_CHAR_RE = /\p{Cc}/u;
export const BIDI_CHAR_RE = new RegExp(`[${BIDI}]`, "u");
const UNSAFE_GLOBAL_RE = new RegExp(`[\\p{Cc}${BIDI}]`, "gu");

export const CONTROL_CHAR_MESSAGE = "must not contain control characters";
export const BIDI_CHAR_MESSAGE =
  "must not contain bidirectional formatting characters (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C)";

/** Whether a text is free of control and bidi formatting characters. */
export function isSafeText(text: string): boolean {
  return !CONTROL_CHAR_RE.test(text) && !BIDI_CHAR_RE.test(text);
}

/**
 * The rule of every free-text field of the API (reasons, notes, search terms): one line, no
 * control character, no bidi formatting character; each refused with its own message.
 */
export function safeText<S extends z.ZodType<string>>(schema: S) {
  return schema
    .refine((s) => !CONTROL_CHAR_RE.test(s), CONTROL_CHAR_MESSAGE)
    .refine((s) => !BIDI_CHAR_RE.test(s), BIDI_CHAR_MESSAGE);
}

/**
 * A text that came from outside (an identity provider's error description, a provider's error
 * message) made safe to record and log: each control or bidi character written as `\uXXXX`.
 */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE_GLOBAL_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
