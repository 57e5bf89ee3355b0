"use client";

// One hook behind the four action forms: values as typed, field-by-field validation with the
// API's own zod schema (and the API's own error wording), submit once valid, and the server's
// problem+json mapped back onto the fields it names.
import { useEffect, useRef, useState } from "react";
import { useSWRConfig } from "swr";
import type { z } from "zod";
import { fieldErrors } from "@/lib/http/problem";
import type { Action, BulkResponse } from "@/lib/mdr/schemas";
import { ACTIONS_PATH, ApiError, METRICS_KEY, type ProblemBody, postAction } from "./api";
import { notifyAction, notifyBulk, notifyProblem } from "./notify";
import { type Schemas, loadSchemas } from "./schemas-loader";
import { type ItemError, type Noun, countOf, itemError, splitTargets } from "./target-list";

export type FormValues = Record<string, string | boolean>;
export type Candidate = NonNullable<ProblemBody["candidates"]>[number];

/**
 * A target field that also takes a list: sent as `field` (`ip`) when it holds one target, as
 * `bulkField` (`ips`) with the bulk request's schema when it holds more than one.
 */
export interface TargetList<V extends FormValues> {
  field: keyof V & string;
  bulkField: string;
  /** The request schema for a list (the single one is `schema`). */
  schema: (schemas: Schemas) => z.ZodType;
  noun: Noun;
  /** What the button says before the count, "Disable" (12 users), "Quarantine in" (30 mailboxes); and while sending. */
  verb: string;
  verbing: string;
  /** What a succeeded target of a bulk is called in its toast: "blocked". */
  done: string;
}

/** A bulk request the form sent: its answer, followed by the progress panel until dismissed. */
export interface SentBulk {
  answer: BulkResponse;
  noun: Noun;
  done: string;
}

export interface ActionFormOptions<V extends FormValues> {
  /** The request schema of the route for one target: the very one its handler parses with. */
  schema: (schemas: Schemas) => z.ZodType;
  /** API path to POST to. */
  path: string;
  initial: V;
  /** Fields in the order they appear: the first invalid one gets the focus. */
  fields: readonly (keyof V & string)[];
  /**
   * The JSON body for the current values (optional fields left out when empty), but for the list
   * field's targets, which the form adds (`list`: whether they are sent as a list).
   */
  toBody: (values: V, list: boolean) => Record<string, unknown>;
  /** Element id of a field, to focus it. */
  idOf: (field: string) => string;
  /** Fields cleared after a success (the target); the rest (reason, options) are kept for the next one. */
  clearOnSuccess: readonly (keyof V & string)[];
  /** The target field, when it takes a list. */
  list?: TargetList<V>;
}

/** What a check found: each field's first error (unmapped paths under ""), and the list's bad items. */
interface Found {
  fields: Record<string, string>;
  items: ItemError[];
}

/** "must be ..." -> "Must be ...": the API's fragments read as sentences under a field. */
export const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

export function useActionForm<V extends FormValues>(opts: ActionFormOptions<V>) {
  const [values, setValues] = useState<V>(opts.initial);
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [itemErrors, setItemErrors] = useState<ItemError[]>([]);
  const [bulk, setBulk] = useState<SentBulk | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [candidates, setCandidates] = useState<Candidate[] | null>(null);
  const [sending, setSending] = useState(false);
  const sendingRef = useRef(false);
  const { mutate } = useSWRConfig();

  useEffect(() => {
    void loadSchemas();
  }, []);

  /** The items of the list field for these values (none when the form has no list field). */
  const itemsOf = (v: V): string[] => (opts.list ? splitTargets(String(v[opts.list.field] ?? "")) : []);

  /** The request body for these values: the card's fields, and the list field's one target or its list. */
  const bodyOf = (v: V): Record<string, unknown> => {
    const { list, toBody } = opts;
    const items = itemsOf(v);
    if (!list) return toBody(v, false);
    if (items.length > 1) return { ...toBody(v, true), [list.bulkField]: items };
    return { ...toBody(v, false), ...(items.length === 1 ? { [list.field]: items[0] } : {}) };
  };

  /** The schema the route parses that body with: the bulk request's for a list. */
  const schemaOf = (s: Schemas, v: V): z.ZodType => (opts.list && itemsOf(v).length > 1 ? opts.list.schema(s) : opts.schema(s));

  /**
   * Errors of the API's paths, mapped onto the form's fields: `ips` and `ips.3` belong to the list
   * field, `ips.3` also to the list's item 4 (named in the message); other nested paths to their root.
   */
  const mapErrors = (errs: readonly { path: string; message: string }[], items: readonly string[]) => {
    const { fields, list } = opts;
    const known = fields as readonly string[];
    const found: Found = { fields: {}, items: [] };
    const elsewhere: { path: string; message: string }[] = [];
    for (const e of errs) {
      const [root, index] = e.path.split(".");
      if (list && root === list.bulkField) {
        if (index !== undefined && /^\d+$/.test(index)) found.items.push(itemError(list.bulkField, Number(index), items, e.message));
        else found.fields[list.field] ??= e.message;
        continue;
      }
      const field = known.includes(e.path) ? e.path : root!;
      if (known.includes(field)) found.fields[field] ??= e.message;
      else elsewhere.push(e);
    }
    if (list && found.items.length > 0) {
      const bad = new Set(found.items.map((i) => i.index)).size;
      found.fields[list.field] ??=
        `${bad} of ${countOf(items.length, list.noun)} cannot be sent: fix or remove ${bad === 1 ? "it" : "them"}`;
    }
    return { found, elsewhere };
  };

  /** Every field's first error for these values, keyed by field (unmapped paths under ""). */
  const check = async (v: V): Promise<Found> => {
    const { list } = opts;
    const schema = schemaOf(await loadSchemas(), v);
    const body = bodyOf(v);
    const parsed = schema.safeParse(body);
    if (parsed.success) return { fields: {}, items: [] };
    const items = itemsOf(v);
    const { found, elsewhere } = mapErrors(fieldErrors(parsed.error), items);
    if (elsewhere.length > 0) found.fields[""] = elsewhere[0]!.message;
    // The list's checks of the items together (repeats, what the firewall refuses) run only once
    // every item is valid: check the valid ones again, so that every bad item is named at once.
    if (list && found.items.length > 0 && Array.isArray(body[list.bulkField])) {
      const bad = new Set(found.items.map((i) => i.index));
      const keep = items.flatMap((_, i) => (bad.has(i) ? [] : [i]));
      const again = keep.length > 1 ? schema.safeParse({ ...body, [list.bulkField]: keep.map((i) => items[i]) }) : null;
      for (const e of again && !again.success ? fieldErrors(again.error) : []) {
        const [root, index] = e.path.split(".");
        if (root !== list.bulkField || index === undefined || !/^\d+$/.test(index)) continue;
        found.items.push(itemError(list.bulkField, Number(index), items, e.message, (n) => keep[n] ?? n));
      }
      found.items.sort((x, y) => x.index - y.index);
      const all = new Set(found.items.map((i) => i.index)).size;
      found.fields[list.field] = `${all} of ${countOf(items.length, list.noun)} cannot be sent: fix or remove ${all === 1 ? "it" : "them"}`;
    }
    return found;
  };

  /** The list's bad items as found, when the list field is among those shown. */
  const showItems = (found: Found, shown: readonly string[]) =>
    setItemErrors(opts.list && shown.includes(opts.list.field) ? found.items : []);

  const validateField = async (field: string, v: V) => {
    const found = await check(v);
    setErrors((prev) => {
      const next = { ...prev };
      if (found.fields[field]) next[field] = found.fields[field];
      else delete next[field];
      return next;
    });
    if (opts.list && field === opts.list.field) showItems(found, found.fields[field] ? [field] : []);
  };

  const setValue = <K extends keyof V & string>(field: K, value: V[K]) => {
    const next = { ...values, [field]: value };
    setValues(next);
    // A field showing an error is re-checked as it is corrected, and so is every other one that
    // shows an error, since one field can decide another's (an IP range is fine on an NSG only).
    const showing = Object.keys(errors);
    if (showing.length === 0) return;
    void check(next).then((found) => {
      const still = showing.filter((f) => found.fields[f]);
      setErrors(Object.fromEntries(still.map((f) => [f, found.fields[f]!])));
      showItems(found, still);
    });
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
    const fieldErrs = Object.fromEntries(Object.entries(found.fields).filter(([k]) => k !== ""));
    setErrors(fieldErrs);
    showItems(found, Object.keys(fieldErrs));
    setFormError(found.fields[""] ? sentence(found.fields[""]) : null);
    const first = fields.find((f) => found.fields[f]);
    if (first) focusField(first);
    return Object.keys(found.fields).length === 0;
  };

  const refreshLists = () =>
    mutate((key) => typeof key === "string" && (key.startsWith(ACTIONS_PATH) || key === METRICS_KEY));

  /** Sends the current values (with `override` applied to the body); resolves with the action, or the bulk's answer. */
  const send = async (override: Record<string, unknown> = {}): Promise<Action | BulkResponse | undefined> => {
    if (sendingRef.current) return undefined;
    sendingRef.current = true;
    setSending(true);
    setFormError(null);
    setCandidates(null);
    const { path, fields, clearOnSuccess, initial, list } = opts;
    const items = itemsOf(values);
    try {
      const answer = await postAction<Action | BulkResponse>(path, { ...bodyOf(values), ...override });
      if ("bulk_id" in answer) {
        const sent: SentBulk = { answer, noun: list!.noun, done: list!.done };
        notifyBulk(sent);
        setBulk(sent);
      } else {
        notifyAction(answer);
      }
      setErrors({});
      setItemErrors([]);
      setValues((prev) => {
        const next = { ...prev };
        for (const f of clearOnSuccess) next[f] = initial[f];
        return next;
      });
      void refreshLists();
      return answer;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const problem = err.problem;
      const { found, elsewhere } = mapErrors(problem?.errors ?? [], items);
      const onFields = found.fields;
      setErrors(onFields);
      showItems(found, Object.keys(onFields));
      const first = fields.find((f) => onFields[f]);
      if (first) focusField(first);
      if (problem?.candidates?.length) setCandidates(problem.candidates);
      const hasFieldErrors = Object.keys(onFields).length > 0;
      // The candidates say it better than the detail (which speaks to API callers of machine_id).
      const explained = hasFieldErrors || (problem?.candidates?.length ?? 0) > 0;
      setFormError(
        elsewhere.length > 0 ? sentence(elsewhere.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ")) : explained ? null : (problem?.detail ?? err.message),
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
  const dismissBulk = () => setBulk(null);

  /** What a text input needs for one string field: its value, and edits and blur wired to the form. */
  const input = <K extends keyof V & string>(field: K) => ({
    value: values[field] as string,
    onChange: (e: { target: { value: string } }) => setValue(field, e.target.value as V[K]),
    onBlur: () => blur(field),
  });

  return {
    values,
    setValue,
    input,
    errors,
    itemErrors,
    items: itemsOf(values),
    list: opts.list,
    blur,
    formError,
    candidates,
    dismissCandidates,
    bulk,
    dismissBulk,
    sending,
    validateAll,
    send,
  };
}

export type ActionForm<V extends FormValues> = ReturnType<typeof useActionForm<V>>;
