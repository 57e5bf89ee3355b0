"use client";

import type { CSSProperties } from "react";
import { useTheme } from "next-themes";
import { Toaster as Sonner, type ToasterProps } from "sonner";

// From 1024 px the page has an 18 rem sidebar on the right, 1 rem from the edge (app/mdr/page.tsx:
// lg:w-72, px-4): the toasts take exactly that column, so they never lie over a card's fields (at
// sonner's 356 px, 24 px in, they covered the right edge of the main column). Below 600 px sonner
// spans the width, as it always did.
const SIDEBAR_COLUMN = { "--width": "18rem" } as CSSProperties;

export function Toaster(props: ToasterProps) {
  const { resolvedTheme } = useTheme();
  return (
    <Sonner
      theme={resolvedTheme === "dark" ? "dark" : "light"}
      richColors
      closeButton
      position="bottom-right"
      offset={{ right: "1rem" }}
      style={SIDEBAR_COLUMN}
      containerAriaLabel="Notifications"
      toastOptions={{ classNames: { toast: "font-sans", description: "font-mono text-xs" } }}
      {...props}
    />
  );
}
