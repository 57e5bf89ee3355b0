export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}
export declare const VITEST_SUITES: string[];
export declare function suiteOf(file: string, root: string): string;
export declare function countVitest(report: unknown, root: string): Record<string, Counts>;
export declare function countPlaywright(report: unknown): Counts;
export declare function summaryLines(
  suites: { name: string; passed?: number; failed?: number; skipped?: number; notRun?: string }[],
  seconds: number,
): [string, string];
