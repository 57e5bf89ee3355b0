// What the page calls each closed value of the API: one place, so the table, the filters,
// the drawer and the toasts say the same thing.
import type { ActionStatus, ProviderName, QuarantineAction } from "@/lib/mdr/enums";
import { TYPE_LABELS } from "@/lib/mdr/kinds/catalog";
import type { FirewallType, IsolationType, Service } from "@/lib/mdr/providers/types";

export { TYPE_LABELS };

export type StatusTone = "neutral" | "info" | "success" | "danger" | "warning";

export const STATUS_LABELS: Record<ActionStatus, { label: string; tone: StatusTone }> = {
  pending: { label: "Pending", tone: "neutral" },
  in_progress: { label: "In progress", tone: "info" },
  succeeded: { label: "Succeeded", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  rejected: { label: "Rejected", tone: "warning" },
};

export const FINAL_STATUSES: readonly ActionStatus[] = ["succeeded", "failed", "rejected"];

export const PROVIDER_LABELS: Record<ProviderName, string> = {
  defender: "Defender",
  graph: "Graph",
  azure_nsg: "Azure NSG",
  aws_sg: "AWS NACL",
};

export const SERVICE_LABELS: Record<Service, string> = {
  defender: "Defender for Endpoint",
  graph: "Microsoft Graph",
  azure_nsg: "Azure NSG",
  aws: "AWS network ACL",
};

export const ISOLATION_LABELS: Record<IsolationType, { label: string; description: string }> = {
  Full: { label: "Full", description: "Cuts every connection except to Defender" },
  Selective: { label: "Selective", description: "Keeps Outlook, Teams and Skype working" },
  UnManagedDevice: { label: "Unmanaged device", description: "Contains it from managed devices" },
};

export const FIREWALL_LABELS: Record<FirewallType, { label: string; description: string }> = {
  defender: { label: "Defender indicator", description: "Single public IPs, on every onboarded device" },
  azure_nsg: { label: "Azure NSG", description: "Deny rule on the network security group" },
  aws_sg: { label: "AWS network ACL", description: "Deny entry on the VPC's network ACL" },
};

export const QUARANTINE_LABELS: Record<QuarantineAction, { label: string; description: string }> = {
  softDelete: { label: "Soft delete", description: "Recoverable: moved to Deleted Items" },
  hardDelete: { label: "Hard delete", description: "Permanent: cannot be restored" },
  moveToJunk: { label: "Move to Junk", description: "Moved to the Junk Email folder" },
};
