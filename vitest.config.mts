import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("./", import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@\//, replacement: root },
      // "server-only" throws outside React Server Components; in tests the whole process is the server.
      { find: /^server-only$/, replacement: `${root}tests/support/empty.ts` },
    ],
  },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/api/**/*.test.ts"],
    environment: "node",
    // Makes the emulator's TLS certificate before the workers start, so they trust it (NODE_EXTRA_CA_CERTS).
    globalSetup: ["tests/emulator/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
