import path from "node:path";

/** Where the admin's signed-in browser state for a server is kept (written by auth.setup.ts). */
export function adminState(baseURL: string): string {
  return path.join(process.env.MDR_E2E_DIR!, `admin-${new URL(baseURL).port}.json`);
}

/** The e2e servers' own database, for the CLI. */
export function e2eDbPath(name: "mdr" | "graph-down"): string {
  return path.join(process.env.MDR_E2E_DIR!, `${name}.db`);
}
