"use client";

// One hook behind the four action forms: values as typed, field-by-field validation with the
// API's own zod schema (and the API's own error wording), submit once valid, and the server's
// problem+json mapped back onto the fields it names.
import { useEffect, useRef, useState } from "react";
import { useSWRConfig } from "swr";
import type { z } from "zod";
import { fieldErrors } from "@/lib/http/problem";
import type { Action } from "@/lib/mdr/schemas";
import { ACTIONS_PATH, ApiError, METRICS_KEY, type ProblemBody, postAction } from "./api";
import { notifyAction, notifyProblem } from "./notify";
import { type Schemas, loadSchemas } from "./schemas-loader";

export type FormValues = Record<string, string | boolean>;
export type Candidate = NonNullable<ProblemBody["candidates"]>[number];

export interface ActionFormOptions<V extends FormValues> {
  /** The request schema of the route: the very one its handler parses with. */
  schema: (schemas: Schemas) => z.ZodType;
  /** API path to POST to. */
  path: string;
  initial: V;
  /** Fields in the order they appear: the first invalid one gets the focus. */
  fields: readonly (keyof V & string)[];
  /** The JSON body for the current values (optional fields left out when empty). */
  toBody: (values: V) => Record<string, unknown>;
  /** Element id of a field, to focus it. */
  idOf: (field: string) => string;
  /** Fields cleared after a success (the target); the rest (reason, options) are kept for the next one. */
  clearOnSuccess: readonly (keyof V & string)[];
}

/** "must be ..." -> "Must be ...": the API's fragments read as sentences under a field. */
export const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

export function useActionForm<V extends FormValues>(opts: ActionFormOptions<V>) {
  const [values, setValues] = useState<V>(opts.initial);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [candidates, setCandidates] = useState<Candidate[] | null>(null);
  const [sending, setSending] = useState(false);
  const sendingRef = useRef(false);
  const { mutate } = useSWRConfig();

  useEffect(() => {
    void loadSchemas();
  }, []);

  /** Every field's first error for these values, keyed by field (unmapped paths under ""). */
  const check = async (v: V): Promise<Record<string, string>> => {
    const { schema, toBody, fields } = opts;
    const parsed = schema(await loadSchemas()).safeParse(toBody(v));
    if (parsed.success) return {};
    const out: Record<string, string> = {};
    for (const e of fieldErrors(parsed.error)) {
      const field = (fields as readonly string[]).includes(e.path) ? e.path : "";
      out[field] ??= e.message;
    }
    return out;
  };

  const validateField = async (field: string, v: V) => {
    const found = await check(v);
    setErrors((prev) => {
      const next = { ...prev };
      if (found[field]) next[field] = found[field];
      else delete next[field];
      return next;
    });
  };

  const setValue = <K extends keyof V & string>(field: K, value: V[K]) => {
    const next = { ...values, [field]: value };
    setValues(next);
    // A field showing an error is re-checked as it is corrected, and so is every other one that
    // shows an error, since one field can decide another's (an IP range is fine on an NSG only).
    const showing = Object.keys(errors);
    if (showing.length === 0) return;
    void check(next).then((found) =>
      setErrors(Object.fromEntries(showing.filter((f) => found[f]).map((f) => [f, found[f]!]))),
    );
  };

  /** On leaving a field: check it, unless it was left empty (that is for submit to say). */
  const blur = (field: keyof V & string) => {
    const value = values[field];
    if (typeof value === "string" && value.trim() === "" && !errors[field]) return;
    void validateField(field, values);
  };

  const focusField = (field: string) => {
    const el = document.getElementById(opts.idOf(field));
    el?.focus();
  };

  /** Checks every field; shows the errors and focuses the first invalid field. */
  const validateAll = async (): Promise<boolean> => {
    const found = await check(values);
    const { fields } = opts;
    const fieldErrs = Object.fromEntries(Object.entries(found).filter(([k]) => k !== ""));
    setErrors(fieldErrs);
    setFormError(found[""] ? sentence(found[""]) : null);
    const first = fields.find((f) => found[f]);
    if (first) focusField(first);
    return Object.keys(found).length === 0;
  };

  const refreshLists = () =>
    mutate((key) => typeof key === "string" && (key.startsWith(ACTIONS_PATH) || key === METRICS_KEY));

  /** Sends the current values (with `override` applied to the body). */
  const send = async (override: Record<string, unknown> = {}): Promise<Action | undefined> => {
    if (sendingRef.current) return undefined;
    sendingRef.current = true;
    setSending(true);
    setFormError(null);
    setCandidates(null);
    const { path, toBody, fields, clearOnSuccess, initial } = opts;
    try {
      const action = await postAction(path, { ...toBody(values), ...override });
      notifyAction(action);
      setErrors({});
      setValues((prev) => {
        const next = { ...prev };
        for (const f of clearOnSuccess) next[f] = initial[f];
        return next;
      });
      void refreshLists();
      return action;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const problem = err.problem;
      const onFields: Record<string, string> = {};
      const elsewhere: string[] = [];
      for (const e of problem?.errors ?? []) {
        const field = (fields as readonly string[]).includes(e.path) ? e.path : e.path.split(".")[0]!;
        if ((fields as readonly string[]).includes(field)) onFields[field] ??= e.message;
        else elsewhere.push(e.path ? `${e.path}: ${e.message}` : e.message);
      }
      setErrors(onFields);
      const first = fields.find((f) => onFields[f]);
      if (first) focusField(first);
      if (problem?.candidates?.length) setCandidates(problem.candidates);
      const hasFieldErrors = Object.keys(onFields).length > 0;
      // The candidates say it better than the detail (which speaks to API callers of machine_id).
      const explained = hasFieldErrors || (problem?.candidates?.length ?? 0) > 0;
      setFormError(
        elsewhere.length > 0 ? sentence(elsewhere.join("; ")) : explained ? null : (problem?.detail ?? err.message),
      );
      // A refusal or failure the API recorded is an action too: say which, and show it in the table.
      if (problem?.action_id) {
        notifyProblem(problem);
        void refreshLists();
      }
      return undefined;
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  };

  const dismissCandidates = () => setCandidates(null);

  /** What a text input needs for one string field: its value, and edits and blur wired to the form. */
  const input = <K extends keyof V & string>(field: K) => ({
    value: values[field] as string,
    onChange: (e: { target: { value: string } }) => setValue(field, e.target.value as V[K]),
    onBlur: () => blur(field),
  });

  return { values, setValue, input, errors, blur, formError, candidates, dismissCandidates, sending, validateAll, send };
}

export type ActionForm<V extends FormValues> = ReturnType<typeof useActionForm<V>>;
