// The benchmark's one table: each figure beside its budget, and BENCHMARKS.md around it.
import os from "node:os";

export interface TableRow {
  what: string;
  figure: string;
  budget: string;
  /** undefined: no budget for this figure. */
  pass?: boolean;
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  node: string;
  next: string;
  sqlite: string;
  betterSqlite3: string;
  date: string;
  loadBefore: number[];
  loadAfter: number[];
}

export const ms = (v: number): string => (Number.isNaN(v) ? "n/a" : v < 10 ? v.toFixed(2) : v.toFixed(1));
export const int = (v: number): string => Math.round(v).toLocaleString("en-US");
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
export const kb = (bytes: number): string => `${(bytes / 1e3).toFixed(1)} kB`;

export function verdict(row: TableRow): string {
  if (row.pass === undefined) return "";
  return row.pass ? "pass" : "**FAIL**";
}

export function markdownTable(rows: TableRow[]): string {
  const lines = ["| what | measured | budget | result |", "| --- | --- | --- | --- |"];
  for (const r of rows) lines.push(`| ${r.what} | ${r.figure} | ${r.budget || "—"} | ${verdict(r)} |`);
  return lines.join("\n");
}

export function machineLines(m: Machine): string[] {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  return [
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM; load average (1/5/15 min) ${load(m.loadBefore)} before, ${load(m.loadAfter)} after`,
    `- Node ${m.node}, Next.js ${m.next}, SQLite ${m.sqlite} (better-sqlite3 ${m.betterSqlite3})`,
    `- Date: ${m.date}`,
  ];
}

export function loadNote(m: Machine): string | undefined {
  const busiest = Math.max(...m.loadBefore.slice(0, 1), ...m.loadAfter.slice(0, 2));
  // The benchmark itself keeps about two cores busy; more than that is someone else's work.
  return busiest > m.cores + 0.5 || m.loadBefore[0]! > 0.5
    ? `The machine was shared while this ran (load average up to ${busiest.toFixed(2)} on ${m.cores} cores, ${m.loadBefore[0]!.toFixed(2)} before the benchmark started): throughput and tail latencies are lower than on an idle machine.`
    : undefined;
}

export function hostRamGb(): number {
  return Math.round(os.totalmem() / 2 ** 30);
}
