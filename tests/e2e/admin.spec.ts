// /admin: protected assets, API tokens and users managed on the page, checked through the API;
// and only admins get there.
import { expect, test } from "./fixtures";
import { AdminPage } from "./admin-page";
import { MdrPage, uniqueReason } from "./mdr-page";
import { adminState } from "./state";

const ASSETS = "/api/v1/mdr/protected-assets";
// A simulated device no other e2e test isolates: a rule for it refuses nothing anyone else does.
const DEVICE = "laptop-asmith";

const unique = (what: string) => `e2e-${what}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;

test("a hostname protected on the page refuses an isolation, recorded as rejected; removed, it is gone", async ({ page, request }) => {
  const admin = new AdminPage(page);
  await admin.goto();
  const form = admin.form("protect");

  // Checked on the page with the route's own schema: nothing is sent.
  let posted = false;
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === ASSETS) posted = true;
  });
  await form.getByLabel("Kind").selectOption("ip_range");
  await form.getByLabel("Pattern").fill("not-an-address");
  await form.getByRole("button", { name: "Protect" }).click();
  await expect(form.getByLabel("Pattern")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Pattern")).toHaveAccessibleDescription(/must be an address or CIDR range/i);
  expect(posted).toBe(false);

  await form.getByLabel("Kind").selectOption("hostname");
  await form.getByLabel("Pattern").fill(DEVICE.toUpperCase());
  await form.getByLabel(/^Note/).fill("e2e: the admin page's rule");
  await expect(form.getByLabel("Pattern")).not.toHaveAttribute("aria-invalid", "true");
  const added = await admin.submit("protect", ASSETS, "Protect");
  expect(added.status).toBe(201);
  const rule = added.body;
  expect(rule).toMatchObject({ kind: "hostname", pattern: DEVICE, source: "api", created_by: "user:admin" });
  try {
    const row = admin.protectedAsset(DEVICE);
    await expect(row).toContainText("e2e: the admin page's rule");
    await expect(row).toContainText("user:admin");

    // The same rule again: the API's refusal is shown on the form.
    await form.getByLabel("Pattern").fill(DEVICE);
    const again = await admin.submit("protect", ASSETS, "Protect");
    expect(again.status).toBe(409);
    await expect(page.getByTestId("protect-error")).toContainText(`hostname ${DEVICE} is already protected (${rule.id})`);

    const reason = uniqueReason("protected");
    const refused = await request.post("/api/v1/mdr/isolate", { data: { hostname: DEVICE, reason } });
    expect(refused.status()).toBe(403);
    const problem = await refused.json();
    expect(problem).toMatchObject({
      type: "urn:mdr:problem:protected-asset",
      status: 403,
      action_status: "rejected",
      errors: [{ path: "hostname", message: `matches protected hostname rule ${DEVICE}` }],
      protected_asset: { id: rule.id, kind: "hostname", pattern: DEVICE },
    });
    expect(problem.detail).toContain(`rule ${rule.id}: hostname ${DEVICE}`);

    // The analyst's table shows the refusal.
    const mdr = new MdrPage(page);
    await mdr.goto();
    await expect(mdr.row(problem.action_id)).toHaveAttribute("data-status", "rejected");
    await expect(mdr.row(problem.action_id)).toContainText("Rejected");
    await expect(mdr.row(problem.action_id)).toContainText(reason);

    // Back on /admin through the header link; remove the rule, confirming.
    await page.getByRole("link", { name: "Admin", exact: true }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
    await admin.protectedAsset(DEVICE).getByRole("button", { name: `Remove protection of ${DEVICE}` }).click();
    await expect(admin.confirmDialog).toContainText(`Hostname: ${DEVICE}`);
    const removed = await admin.confirm("Remove protection", "DELETE", `${ASSETS}/${rule.id}`);
    expect(removed.status).toBe(200);
    await expect(admin.protectedAsset(DEVICE)).toHaveCount(0);
    const list = await (await request.get(ASSETS)).json();
    expect(list.protected_assets.map((a: { id: string }) => a.id)).not.toContain(rule.id);
  } finally {
    // Never leave the rule behind for other tests, whatever failed above.
    const list = await (await request.get(ASSETS)).json();
    if (list.protected_assets.some((a: { id: string }) => a.id === rule.id)) await request.delete(`${ASSETS}/${rule.id}`);
  }
});

test("a token made on the page is shown once, works with the API, and stops once revoked there", async ({ page, playwright, baseURL }) => {
  const admin = new AdminPage(page);
  const name = unique("page-token");
  await admin.goto();
  const form = admin.form("token");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Role").selectOption("viewer");
  await form.getByLabel(/^Expires in days/).fill("2");
  const created = await admin.submit("token", "/api/v1/admin/tokens", "Create token");
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name, role: "viewer", created_by: "user:admin", revoked_at: null });
  const expires = Date.parse(created.body.expires_at) - Date.now();
  expect(expires).toBeGreaterThan(47 * 3600_000);
  expect(expires).toBeLessThanOrEqual(48 * 3600_000);

  const shown = page.getByTestId("new-token");
  await expect(shown).toHaveValue(/^mdr_[\w-]{43}$/);
  const token = await shown.inputValue();
  expect(token).toBe(created.body.token);
  await expect(page.getByTestId("new-token-panel")).toContainText("it will not be shown again");
  await expect(shown).toHaveAttribute("readonly", "");
  await expect(admin.token(name)).toContainText(token.slice(0, 10));

  const api = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
  try {
    const me = await api.get("/api/v1/auth/me");
    expect(me.status()).toBe(200);
    expect(await me.json()).toMatchObject({ actor: `token:${name}`, role: "viewer", via: "bearer" });

    // A reload shows the row, never the secret.
    await admin.goto();
    await expect(admin.token(name)).toBeVisible();
    await expect(page.getByTestId("new-token")).toHaveCount(0);
    expect(await page.content()).not.toContain(token);

    await admin.token(name).getByRole("button", { name: `Revoke token ${name}` }).click();
    await expect(admin.confirmDialog).toContainText(name);
    const revoked = await admin.confirm("Revoke token", "DELETE", `/api/v1/admin/tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    await expect(admin.token(name)).toHaveAttribute("data-revoked", "true");
    await expect(admin.token(name)).toContainText("Revoked");

    const refused = await api.get("/api/v1/auth/me");
    expect(refused.status()).toBe(401);
    expect(await refused.json()).toMatchObject({ detail: "The bearer token has been revoked." });
  } finally {
    await api.dispose();
  }
});

test("a user added on the page as viewer is made responder, then disabled", async ({ page, request }) => {
  const admin = new AdminPage(page);
  const username = unique("user");
  const userOf = async () => {
    const { users } = await (await request.get("/api/v1/admin/users")).json();
    return users.find((u: { username: string }) => u.username === username);
  };
  await admin.goto();
  const form = admin.form("user");

  // The API's own refusal lands on the field it names.
  await form.getByLabel("Username").fill("admin");
  await form.getByLabel("Password").fill("a-long-enough-password");
  const taken = await admin.submit("user", "/api/v1/admin/users", "Add user");
  expect(taken.status).toBe(409);
  await expect(form.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Username")).toHaveAccessibleDescription(/is taken/i);

  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Role").selectOption("viewer");
  const added = await admin.submit("user", "/api/v1/admin/users", "Add user");
  expect(added.status).toBe(201);
  expect(added.body).toMatchObject({ username, role: "viewer", source: "local", disabled: false });
  const row = admin.user(username);
  await expect(row).toHaveAttribute("data-role", "viewer");
  await expect(form.getByLabel("Password")).toHaveValue("");

  const patch = admin.answer("PATCH", `/api/v1/admin/users/${username}`);
  await row.getByLabel(`Role of ${username}`).selectOption("responder");
  expect((await patch).status).toBe(200);
  await expect.poll(async () => (await userOf())?.role).toBe("responder");
  await expect(row).toHaveAttribute("data-role", "responder");

  await row.getByRole("button", { name: `Disable ${username}` }).click();
  await expect(admin.confirmDialog).toContainText(username);
  const disabled = await admin.confirm("Disable user", "PATCH", `/api/v1/admin/users/${username}`);
  expect(disabled.status).toBe(200);
  await expect.poll(async () => (await userOf())?.disabled).toBe(true);
  await expect(row).toHaveAttribute("data-disabled", "true");
  await expect(row.getByRole("button", { name: `Enable ${username}` })).toBeVisible();
  await expect(page.getByTestId("audit-row").filter({ hasText: username }).first()).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the server renders the admin page's first paint with real data", async ({ page, request }) => {
    const name = unique("first-paint");
    const r = await request.post("/api/v1/admin/tokens", { data: { name, role: "viewer" } });
    expect(r.status()).toBe(201);
    const { id, token } = await r.json();

    await page.goto("/admin");
    await expect(page.locator(`[data-testid="token-row"][data-name="${name}"]`)).toContainText("user:admin");
    await expect(page.locator('[data-testid="user-row"][data-username="admin"]')).toContainText("(you)");
    await expect(page.getByTestId("audit-row").filter({ hasText: id }).first()).toContainText("Token created");
    await expect(page.getByTestId("protected-assets-table")).toBeVisible();
    // These servers forward nowhere: the SIEM section says so.
    await expect(page.getByTestId("siem-table")).toContainText("No destination configured: audit records stay in this server only.");
    expect(await page.content()).not.toContain(token);
    expect((await request.delete(`/api/v1/admin/tokens/${id}`)).status()).toBe(200);
  });
});

test.describe("not an admin", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("signed out, /admin asks to sign in; a responder sees no Admin link and is refused the page", async ({ page, playwright, baseURL }) => {
    await page.goto("/admin");
    await expect(page).toHaveURL(/\/login\?next=(%2F|\/)admin$/);

    const origin = new URL(baseURL!).origin;
    const admin = await playwright.request.newContext({ baseURL, storageState: adminState(baseURL!), extraHTTPHeaders: { origin } });
    const username = unique("responder");
    const password = "responder-password-123";
    const created = await admin.post("/api/v1/admin/users", { data: { username, role: "responder", password } });
    expect(created.status(), await created.text()).toBe(201);
    await admin.dispose();

    // page.request shares the browser's cookies: this signs the page in.
    const signIn = await page.request.post("/api/v1/auth/login", { data: { username, password }, headers: { origin } });
    expect(signIn.status()).toBe(200);

    const mdr = new MdrPage(page);
    await mdr.goto();
    await expect(page.getByTestId("user-menu")).toContainText(`${username} responder`);
    await expect(page.getByRole("navigation", { name: "Links" }).getByRole("link", { name: "API" })).toBeVisible();
    await expect(page.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0);

    await page.goto("/admin");
    await expect(page.getByTestId("admin-forbidden")).toContainText("The admin role is needed here");
    await expect(page.getByTestId("admin-forbidden")).toContainText(`signed in as ${username} with the responder role`);
    for (const section of ["protected-assets", "api-tokens", "users", "audit-events", "siem-forwarding"]) {
      await expect(page.getByTestId(section)).toHaveCount(0);
    }
    await page.getByTestId("admin-forbidden").getByRole("link", { name: "Back to response actions" }).click();
    await expect(page).toHaveURL(/\/mdr$/);
  });
});
