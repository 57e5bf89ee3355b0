// Disabling an account (and revoking its sessions) through Microsoft Graph, and enabling it again.
import "server-only";
import { disableBatch, disableGuard, disableUser, performDisable } from "@/lib/mdr/kinds/disable-user/disable";
import { disableHolder } from "@/lib/mdr/kinds/disable-user/duplicates";
import { enableBatch, enableSpec, enableUser, performEnable } from "@/lib/mdr/kinds/disable-user/enable";
import { DISABLE_USER } from "@/lib/mdr/kinds/disable-user/meta";
import { settleDisable, settleEnable } from "@/lib/mdr/kinds/disable-user/settle";
import { kindPair } from "@/lib/mdr/kinds/kind";
import { DisableUserRequest } from "@/lib/mdr/schemas";

export const [disableKind, enableKind] = kindPair(
  DISABLE_USER,
  {
    request: DisableUserRequest,
    perform: disableUser,
    undo: enableUser,
    duplicate: disableHolder,
    guard: disableGuard,
    settle: settleDisable,
    background: {},
    // Read the account, disable it, revoke its sessions: three calls, each a batch's operation.
    queue: { perform: performDisable, calls: 3, batch: disableBatch, undoSpec: enableSpec },
  },
  { settle: settleEnable, queue: { perform: performEnable, calls: 1, batch: enableBatch } },
);
