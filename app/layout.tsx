import { GeistMono } from "geist/font/mono";
import { GeistSans } from "geist/font/sans";
import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { AppProviders } from "@/components/mdr/app-providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "MDR Response Actions",
  description: "Isolate endpoints, block IPs, disable users and quarantine email — with an audit log.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Set by proxy.ts: the theme's inline script runs under the page's Content-Security-Policy.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    // next-themes sets the theme class on <html> before hydration.
    <html lang="en" suppressHydrationWarning className={`${GeistSans.variable} ${GeistMono.variable}`}>
      <body className="min-h-screen font-sans">
        <AppProviders nonce={nonce}>{children}</AppProviders>
      </body>
    </html>
  );
}
