"use client";

// One hook behind the admin forms: values as typed, checked with the route's own zod schema
// (loaded after the first paint) before anything is sent, and the server's problem+json mapped
// back onto the fields it names.
import { useEffect, useRef, useState } from "react";
import type { z } from "zod";
import { ApiError } from "@/components/mdr/api";
import { sentence } from "@/components/mdr/use-action-form";
import { fieldErrors } from "@/lib/http/problem";

export type AdminSchemas = typeof import("./admin-schemas");

let loading: Promise<AdminSchemas> | null = null;
const loadSchemas = () => (loading ??= import("./admin-schemas"));

export interface AdminFormOptions<V extends Record<string, string>> {
  /** The request schema of the route. */
  schema: (schemas: AdminSchemas) => z.ZodType;
  initial: V;
  /** Fields in the order they appear: the first invalid one gets the focus. */
  fields: readonly (keyof V & string)[];
  /** The JSON body for the current values. */
  toBody: (values: V) => Record<string, unknown>;
  /** The form field a path of the body (or of the API's errors) belongs to, when not the same name. */
  fieldOf?: (path: string) => string;
  /** Checks the schema cannot make (a field that is not part of the body as such). */
  extraCheck?: (values: V) => Partial<Record<keyof V & string, string>>;
  idOf: (field: string) => string;
}

export function useAdminForm<V extends Record<string, string>>(opts: AdminFormOptions<V>) {
  const [values, setValues] = useState<V>(opts.initial);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  // Set at once (state updates wait for a render): a double click sends one request.
  const sendingRef = useRef(false);

  useEffect(() => {
    void loadSchemas();
  }, []);

  const fieldOf = (path: string) => {
    const field = opts.fieldOf?.(path) ?? path.split(".")[0]!;
    return (opts.fields as readonly string[]).includes(field) ? field : "";
  };

  /** Every field's first error for these values; errors of no field under "". */
  const check = async (v: V): Promise<Record<string, string>> => {
    const out: Record<string, string> = { ...(opts.extraCheck?.(v) as Record<string, string> | undefined) };
    for (const key of Object.keys(out)) if (!out[key]) delete out[key];
    const parsed = opts.schema(await loadSchemas()).safeParse(opts.toBody(v));
    if (!parsed.success) for (const e of fieldErrors(parsed.error)) out[fieldOf(e.path)] ??= e.message;
    return out;
  };

  const focus = (field: string) => document.getElementById(opts.idOf(field))?.focus();

  const setValue = (field: keyof V & string, value: string) => {
    const next = { ...values, [field]: value };
    setValues(next);
    // Errors showing are re-checked as they are corrected.
    const showing = Object.keys(errors);
    if (showing.length === 0) return;
    void check(next).then((found) => setErrors(Object.fromEntries(showing.filter((f) => found[f]).map((f) => [f, found[f]!]))));
  };

  /** What a text input needs: its value, and edits and blur wired to the form. */
  const input = (field: keyof V & string) => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) => setValue(field, e.target.value),
    onBlur: () => {
      if ((values[field] ?? "").trim() === "" && !errors[field]) return;
      void check(values).then((found) =>
        setErrors((prev) => {
          const next = { ...prev };
          if (found[field]) next[field] = found[field];
          else delete next[field];
          return next;
        }),
      );
    },
  });

  /**
   * Checks every field, then sends: resolves with the answer, or undefined when nothing was sent
   * or the server refused (its errors then shown on their fields, or above the button).
   */
  const submit = async <T>(send: (body: Record<string, unknown>) => Promise<T>): Promise<T | undefined> => {
    if (sendingRef.current) return undefined;
    sendingRef.current = true;
    try {
      const found = await check(values);
      const { "": general, ...onFields } = found;
      setErrors(onFields);
      setFormError(general ? sentence(general) : null);
      const first = opts.fields.find((f) => onFields[f]);
      if (first) focus(first);
      if (Object.keys(found).length > 0) return undefined;
      setSending(true);
      const answer = await send(opts.toBody(values));
      setValues(opts.initial);
      setErrors({});
      return answer;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const mapped: Record<string, string> = {};
      const elsewhere: string[] = [];
      for (const e of err.problem?.errors ?? []) {
        const field = fieldOf(e.path);
        if (field) mapped[field] ??= e.message;
        else elsewhere.push(e.path ? `${e.path}: ${e.message}` : e.message);
      }
      setErrors(mapped);
      const firstBad = opts.fields.find((f) => mapped[f]);
      if (firstBad) focus(firstBad);
      setFormError(
        elsewhere.length > 0
          ? sentence(elsewhere.join("; "))
          : Object.keys(mapped).length > 0
            ? null
            : (err.problem?.detail ?? err.message),
      );
      return undefined;
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  };

  return { values, setValue, input, errors, formError, sending, submit };
}
