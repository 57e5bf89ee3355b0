import { ChevronDownIcon } from "lucide-react";
import type { ComponentProps } from "react";
import { cn } from "@/lib/utils";

/**
 * The browser's own <select>, styled like the inputs: keyboard, screen readers and mobile pickers
 * come with it, for none of the JavaScript a custom listbox needs. `className` sizes the box.
 */
export function NativeSelect({
  className,
  size = "default",
  ...props
}: Omit<ComponentProps<"select">, "size"> & { size?: "sm" | "default" }) {
  return (
    <div data-slot="native-select-wrapper" className={cn("relative w-full", className)}>
      <select
        data-slot="native-select"
        data-size={size}
        className={cn(
          "w-full cursor-pointer appearance-none truncate rounded-md border border-input bg-card pr-8 pl-3 text-sm text-foreground shadow-xs outline-none transition-colors",
          "data-[size=default]:h-9 data-[size=sm]:h-8 data-[size=sm]:text-xs",
          "focus-visible:border-ring focus-visible:ring-2 focus-visible:ring-ring/40 disabled:cursor-not-allowed disabled:opacity-50",
          "aria-invalid:border-danger",
        )}
        {...props}
      />
      <ChevronDownIcon
        className="pointer-events-none absolute top-1/2 right-2.5 size-4 -translate-y-1/2 opacity-60"
        aria-hidden
      />
    </div>
  );
}
