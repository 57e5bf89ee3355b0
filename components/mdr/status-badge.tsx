import { BanIcon, CircleCheckIcon, CircleDashedIcon, CircleXIcon, HourglassIcon, LoaderCircleIcon } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { ActionStatus } from "@/lib/mdr/enums";
import { STATUS_LABELS } from "./labels";

const ICONS: Record<ActionStatus, typeof BanIcon> = {
  queued: HourglassIcon,
  pending: CircleDashedIcon,
  in_progress: LoaderCircleIcon,
  succeeded: CircleCheckIcon,
  failed: CircleXIcon,
  rejected: BanIcon,
};

/** Status as icon and text, coloured: never colour alone. */
export function StatusBadge({ status }: { status: ActionStatus }) {
  const { label, tone } = STATUS_LABELS[status];
  const Icon = ICONS[status];
  return (
    <Badge variant={tone} data-testid="status-badge" data-status={status}>
      <Icon className={status === "in_progress" ? "animate-spin [animation-duration:2s]" : undefined} aria-hidden />
      {label}
    </Badge>
  );
}
