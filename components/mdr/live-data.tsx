"use client";

// Hands the server's first render of each read to SWR, so the first paint has real data and
// the islands poll from there.
import type { ReactNode } from "react";
import { SWRConfig } from "swr";
import { NowProvider } from "./time";

export function LiveData({ fallback, now, children }: { fallback: Record<string, unknown>; now: number; children: ReactNode }) {
  return (
    <SWRConfig value={{ fallback, revalidateOnFocus: true, dedupingInterval: 500 }}>
      <NowProvider initial={now}>{children}</NowProvider>
    </SWRConfig>
  );
}
