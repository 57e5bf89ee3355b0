"use client";

// Everything the page's client islands share: theme, tooltips, toasts.
import { ThemeProvider } from "next-themes";
import dynamic from "next/dynamic";
import { type ReactNode, useEffect } from "react";
import { TooltipProvider } from "@/components/ui/tooltip";

// No toast can show before the first action ends: the toaster loads after the first paint.
const Toaster = dynamic(() => import("@/components/ui/sonner").then((m) => m.Toaster), { ssr: false });

export function AppProviders({ children, nonce }: { children: ReactNode; nonce?: string }) {
  // Marks the page interactive (children's effects run first): end-to-end tests wait for it.
  useEffect(() => {
    document.body.dataset.hydrated = "true";
  }, []);
  return (
    <ThemeProvider nonce={nonce} attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange>
      <TooltipProvider delayDuration={300}>
        {children}
        <Toaster />
      </TooltipProvider>
    </ThemeProvider>
  );
}
