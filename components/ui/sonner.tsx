"use client";

import { useTheme } from "next-themes";
import { Toaster as Sonner, type ToasterProps } from "sonner";

export function Toaster(props: ToasterProps) {
  const { resolvedTheme } = useTheme();
  return (
    <Sonner
      theme={resolvedTheme === "dark" ? "dark" : "light"}
      richColors
      closeButton
      position="bottom-right"
      containerAriaLabel="Notifications"
      toastOptions={{ classNames: { toast: "font-sans", description: "font-mono text-xs" } }}
      {...props}
    />
  );
}
