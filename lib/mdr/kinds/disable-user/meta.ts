// Disabling an account and enabling it again, as the page and the API's documents see them (client-safe).
import { kindFolder } from "@/lib/mdr/kinds/meta";

export const DISABLE_USER = kindFolder(
  {
    type: "disable_user",
    label: "Disable user",
    route: {
      path: "/api/v1/mdr/disable-user",
      summary: "Disable a user and revoke their sessions",
      body: "DisableUserRequest",
      bulk: { schema: "BulkDisableUserRequest", field: "upns" },
    },
    undo: {
      type: "enable_user",
      label: "Re-enable user",
      consequence: "The account can sign in again with its existing credentials.",
      refusesInEffect: (action) =>
        action.result?.was_enabled === false
          ? "the account was already disabled before this action: enabling it would undo more than this action did"
          : null,
    },
    contained: { key: "disabled_users" },
  },
  { type: "enable_user", label: "Enable user" },
);
