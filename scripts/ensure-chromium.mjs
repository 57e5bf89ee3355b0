// Playwright cannot download its browser here: it drives Debian's Chromium (/usr/bin/chromium,
// or $CHROMIUM_PATH). When it is missing: as root, install it with apt-get; otherwise say how.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const DEFAULT_PATH = "/usr/bin/chromium";
const INSTALL = "apt-get update && apt-get install -y --no-install-recommends chromium";

/** The Chromium binary to use, or null after printing what to do. */
export function ensureChromium() {
  const wanted = process.env.CHROMIUM_PATH || DEFAULT_PATH;
  if (fs.existsSync(wanted)) return wanted;
  if (process.env.CHROMIUM_PATH) {
    console.error(`CHROMIUM_PATH is ${wanted}, which does not exist. Point it at a Chromium or Chrome binary, or unset it to use ${DEFAULT_PATH}.`);
    return null;
  }
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (process.getuid?.() === 0 && hasApt) {
    console.log(`No Chromium at ${DEFAULT_PATH}: installing Debian's (${INSTALL})…`);
    spawnSync("sh", ["-c", INSTALL], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (fs.existsSync(DEFAULT_PATH)) return DEFAULT_PATH;
  }
  console.error(
    [
      `The end-to-end tests need Chromium at ${DEFAULT_PATH} (Playwright cannot download its own browser here).`,
      `Install it as root:   ${INSTALL}`,
      `or set CHROMIUM_PATH to a Chromium or Chrome binary, e.g. CHROMIUM_PATH=/usr/bin/google-chrome npm test`,
    ].join("\n"),
  );
  return null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!ensureChromium()) process.exit(1);
}
