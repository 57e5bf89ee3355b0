// Latency summaries, computed the same way for every figure of the benchmark.

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentile of unsorted samples (ms); NaN when there are none. */
export function percentile(samples: readonly number[], p: number, sorted = false): number {
  if (samples.length === 0) return Number.NaN;
  const s = sorted ? samples : [...samples].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

export function latency(samples: readonly number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50, true), p95: percentile(s, 95, true), p99: percentile(s, 99, true) };
}
