// Who may use the page: signing in and out, a viewer who sees but cannot act, and the CLI's
// token working with curl.
import { execFileSync } from "node:child_process";
import { expect, test } from "./fixtures";
import { MdrPage, uniqueIp, uniqueReason } from "./mdr-page";
import { e2eDbPath } from "./state";

const ADMIN_PASSWORD = process.env.MDR_E2E_ADMIN_PASSWORD!;

async function signIn(mdr: MdrPage, username: string, password: string) {
  const form = mdr.page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("sign in, act as user:admin, sign out: the page asks to sign in again", async ({ mdr, page, request }) => {
    await page.goto("/mdr");
    await expect(page).toHaveURL(/\/login\?next=(%2F|\/)mdr$/);
    await expect(page.getByRole("heading", { name: "MDR Response Actions" })).toBeVisible();
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await signIn(mdr, "admin", ADMIN_PASSWORD);
    await expect(page).toHaveURL(/\/mdr$/);
    await expect(page.getByTestId("user-menu")).toContainText("admin");

    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    const ip = uniqueIp();
    await mdr.field("blockIp", "IP address or CIDR range").fill(ip);
    await mdr.field("blockIp", "Reason").fill(uniqueReason("signed-in"));
    const { status, body } = await mdr.submit("blockIp");
    expect(status).toBe(201);
    expect(body).toMatchObject({ target: ip, status: "succeeded", requested_by: "user:admin" });

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/mdr");
    await expect(page).toHaveURL(/\/login\?next=(%2F|\/)mdr$/);
    // The signed-out browser's API calls are refused too.
    const me = await page.request.get("/api/v1/auth/me");
    expect(me.status()).toBe(401);
    void request;
  });

  test("a wrong password is refused on the form, nothing else said", async ({ mdr, page }) => {
    await page.goto("/login");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await signIn(mdr, "admin", "not-the-password");
    await expect(page.getByRole("form", { name: "Sign in" }).getByRole("alert")).toHaveText("Wrong username or password.");
    await expect(page).toHaveURL(/\/login$/);
  });

  test("a viewer sees actions and health but no action forms and no undo", async ({ mdr, page, playwright, baseURL }) => {
    // The admin (signed in through the API) makes a viewer and an action to look at.
    const admin = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL!).origin } });
    expect((await admin.post("/api/v1/auth/login", { data: { username: "admin", password: ADMIN_PASSWORD } })).status()).toBe(200);
    const username = `viewer-${Date.now().toString(36)}`;
    const password = "viewer-password-123";
    const created = await admin.post("/api/v1/admin/users", { data: { username, role: "viewer", password } });
    expect(created.status(), await created.text()).toBe(201);
    const block = await admin.post("/api/v1/mdr/block-ip", { data: { ip: uniqueIp(), reason: uniqueReason("viewer") } });
    expect(block.status()).toBe(201);
    const { id } = await block.json();
    await admin.dispose();

    await page.goto("/login");
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await signIn(mdr, username, password);
    await expect(page).toHaveURL(/\/mdr$/);
    await expect(page.getByTestId("user-menu")).toContainText(`${username} viewer`);
    await expect(page.getByTestId("viewer-note")).toContainText("viewer role");
    for (const card of ["isolate", "blockIp", "disableUser", "quarantine"] as const) {
      await expect(mdr.form(card)).toHaveCount(0);
    }
    await expect(page.getByTestId("service-defender")).toContainText("Up");
    await mdr.row(id).click();
    await expect(mdr.drawer).toBeVisible();
    await expect(mdr.drawer).toContainText(id);
    await expect(mdr.drawer.getByTestId("undo-button")).toHaveCount(0);
    // And the API agrees: the viewer's cookie cannot act.
    const refused = await page.request.post("/api/v1/mdr/block-ip", {
      data: { ip: uniqueIp() },
      headers: { origin: new URL(baseURL!).origin },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.json()).toMatchObject({ status: 403, detail: `This needs the responder role; user:${username} has viewer.` });
  });
});

test("a token made with the CLI works with curl, and stops working once revoked", async ({ baseURL }) => {
  const name = `soar-${Date.now().toString(36)}`;
  const env = { ...process.env, MDR_DB_PATH: e2eDbPath("mdr") };
  const token = execFileSync("npm", ["run", "-s", "mdr", "--", "tokens", "create", name, "--role", "responder"], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
  expect(token).toMatch(/^mdr_[\w-]{43}$/);

  const curl = (ip: string) =>
    execFileSync(
      "curl",
      ["-sS", "-w", "\n%{http_code}", "-H", `Authorization: Bearer ${token}`, "-H", "Content-Type: application/json",
        "-d", JSON.stringify({ ip, reason: "SOAR playbook" }), `${baseURL}/api/v1/mdr/block-ip`],
      { encoding: "utf8" },
    );
  const [body, code] = curl(uniqueIp()).split("\n");
  expect(code).toBe("201");
  expect(JSON.parse(body!)).toMatchObject({ status: "succeeded", requested_by: `token:${name}` });

  execFileSync("npm", ["run", "-s", "mdr", "--", "tokens", "revoke", name], { env, stdio: "ignore" });
  const [refused, refusedCode] = curl(uniqueIp()).split("\n");
  expect(refusedCode).toBe("401");
  expect(JSON.parse(refused!)).toMatchObject({ status: 401, detail: "The bearer token has been revoked." });
});
