// What the page calls each closed value of the API: one place, so the table, the filters,
// the drawer and the toasts say the same thing.
import type { ActionStatus, QuarantineAction } from "@/lib/mdr/enums";
import { TYPE_LABELS } from "@/lib/mdr/kinds/catalog";
import {
  FIREWALL_TYPES,
  type FirewallType,
  firewallFacts,
  type ProviderName,
  perService,
  type Service,
  SERVICE_FACTS,
} from "@/lib/mdr/providers/facts";
import type { IsolationType } from "@/lib/mdr/providers/types";

export { TYPE_LABELS };

export type StatusTone = "neutral" | "info" | "success" | "danger" | "warning";

export const STATUS_LABELS: Record<ActionStatus, { label: string; tone: StatusTone }> = {
  queued: { label: "Queued", tone: "neutral" },
  pending: { label: "Pending", tone: "neutral" },
  in_progress: { label: "In progress", tone: "info" },
  succeeded: { label: "Succeeded", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  rejected: { label: "Rejected", tone: "warning" },
};

export const FINAL_STATUSES: readonly ActionStatus[] = ["succeeded", "failed", "rejected"];

// The outside systems' names are their facts (lib/mdr/providers/<system>/facts.ts).
export const PROVIDER_LABELS = Object.fromEntries(Object.values(SERVICE_FACTS).map((f) => [f.provider, f.names.table])) as Record<
  ProviderName,
  string
>;

export const SERVICE_LABELS: Record<Service, string> = perService((_, f) => f.names.title);

export const ISOLATION_LABELS: Record<IsolationType, { label: string; description: string }> = {
  Full: { label: "Full", description: "Cuts every connection except to Defender" },
  Selective: { label: "Selective", description: "Keeps Outlook, Teams and Skype working" },
  UnManagedDevice: { label: "Unmanaged device", description: "Contains it from managed devices" },
};

export const FIREWALL_LABELS = Object.fromEntries(FIREWALL_TYPES.map((t) => [t, firewallFacts(t).choice])) as Record<
  FirewallType,
  { label: string; description: string }
>;

export const QUARANTINE_LABELS: Record<QuarantineAction, { label: string; description: string }> = {
  softDelete: { label: "Soft delete", description: "Recoverable: moved to Deleted Items" },
  hardDelete: { label: "Hard delete", description: "Permanent: cannot be restored" },
  moveToJunk: { label: "Move to Junk", description: "Moved to the Junk Email folder" },
};
