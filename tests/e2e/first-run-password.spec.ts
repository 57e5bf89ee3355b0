// The first-run admin with a generated password: signing in leads to the change-password form,
// every page leads back to it and the API refuses the session (403 password-change-required)
// until the password is changed; then /mdr. On a server of its own (the suite's servers are
// given MDR_ADMIN_PASSWORD, which the operator chose and need not change), started here.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";

test.use({ storageState: { cookies: [], origins: [] } });

let child: ChildProcess | undefined;
let url = "";
let oneTimePassword = "";
let dir = "";

test.beforeAll(async () => {
  test.setTimeout(90_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-e2e-first-run-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production",
    MDR_MODE: "simulation",
    MDR_DB_PATH: path.join(dir, "mdr.db"),
  };
  delete env.MDR_ADMIN_PASSWORD;
  child = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", "0", "-H", "127.0.0.1"], {
    cwd: path.resolve(__dirname, "../.."),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const port = /- Local:\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1];
    if (port && !url) url = `http://127.0.0.1:${port}`;
    if (url && !oneTimePassword) {
      // The first request starts the app (instrumentation), which creates admin and prints its password.
      await fetch(`${url}/api/v1/auth/me`).catch(() => undefined);
      oneTimePassword = /one-time password\s+(\S+)/.exec(log)?.[1] ?? "";
    }
    if (oneTimePassword) return;
    if (child.exitCode !== null) throw new Error(`server exited:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no first-run password in 60 s:\n${log}`);
});

test.afterAll(async () => {
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child!.once("exit", () => resolve());
      child!.kill("SIGTERM");
    });
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the generated first-run password: sign in, change it (nothing else is allowed before), then /mdr", async ({ page }) => {
  await page.goto(`${url}/mdr`);
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)mdr$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const signIn = page.getByRole("form", { name: "Sign in" });
  await signIn.getByLabel("Username").fill("admin");
  await signIn.getByLabel("Password").fill(oneTimePassword);
  await signIn.getByRole("button", { name: "Sign in" }).click();

  await expect(page).toHaveURL(/\/password\?next=%2Fmdr$/);
  await expect(page.getByTestId("password-change-required")).toContainText("one-time password");
  // The page and the API both hold the session back until the password is changed.
  await page.goto(`${url}/mdr`);
  await expect(page).toHaveURL(/\/password\?next=%2Fmdr$/);
  const held = await page.request.get(`${url}/api/v1/mdr/actions`);
  expect([held.status(), (await held.json()).type]).toEqual([403, "urn:mdr:problem:password-change-required"]);

  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const form = page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not the one-time password");
  await form.getByLabel("New password", { exact: true }).fill("the admin's chosen password");
  await form.getByLabel("New password again").fill("the admin's chosen password");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("current_password: is not your current password");

  await form.getByLabel("Current password").fill(oneTimePassword);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/mdr$/);
  await expect(page.getByTestId("user-menu")).toContainText("admin");
  expect((await page.request.get(`${url}/api/v1/mdr/actions`)).status()).toBe(200);
});
