// Optional vitest globalSetup: makes the emulator certificate once, before any worker starts,
// and puts it in the environment the workers (and servers they spawn) inherit, so every test
// process trusts the emulator from its first line. Enable it in vitest.config.mts with
//   test: { globalSetup: ["tests/emulator/global-setup.ts"] }
// Without it, tests/unit/emulator.test.ts re-runs its TLS cases in a child that trusts the cert.
import fs from "node:fs";
import { certsFromEnv, makeCerts, processTrusts, trustEnv } from "./certs";

export default function setup(): () => void {
  const existing = certsFromEnv();
  if (existing && processTrusts(existing)) return () => {};
  const certs = makeCerts();
  // Set in the main process, so forked workers get it at start-up (vitest forks them after
  // globalSetup, copying process.env).
  Object.assign(process.env, trustEnv(certs));
  return () => fs.rmSync(certs.dir, { recursive: true, force: true });
}
