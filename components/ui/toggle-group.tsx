import { useId } from "react";
import { cn } from "@/lib/utils";

export interface ToggleOption {
  value: string;
  /** What the segment shows ("24 h"). */
  label: string;
  /** Its accessible name ("24 hours"). */
  name: string;
}

/**
 * One choice of a few, as joined segments: native radio buttons (arrow keys move between them, as
 * in any radio group). `value` may match none of them: then none is checked.
 */
export function ToggleGroup({
  label,
  options,
  value,
  onValueChange,
  className,
}: {
  label: string;
  options: readonly ToggleOption[];
  value: string | undefined;
  onValueChange: (value: string) => void;
  className?: string;
}) {
  const name = useId();
  return (
    <div
      role="radiogroup"
      aria-label={label}
      data-slot="toggle-group"
      className={cn("inline-flex w-fit items-center rounded-md border border-input bg-card shadow-xs", className)}
    >
      {options.map((o) => (
        <label
          key={o.value}
          data-slot="toggle-group-item"
          className={cn(
            "relative inline-flex h-8 min-w-10 cursor-pointer items-center justify-center px-2.5 text-xs font-medium transition-colors",
            "border-r border-input last:border-r-0 first:rounded-l-md last:rounded-r-md",
            "hover:bg-accent has-[:focus-visible]:z-10 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring",
            "has-[:checked]:bg-primary has-[:checked]:text-primary-foreground",
          )}
        >
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            onChange={() => onValueChange(o.value)}
            aria-label={o.name}
            // Over the whole segment, unseen: the radio itself is what is clicked and focused.
            className="absolute inset-0 cursor-pointer appearance-none rounded-[inherit] opacity-0"
          />
          <span aria-hidden className="pointer-events-none">
            {o.label}
          </span>
        </label>
      ))}
    </div>
  );
}
