"use client";

// The target field of a card that takes one target or a list (the form's `list` field): a text area
// one line high that grows with what it holds (a pasted list keeps its lines), Enter sends as in the
// other fields (Shift+Enter adds a line). Under it: how many targets it holds, and each item the
// API's own item schema refuses, named.
import { CircleAlertIcon } from "lucide-react";
import type { KeyboardEvent } from "react";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { countOf } from "./target-list";
import { type ActionForm, type FormValues, sentence } from "./use-action-form";

/** Item errors listed at most; the rest are counted. */
const SHOWN_ITEMS = 10;

/** What the hint adds: that the field takes a list too. */
const LIST_HINT = "Or paste a list: one per line, or separated by commas or spaces (up to 500)";

export function TargetListField<V extends FormValues>({
  form,
  id,
  label,
  hint,
  placeholder,
  className,
}: {
  /** The card's form: its list field is this one. */
  form: ActionForm<V>;
  id: string;
  label: string;
  /** About one target; the field's hint goes on to say it takes a list. */
  hint: string;
  placeholder: string;
  className?: string;
}) {
  if (!form.list) throw new Error(`${id}: the form has no list field`);
  const { noun, field } = form.list;
  const count = form.items.length;
  const input = form.input(field);
  const error = form.errors[field];
  const itemErrors = form.itemErrors;
  const described = [error ? `${id}-error` : `${id}-hint`, count > 1 ? `${id}-count` : null].filter(Boolean).join(" ");
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key !== "Enter" || e.shiftKey || e.nativeEvent.isComposing) return;
    e.preventDefault();
    e.currentTarget.form?.requestSubmit();
  };
  return (
    <div className="flex min-w-0 flex-col gap-1.5" data-field={id}>
      <div className="flex items-baseline justify-between gap-2">
        <Label htmlFor={id}>{label}</Label>
        {count > 1 && (
          <span id={`${id}-count`} data-testid={`${id}-count`} className="text-xs font-medium tabular-nums text-foreground">
            {countOf(count, noun)}
          </span>
        )}
      </div>
      <Textarea
        id={id}
        {...input}
        onKeyDown={onKeyDown}
        rows={1}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        className={`field-sizing-content max-h-48 min-h-9 resize-none py-1.5 font-mono ${className ?? ""}`}
      />
      {error ? (
        <div id={`${id}-error`} data-testid={`${id}-error`} className="flex flex-col gap-1 text-xs text-danger">
          <p className="flex items-start gap-1">
            <CircleAlertIcon className="mt-px size-3.5 shrink-0" aria-hidden />
            <span>{sentence(error)}</span>
          </p>
          {itemErrors.length > 0 && (
            <ul className="ml-4.5 flex flex-col gap-0.5">
              {itemErrors.slice(0, SHOWN_ITEMS).map((e) => (
                <li key={`${e.index} ${e.message}`} data-testid={`${id}-item-error`}>
                  <span className="font-mono font-medium break-all">{e.item}</span> (item {e.index + 1}): {e.message}
                </li>
              ))}
              {itemErrors.length > SHOWN_ITEMS && <li>and {itemErrors.length - SHOWN_ITEMS} more</li>}
            </ul>
          )}
        </div>
      ) : (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}. {LIST_HINT}
        </p>
      )}
    </div>
  );
}
