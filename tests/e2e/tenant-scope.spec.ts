// Tenant scope on the pages, in live mode with two tenants (Contoso, the default, and Fabrikam):
// a user of Contoso sees and acts in Contoso only on /mdr, and the admin page shows and chooses
// tenants. The e2e servers simulate one tenant, so this file starts its own HTTPS emulator and a
// live production server with the two-tenant environment of the live API suites.
import { type Browser, type Page, expect, test } from "@playwright/test";
import { makeCerts } from "../emulator/certs";
import { TENANT_A, TENANT_B } from "../emulator/fixtures";
import { type Emulator, startEmulator } from "../emulator/server";
import { exampleSeed } from "../emulator/fixtures";
import { type TestServer, eventually, startServer } from "../support/server";
import { TWO_TENANTS, tenantsEnv } from "../support/two-tenants";
import { AdminPage } from "./admin-page";
import { type Json, MdrPage } from "./mdr-page";

test.describe.configure({ mode: "serial" });

const PASSWORD = "correct horse battery staple";
const ANALYST = "contoso-analyst";
const ALL_ADMIN = "all-tenants-admin";
const CONTOSO_ADMIN = "contoso-admin";

let emu: Emulator | undefined;
let server: TestServer | undefined;
/** Actions made by the server's admin of every tenant before the pages are opened. */
let contosoBlock: Json;
let fabrikamIsolation: Json;
let fabrikamBlock: Json;

const live = () => {
  if (!emu || !server) throw new Error("the emulator and the live server did not start");
  return { emu, server };
};

/** A call to the live server with its admin token (of every tenant). */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await live().server.fetch(path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

async function addUser(username: string, role: "responder" | "admin", tenants: string[] | null) {
  const r = await api("POST", "/api/v1/admin/users", { username, role, password: PASSWORD, tenants });
  expect({ status: r.status, username: r.body.username, tenants: r.body.tenants }).toEqual({ status: 201, username, tenants });
}

/** A browser of its own, signed in as `username` at the server's /login. */
async function signIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: live().server.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/mdr$/);
  return page;
}

/** The document as the browser holds it, the server's inlined page data included. */
async function expectNothingOfFabrikam(page: Page) {
  const html = await page.content();
  expect(html).not.toContain("Fabrikam");
  expect(html).not.toContain(TENANT_B);
}

test.beforeAll(async () => {
  test.setTimeout(90_000);
  const certs = makeCerts();
  emu = await startEmulator({ ...exampleSeed(), ...TWO_TENANTS.emulator, certs });
  server = await startServer(tenantsEnv(emu, certs), "e2e-tenant-scope");

  const block = await api("POST", "/api/v1/mdr/block-ip", { ip: "198.51.100.40", firewall_type: "aws_sg", tenant_id: TENANT_A, reason: "contoso's own" });
  const isolation = await api("POST", "/api/v1/mdr/isolate", { hostname: "ws-0142.fabrikam.com", tenant_id: TENANT_B, reason: "fabrikam's own" });
  const fBlock = await api("POST", "/api/v1/mdr/block-ip", { ip: "198.51.100.41", firewall_type: "aws_sg", tenant_id: TENANT_B, reason: "fabrikam's own" });
  expect([block, isolation, fBlock].map((r) => [r.status, r.body.tenant_id])).toEqual([
    [201, TENANT_A],
    [202, TENANT_B],
    [201, TENANT_B],
  ]);
  [contosoBlock, fabrikamIsolation, fabrikamBlock] = [block.body, isolation.body, fBlock.body];
  // Fabrikam's isolation done at Defender: nothing more is sent in Fabrikam's name after this.
  await eventually(async () => ((await api("GET", `/api/v1/mdr/actions/${fabrikamIsolation.id}`)).body.status === "succeeded" ? true : undefined), 20_000, "Fabrikam's isolation to succeed");

  await addUser(ANALYST, "responder", [TENANT_A]);
  await addUser(ALL_ADMIN, "admin", null);
  await addUser(CONTOSO_ADMIN, "admin", [TENANT_A]);
});

test.afterAll(async () => {
  await server?.stop();
  await emu?.close();
});

test("a user of Contoso: Contoso's actions, picker, isolation and metrics only; Fabrikam's action is not found", async ({ browser }) => {
  const { emu } = live();
  const page = await signIn(browser, ANALYST);
  const mdr = new MdrPage(page);
  await mdr.goto();

  // The header names its one tenant; the table has Contoso's action only.
  await expect(page.getByRole("banner")).toContainText("Contoso");
  await expect(mdr.row(contosoBlock.id)).toContainText("198.51.100.40");
  await expect(mdr.rows).toHaveCount(1);
  await expect(mdr.row(fabrikamIsolation.id)).toHaveCount(0);
  await expect(mdr.row(fabrikamBlock.id)).toHaveCount(0);
  await expect(mdr.metric("metric-total-value")).toHaveText("1");
  // One tenant: no picker on any card (the API's default, the caller's first tenant, applies).
  await expect(page.getByRole("combobox", { name: "Tenant" })).toHaveCount(0);
  await expectNothingOfFabrikam(page);

  // Fabrikam's action by id, through the page's own fetch (its session): not found.
  const read = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/mdr/actions/${id}`, { headers: { accept: "application/json" } });
    return { status: r.status, detail: (await r.json()).detail };
  }, fabrikamIsolation.id);
  expect(read).toEqual({ status: 404, detail: `No action ${fabrikamIsolation.id}.` });

  // An isolation from the page runs in Contoso, and Defender hears only of Contoso.
  const from = emu.requests.at(-1)?.seq ?? 0;
  await mdr.field("isolate", "Hostname").fill("ws-0142");
  await mdr.submitButton("isolate").click();
  const answer = mdr.waitForPost("isolate");
  await mdr.confirmDialog.getByRole("button", { name: "Isolate device" }).click();
  const { status, body } = await answer;
  expect({ status, tenant: body.tenant_id, target: body.target, by: body.requested_by }).toEqual({
    status: 202,
    tenant: TENANT_A,
    target: "ws-0142",
    by: `user:${ANALYST}`,
  });
  await expect(mdr.row(body.id)).toHaveAttribute("data-status", "succeeded");
  expect((await api("GET", `/api/v1/mdr/actions/${body.id}`)).body.tenant_id).toBe(TENANT_A);
  const defender = emu.find({ service: "defender" }).filter((r) => r.seq > from);
  expect(defender.filter((r) => r.method === "POST" && /\/isolate$/.test(r.path)).map((r) => r.path)).toHaveLength(1);
  expect(new Set(defender.map((r) => (r.auth as { tenantId?: string }).tenantId))).toEqual(new Set([TENANT_A]));
  expect(emu.device(TENANT_A, "ws-0142.contoso.com").isolated).toBe(true);

  // Metrics count Contoso's two (Fabrikam has two more); the drawer of the new row names no other tenant.
  await expect(mdr.metric("metric-total-value")).toHaveText("2");
  await expect(mdr.rows).toHaveCount(2);
  await mdr.row(body.id).getByRole("button", { name: /open details/ }).click();
  await expect(mdr.drawer).toContainText(TENANT_A);
  await expectNothingOfFabrikam(page);
  await page.context().close();
});

test("an admin of every tenant: tenants shown per token and user, a token scoped to Fabrikam made on the page, a user's tenants changed", async ({ browser }) => {
  const page = await signIn(browser, ALL_ADMIN);
  const admin = new AdminPage(page);
  await admin.goto();

  await expect(admin.token("tests").getByTestId("tenants")).toHaveText("All tenants");
  await expect(admin.user(ANALYST).getByTestId("tenants")).toHaveText("Contoso");
  await expect(admin.user(CONTOSO_ADMIN).getByTestId("tenants")).toHaveText("Contoso");

  // All tenants by default; unticked, each tenant is offered: keep Fabrikam only.
  const form = admin.form("token");
  await form.getByLabel("Name").fill("fabrikam-playbook");
  await expect(form.getByRole("checkbox", { name: "All tenants" })).toBeChecked();
  await form.getByRole("checkbox", { name: "All tenants" }).uncheck();
  await form.getByRole("checkbox", { name: "Contoso" }).uncheck();
  await expect(form.getByRole("checkbox", { name: "Fabrikam" })).toBeChecked();
  const made = await admin.submit("token", "/api/v1/admin/tokens", "Create token");
  expect({ status: made.status, name: made.body.name, tenants: made.body.tenants }).toEqual({ status: 201, name: "fabrikam-playbook", tenants: [TENANT_B] });
  await expect(admin.token("fabrikam-playbook").getByTestId("tenants")).toHaveText("Fabrikam");

  // None ticked: the route's own rule, on the form, and nothing is sent.
  await form.getByLabel("Name").fill("nobody");
  await form.getByRole("checkbox", { name: "All tenants" }).uncheck();
  await form.getByRole("checkbox", { name: "Contoso" }).uncheck();
  await form.getByRole("checkbox", { name: "Fabrikam" }).uncheck();
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("token-tenants-error")).toHaveText("Choose at least one tenant, or all tenants");

  // The analyst gets Fabrikam too (PATCH tenants).
  await admin.user(ANALYST).getByRole("button", { name: `Change tenants of ${ANALYST}` }).click();
  await admin.user(ANALYST).getByRole("checkbox", { name: "Fabrikam" }).check();
  const patchAnswer = admin.answer("PATCH", `/api/v1/admin/users/${ANALYST}`);
  await admin.user(ANALYST).getByRole("button", { name: "Save tenants" }).click();
  const patched = await patchAnswer;
  expect({ status: patched.status, tenants: patched.body.tenants }).toEqual({ status: 200, tenants: [TENANT_A, TENANT_B] });
  await expect(admin.user(ANALYST).getByTestId("tenants")).toHaveText("Contoso, Fabrikam");
  const users = (await api("GET", "/api/v1/admin/users")).body.users as Json[];
  expect(users.find((u) => u.username === ANALYST).tenants).toEqual([TENANT_A, TENANT_B]);
  await page.context().close();
});

test("an admin of Contoso: only identities within Contoso, only Contoso to grant, and the audit log says it needs an admin of all tenants", async ({ browser }) => {
  const page = await signIn(browser, CONTOSO_ADMIN);
  const admin = new AdminPage(page);
  await admin.goto();

  await expect(page.getByTestId("audit-refused")).toHaveText(
    `The security audit log concerns every tenant: it needs a caller of all tenants; user:${CONTOSO_ADMIN} has ${TENANT_A}.`,
  );
  await expect(page.getByTestId("audit-table")).toHaveCount(0);
  // Neither the all-tenant token nor Fabrikam's; the analyst, now of both tenants, is outside too.
  await expect(page.getByTestId("token-row")).toHaveCount(0);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(admin.user(CONTOSO_ADMIN)).toContainText("Contoso");
  const form = admin.form("token");
  await expect(form.getByRole("checkbox")).toHaveCount(1);
  await expect(form.getByRole("checkbox", { name: "Contoso" })).toBeChecked();
  await expectNothingOfFabrikam(page);
  await page.context().close();
});
