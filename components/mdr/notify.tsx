"use client";

// The toast an action ends with: its id and status, so the analyst can quote it. The toast library
// is the toaster's (loaded after the first paint, components/mdr/app-providers.tsx), fetched on use.
import { blockCaveat } from "@/lib/mdr/kinds/block-ip/meta";
import type { Action } from "@/lib/mdr/schemas";
import type { ProblemBody } from "./api";
import { bulkSummary } from "./bulk-summary";
import { STATUS_LABELS, TYPE_LABELS } from "./labels";
import type { SentBulk } from "./use-action-form";

function Description({ id, status, detail }: { id: string; status: string; detail?: string }) {
  return (
    <span className="flex flex-col gap-0.5">
      <span>
        <span className="font-mono">{id}</span> · <span className="font-sans font-medium">{status}</span>
      </span>
      {detail && <span className="font-sans">{detail}</span>}
    </span>
  );
}

const toaster = () => import("sonner").then((m) => m.toast);

/** What a done action does not promise: a block devices enforce later says when and how they do. */
function caveatOf(action: Action): string | undefined {
  const caveat = blockCaveat(action);
  return caveat && `Submitted: ${caveat}.`;
}

export function notifyAction(action: Action) {
  const status = STATUS_LABELS[action.status].label;
  const title = `${TYPE_LABELS[action.type]}: ${action.target}`;
  const description = <Description id={action.id} status={status} detail={caveatOf(action)} />;
  const opts = { description, testId: "action-toast", duration: 8000 };
  void toaster().then((toast) => {
    if (action.status === "succeeded") toast.success(title, opts);
    else if (action.status === "failed") toast.error(title, opts);
    else toast.info(title, opts);
  });
}

export function notifyProblem(problem: ProblemBody) {
  const status = problem.action_status ? STATUS_LABELS[problem.action_status].label : problem.title;
  const detail = problem.candidates?.length
    ? `${problem.candidates.length} devices match: pick one in the Isolate endpoint card.`
    : problem.detail;
  const opts = {
    description: <Description id={problem.action_id ?? ""} status={status} detail={detail} />,
    testId: "action-toast",
    duration: 10_000,
  };
  // Refused (nothing changed) is a warning; failed (attempted, did not work) is an error.
  void toaster().then((toast) => {
    if (problem.action_status === "rejected") toast.warning(problem.title, opts);
    else toast.error(problem.title, opts);
  });
}

/** A list's answer: "12 addresses: 10 blocked, 2 queued", with the bulk's id to quote. */
export function notifyBulk({ answer, noun, done }: SentBulk) {
  const { title, tone } = bulkSummary(answer.results, noun, done);
  const opts = {
    description: <Description id={answer.bulk_id} status="Progress below the card" />,
    testId: "action-toast",
    duration: 10_000,
  };
  void toaster().then((toast) => toast[tone](title, opts));
}
