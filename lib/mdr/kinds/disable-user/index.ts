// Disabling an account (and revoking its sessions) through Microsoft Graph, and enabling it again.
import "server-only";
import type { ActionRow } from "@/lib/db/schema";
import { disableGuard, disableUser } from "@/lib/mdr/kinds/disable-user/disable";
import { disableHolder } from "@/lib/mdr/kinds/disable-user/duplicates";
import { enableUser } from "@/lib/mdr/kinds/disable-user/enable";
import { DISABLE_USER } from "@/lib/mdr/kinds/disable-user/meta";
import { settleDisable, settleEnable } from "@/lib/mdr/kinds/disable-user/settle";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { DisableUserRequest, RevertRequest } from "@/lib/mdr/schemas";

const [DISABLE, ENABLE] = DISABLE_USER.kinds;

export const disableKind: ActionKind<DisableUserRequest> = {
  meta: DISABLE,
  request: DisableUserRequest,
  perform: (ctx, input) => disableUser({ ctx, input }),
  undo: enableUser,
  duplicate: disableHolder,
  guard: disableGuard,
  settle: settleDisable,
  background: {},
};

export const enableKind: ActionKind<{ original: ActionRow; reason: string | null }> = {
  meta: ENABLE,
  request: RevertRequest,
  perform: (ctx, { original, reason }) => enableUser(ctx, original, reason),
  undo: null,
  duplicate: null,
  guard: null,
  settle: settleEnable,
  background: {},
};
