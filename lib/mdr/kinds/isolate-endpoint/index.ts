// Isolation of a device through Defender for Endpoint, and its release.
import "server-only";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { isolationDuplicate } from "@/lib/mdr/kinds/isolate-endpoint/duplicates";
import { isolateEndpoint, isolationGuard } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { ISOLATE_ENDPOINT } from "@/lib/mdr/kinds/isolate-endpoint/meta";
import { pollMachineActions } from "@/lib/mdr/kinds/isolate-endpoint/poll";
import { releaseEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/release";
import { settleMachineAction } from "@/lib/mdr/kinds/isolate-endpoint/settle";
import { IsolateRequest, RevertRequest } from "@/lib/mdr/schemas";
import type { ActionRow } from "@/lib/db/schema";

const [ISOLATE, RELEASE] = ISOLATE_ENDPOINT.kinds;

export const isolateKind: ActionKind<IsolateRequest> = {
  meta: ISOLATE,
  request: IsolateRequest,
  perform: (ctx, input) => isolateEndpoint({ ctx, input }),
  undo: releaseEndpoint,
  duplicate: isolationDuplicate,
  guard: isolationGuard,
  settle: (ctx, row) => settleMachineAction(ctx, row, true),
  // One poll follows both the isolations and the releases in progress at Defender.
  background: { poll: pollMachineActions },
};

export const releaseKind: ActionKind<{ original: ActionRow; reason: string | null }> = {
  meta: RELEASE,
  request: RevertRequest,
  perform: (ctx, { original, reason }) => releaseEndpoint(ctx, original, reason),
  undo: null,
  duplicate: null,
  guard: null,
  settle: (ctx, row) => settleMachineAction(ctx, row, false),
  background: {},
};
