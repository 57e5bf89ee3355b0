"use client";

// Everything the page's client islands share: theme, tooltips, toasts.
import { ThemeProvider } from "next-themes";
import { type ReactNode, useEffect } from "react";
import { Toaster } from "@/components/ui/sonner";
import { TooltipProvider } from "@/components/ui/tooltip";

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
