// Pasted lists in the Disable user and Quarantine email cards: counted and checked item by item before
// anything is sent (the API's own item schemas), confirmed by count, sent as one bulk request (`upns`),
// followed in the progress panel to its end. The shared e2e server's accounts and mailboxes are used by
// other specs (alice, carol, dave and svc-backup are disabled there, bob's phish quarantined), so this
// file starts its own simulation server: a fresh tenant, the phish in alice's, bob's and carol's mailboxes.
import { type Browser, type Page, expect, test } from "@playwright/test";
import { type TestServer, startServer } from "../support/server";
import { type Json, MdrPage, uniqueReason } from "./mdr-page";

test.describe.configure({ mode: "serial" });

const PASSWORD = "correct horse battery staple";
const PHISH = "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>";
const UPN_FIELD = "User principal name";

let server: TestServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  server = await startServer(
    { MDR_MODE: "simulation", MDR_ADMIN_PASSWORD: PASSWORD, MDR_SIM_FAILURE_RATE: "0", MDR_SIM_FAULTS: "" },
    "e2e-bulk-identity",
  );
});

test.afterAll(async () => {
  await server?.stop();
});

async function open(browser: Browser): Promise<{ page: Page; mdr: MdrPage }> {
  const context = await browser.newContext({ baseURL: server!.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/mdr$/);
  const mdr = new MdrPage(page);
  await mdr.goto();
  return { page, mdr };
}

/** GET /bulk/{id} through the API: each target's action as the server now has it. */
async function bulkStatus(bulkId: string): Promise<Json> {
  const res = await server!.fetch(`/api/v1/mdr/bulk/${bulkId}`);
  expect(res.status).toBe(200);
  return res.json();
}

const outcomes = (results: Json[]) => results.map((r: { target: string; status: string }) => [r.target, r.status]);

test("disable: a pasted list of UPNs, a bad one and a repeat named inline, then confirmed by count, sent as upns and followed to done", async ({ browser }) => {
  const { page, mdr } = await open(browser);
  const field = mdr.field("disableUser", UPN_FIELD);
  const reason = uniqueReason("bulk disable");

  // Lines, a comma and a space; one item that is no UPN, and a repeat told apart only by case.
  await field.fill("dave@contoso.com\nnot-a-upn, JDOE@contoso.com svc-backup@contoso.com\nDave@Contoso.com");
  await expect(page.getByTestId("disable-upn-count")).toHaveText("5 users");
  await mdr.form("disableUser").getByRole("button", { name: "Disable 5 users" }).click();
  await mdr.expectFieldError("disableUser", UPN_FIELD, /2 of 5 users cannot be sent: fix or remove them/);
  await expect(mdr.itemErrors("disable-upn")).toHaveText([
    "not-a-upn (item 2): must be a user principal name like user@contoso.com",
    "Dave@Contoso.com (item 5): repeats item 1; each target once",
  ]);
  await expect(mdr.confirmDialog).toHaveCount(0);
  expect(mdr.posts).toEqual([]);

  // Fixed: the errors go as it is corrected; the confirmation names the count and the accounts.
  await field.fill("dave@contoso.com\nJDOE@contoso.com svc-backup@contoso.com");
  await mdr.expectNoFieldError("disableUser", UPN_FIELD);
  await expect(mdr.itemErrors("disable-upn")).toHaveCount(0);
  await expect(page.getByTestId("disable-upn-count")).toHaveText("3 users");
  await mdr.field("disableUser", "Reason").fill(reason);
  await mdr.form("disableUser").getByRole("button", { name: "Disable 3 users" }).click();
  await expect(mdr.confirmDialog.getByRole("heading")).toHaveText("Disable 3 users?");
  await expect(mdr.confirmDialog).toContainText("dave@contoso.com, JDOE@contoso.com, svc-backup@contoso.com");
  await expect(mdr.confirmDialog).toContainText(
    "None of these 3 users can sign in any more, and every sign-in session of each is revoked: they are signed out of Microsoft 365 everywhere.",
  );
  const { sent, status, body } = await mdr.submitCapturing("disableUser", () =>
    mdr.confirmDialog.getByRole("button", { name: "Disable 3 users" }).click(),
  );

  // One bulk request with the list as typed (the API lower-cases it), the card's settings once.
  expect(sent).toEqual({ upns: ["dave@contoso.com", "JDOE@contoso.com", "svc-backup@contoso.com"], revoke_sessions: true, reason });
  expect(status).toBe(207);
  const bulkId: string = body.bulk_id;
  expect(bulkId).toMatch(/^blk_/);
  const targets = ["dave@contoso.com", "jdoe@contoso.com", "svc-backup@contoso.com"];
  expect(body.results.map((r: Json) => [r.target, r.status, r.http_status])).toEqual(targets.map((t) => [t, "succeeded", 201]));

  // The toast sums it up; the field is cleared for the next list.
  await expect(mdr.toast(bulkId)).toContainText("3 users: 3 disabled");
  await expect(field).toHaveValue("");
  await expect(mdr.submitButton("disableUser")).toBeVisible();

  // The progress panel follows it to done, as the server has it.
  const panel = mdr.bulkProgress(bulkId);
  await expect(panel).toHaveAttribute("data-done", "true");
  await expect(panel.getByRole("heading")).toHaveText("Disable user: 3 users");
  const bar = panel.getByRole("progressbar", { name: "Disable user: 3 users" });
  await expect(bar).toHaveAttribute("aria-valuenow", "3");
  await expect(bar).toHaveAttribute("aria-valuemax", "3");
  await expect(panel.getByTestId("bulk-summary")).toHaveText("Done: 3 of 3");
  await expect(panel.getByTestId("bulk-count")).toHaveText(["3 disabled"]);
  await expect(panel.getByTestId("bulk-failure")).toHaveCount(0);
  const followed = await bulkStatus(bulkId);
  expect(outcomes(followed.results)).toEqual(targets.map((t) => [t, "succeeded"]));

  // Each account's action holds it now: disabling jdoe again is refused, naming the bulk's action for him.
  const again = await server!.post("/api/v1/mdr/disable-user", { upn: "jdoe@contoso.com" });
  expect(again.status).toBe(409);
  const jdoe = body.results[1].id;
  expect(await again.json()).toMatchObject({
    type: "urn:mdr:problem:conflict",
    action_status: "rejected",
    holder_action_id: jdoe,
    detail: `jdoe@contoso.com is already disabled by ${jdoe}; nothing was sent to Graph`,
  });

  // The table's bulk row.
  const row = mdr.bulkRow(bulkId);
  await expect(row.getByTestId("bulk-marker")).toHaveText("Bulk · 3");
  await expect(row.getByTestId("bulk-statuses")).toHaveText("3 Succeeded");
  await page.context().close();
});

test("one account is the single request, as before", async ({ browser }) => {
  const { mdr } = await open(browser);
  await mdr.field("disableUser", UPN_FIELD).fill(" bob@contoso.com\n");
  await expect(mdr.page.getByTestId("disable-upn-count")).toHaveCount(0);
  await mdr.submitButton("disableUser").click();
  await expect(mdr.confirmDialog.getByRole("heading")).toHaveText("Disable this user?");
  await expect(mdr.confirmDialog).toContainText("bob@contoso.com");
  const { sent, status, body } = await mdr.submitCapturing("disableUser", () =>
    mdr.confirmDialog.getByRole("button", { name: "Disable user" }).click(),
  );
  expect(sent).toEqual({ upn: "bob@contoso.com", revoke_sessions: true });
  expect(status).toBe(201);
  expect(body).toMatchObject({ type: "disable_user", target: "bob@contoso.com", status: "succeeded" });
  await expect(mdr.row(body.id)).toBeVisible();
  await expect(mdr.page.getByTestId("bulk-progress")).toHaveCount(0);
  await mdr.page.context().close();
});

test("quarantine: the phishing message out of alice's, bob's and carol's mailboxes, one bulk done with 3 succeeded", async ({ browser }) => {
  const { page, mdr } = await open(browser);
  const reason = uniqueReason("bulk quarantine");
  await mdr.field("quarantine", "Message ID").fill(PHISH);
  await mdr.field("quarantine", "Mailbox").fill("alice@contoso.com\nbob@contoso.com\ncarol@contoso.com");
  await expect(page.getByTestId("quarantine-user-principal-name-count")).toHaveText("3 mailboxes");
  await mdr.field("quarantine", "Reason").fill(reason);
  const submit = mdr.form("quarantine").getByRole("button", { name: "Quarantine in 3 mailboxes" });
  // A soft delete asks nothing.
  const { sent, status, body } = await mdr.submitCapturing("quarantine", () => submit.click());
  await expect(mdr.confirmDialog).toHaveCount(0);

  const mailboxes = ["alice@contoso.com", "bob@contoso.com", "carol@contoso.com"];
  expect(sent).toEqual({ upns: mailboxes, message_id: PHISH, action: "softDelete", reason });
  expect(status).toBe(207);
  const bulkId: string = body.bulk_id;
  expect(body.results.map((r: Json) => [r.target, r.status, r.http_status])).toEqual(mailboxes.map((m) => [m, "succeeded", 201]));
  await expect(mdr.toast(bulkId)).toContainText("3 mailboxes: 3 quarantined");
  await expect(mdr.field("quarantine", "Mailbox")).toHaveValue("");
  // The message stays for the next mailbox.
  await expect(mdr.field("quarantine", "Message ID")).toHaveValue(PHISH);

  const panel = mdr.bulkProgress(bulkId);
  await expect(panel).toHaveAttribute("data-done", "true");
  await expect(panel.getByRole("heading")).toHaveText("Quarantine email: 3 mailboxes");
  await expect(panel.getByRole("progressbar", { name: "Quarantine email: 3 mailboxes" })).toHaveAttribute("aria-valuetext", "3 of 3 done");
  await expect(panel.getByTestId("bulk-summary")).toHaveText("Done: 3 of 3");
  await expect(panel.getByTestId("bulk-count")).toHaveText(["3 quarantined"]);
  await expect(panel.getByTestId("bulk-failure")).toHaveCount(0);
  const followed = await bulkStatus(bulkId);
  expect(outcomes(followed.results)).toEqual(mailboxes.map((m) => [m, "succeeded"]));

  // Each mailbox's action holds the message now: quarantining it in alice's again is refused, naming hers.
  const again = await server!.post("/api/v1/mdr/quarantine-email", { message_id: PHISH, user_principal_name: "alice@contoso.com" });
  expect(again.status).toBe(409);
  const alice = body.results[0].id;
  expect(await again.json()).toMatchObject({
    type: "urn:mdr:problem:conflict",
    action_status: "rejected",
    holder_action_id: alice,
    detail: `${PHISH} in the mailbox of alice@contoso.com is already quarantined by ${alice} (softDelete); nothing was sent to Graph`,
  });

  const row = mdr.bulkRow(bulkId);
  await expect(row.getByTestId("bulk-marker")).toHaveText("Bulk · 3");
  await expect(row.getByTestId("bulk-statuses")).toHaveText("3 Succeeded");
  await page.context().close();
});

test("a hard delete of a list asks first, naming the message and the count; Cancel sends nothing", async ({ browser }) => {
  const { page, mdr } = await open(browser);
  await mdr.field("quarantine", "Message ID").fill(PHISH);
  await mdr.field("quarantine", "Mailbox").fill("dave@contoso.com, jdoe@contoso.com");
  await mdr.choose("quarantine", "Action", "Hard delete");
  await mdr.form("quarantine").getByRole("button", { name: "Quarantine in 2 mailboxes" }).click();
  const dialog = mdr.confirmDialog;
  await expect(dialog.getByRole("heading")).toHaveText("Permanently delete this message from 2 mailboxes?");
  await expect(dialog).toContainText("dave@contoso.com, jdoe@contoso.com");
  await expect(dialog).toContainText(
    `A hard delete cannot be undone: ${PHISH} cannot be restored in any of these 2 mailboxes, not even by an administrator.`,
  );
  await expect(dialog.getByRole("button", { name: "Delete from 2 mailboxes" })).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  expect(mdr.posts.filter((p) => p.startsWith("/api/v1/mdr/"))).toEqual([]);
  await page.context().close();
});
