"use client";

// Relative times ("12s ago") that tick, with the exact UTC time on hover and focus. The first
// render uses the server's clock so the server's HTML and the first client render agree.
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { cn } from "@/lib/utils";

const NowContext = createContext<number>(0);

export function NowProvider({ initial, children }: { initial: number; children: ReactNode }) {
  const [now, setNow] = useState(initial);
  useEffect(() => {
    // Deferred by a tick: the first client render must match the server's HTML.
    const first = setTimeout(() => setNow(Date.now()), 0);
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearTimeout(first);
      clearInterval(id);
    };
  }, []);
  return <NowContext.Provider value={now}>{children}</NowContext.Provider>;
}

export const useNow = () => useContext(NowContext);

/** 2026-11-28 22:41:07 UTC: the same on every machine and in every locale. */
export function exactUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/**
 * A future time closer than this reads "just now": a row made a moment ago can carry a time a
 * little ahead of the browser's clock (the server's clock, a few ms to seconds apart), and must not
 * read "in 2s". Real future times (an expiry) are minutes to days away.
 */
export const CLOCK_SKEW_MS = 60_000;

export function relative(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  if (diff > 0 && diff < CLOCK_SKEW_MS) return "just now";
  const future = diff > 0;
  const s = Math.round(Math.abs(diff) / 1000);
  if (s < 5) return "just now";
  let text: string;
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}m`;
  else if (s < 86_400) text = `${Math.floor(s / 3600)}h`;
  else text = `${Math.floor(s / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** 1.6 s, 2 min 10 s, 3 h 5 min. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const now = useNow();
  return (
    <Tooltip>
      <TooltipTrigger asChild>
        <time
          dateTime={iso}
          className={cn(
            "cursor-default whitespace-nowrap tabular-nums underline decoration-dotted decoration-muted-foreground/50 underline-offset-2",
            className,
          )}
        >
          {relative(iso, now)}
          <span className="sr-only">, {exactUtc(iso)}</span>
        </time>
      </TooltipTrigger>
      <TooltipContent>{exactUtc(iso)}</TooltipContent>
    </Tooltip>
  );
}
