// Isolation of a device through Defender for Endpoint, and its release.
import "server-only";
import { kindPair } from "@/lib/mdr/kinds/kind";
import { isolationDuplicate } from "@/lib/mdr/kinds/isolate-endpoint/duplicates";
import { isolateEndpoint, isolationGuard, performIsolation } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { ISOLATE_ENDPOINT } from "@/lib/mdr/kinds/isolate-endpoint/meta";
import { pollMachineActions } from "@/lib/mdr/kinds/isolate-endpoint/poll";
import { performRelease, releaseEndpoint, releaseSpec } from "@/lib/mdr/kinds/isolate-endpoint/release";
import { settleMachineAction } from "@/lib/mdr/kinds/isolate-endpoint/settle";
import { IsolateRequest } from "@/lib/mdr/schemas";

export const [isolateKind, releaseKind] = kindPair(
  ISOLATE_ENDPOINT,
  {
    request: IsolateRequest,
    // Resolves the device at Defender, then isolates it; the machine action runs on there.
    perform: isolateEndpoint,
    undo: releaseEndpoint,
    // The isolation holding the device by any name it is known by (asked again once Defender resolved it).
    duplicate: isolationDuplicate,
    guard: isolationGuard,
    settle: (ctx, row) => settleMachineAction(ctx, row, true),
    // One poll follows both the isolations and the releases in progress at Defender.
    background: { poll: pollMachineActions },
    queue: { perform: performIsolation, calls: 1, undoSpec: releaseSpec },
  },
  { settle: (ctx, row) => settleMachineAction(ctx, row, false), queue: { perform: performRelease, calls: 1 } },
);
