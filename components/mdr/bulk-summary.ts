// What a bulk's targets came to, in words: "12 addresses: 10 blocked, 2 queued". Shared by the toast
// of a bulk's answer and its progress panel.
import type { ActionStatus } from "@/lib/mdr/enums";
import { STATUS_LABELS } from "./labels";
import { type Noun, countOf } from "./target-list";

/** A target's outcome: its action's status, or `refused` when the API recorded no action for it. */
export type Outcome = ActionStatus | "refused";

/** The order outcomes are told in: done first, then what is under way, then what did not work. */
export const OUTCOMES: readonly Outcome[] = ["succeeded", "in_progress", "pending", "queued", "failed", "rejected", "refused"];

export function outcomeLabel(outcome: Outcome, done: string): string {
  if (outcome === "succeeded") return done;
  if (outcome === "refused") return "refused";
  return STATUS_LABELS[outcome].label.toLowerCase();
}

/** How many targets per outcome. */
export function countOutcomes(results: readonly { status: ActionStatus | null }[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const r of results) {
    const o: Outcome = r.status ?? "refused";
    counts[o] = (counts[o] ?? 0) + 1;
  }
  return counts;
}

export function bulkSummary(
  results: readonly { status: ActionStatus | null }[],
  noun: Noun,
  done: string,
): { title: string; tone: "success" | "info" | "warning" } {
  const counts = countOutcomes(results);
  const parts = OUTCOMES.filter((o) => counts[o]).map((o) => `${counts[o]} ${outcomeLabel(o, done)}`);
  const title = `${countOf(results.length, noun)}: ${parts.join(", ")}`;
  const bad = (counts.failed ?? 0) + (counts.rejected ?? 0) + (counts.refused ?? 0);
  const tone = bad > 0 ? "warning" : counts.succeeded === results.length ? "success" : "info";
  return { title, tone };
}
