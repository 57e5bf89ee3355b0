// Destructive choices ask first, repeating the target; cancelling sends nothing.
import { expect, test } from "./fixtures";

test.beforeEach(async ({ mdr }) => {
  await mdr.goto();
});

test("Full isolation: Cancel sends nothing and keeps the form", async ({ mdr }) => {
  await mdr.field("isolate", "Hostname").fill("srv-sql-02");
  await mdr.submitButton("isolate").click();
  await expect(mdr.confirmDialog).toBeVisible();
  await expect(mdr.confirmDialog.getByRole("heading")).toHaveText(/Fully isolate this device/);
  await expect(mdr.confirmDialog).toContainText("srv-sql-02");
  await mdr.confirmDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(mdr.confirmDialog).toHaveCount(0);
  await expect(mdr.field("isolate", "Hostname")).toHaveValue("srv-sql-02");
  await expect(mdr.submitButton("isolate")).toBeFocused();
  expect(mdr.posts).toEqual([]);
});

test("Selective isolation does not ask", async ({ mdr }) => {
  await mdr.field("isolate", "Hostname").fill("lnx-build-03");
  await mdr.choose("isolate", "Isolation type", "Selective");
  const { status } = await mdr.submit("isolate");
  expect(status).toBe(202);
  await expect(mdr.confirmDialog).toHaveCount(0);
});

test("Disable user: Escape cancels and nothing is sent", async ({ mdr, page }) => {
  await mdr.field("disableUser", "User principal name").fill("svc-backup@contoso.com");
  await mdr.submitButton("disableUser").click();
  await expect(mdr.confirmDialog).toContainText("svc-backup@contoso.com");
  // Keyboard focus starts on Cancel, the safe choice.
  await expect(mdr.confirmDialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(mdr.confirmDialog).toHaveCount(0);
  expect(mdr.posts).toEqual([]);
});

test("hard delete: Cancel sends nothing", async ({ mdr }) => {
  await mdr.field("quarantine", "Message ID").fill("<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>");
  await mdr.field("quarantine", "Mailbox").fill("alice@contoso.com");
  await mdr.choose("quarantine", "Action", "Hard delete");
  await mdr.submitButton("quarantine").click();
  await expect(mdr.confirmDialog).toContainText("alice@contoso.com");
  await expect(mdr.confirmDialog).toContainText("<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>");
  await mdr.confirmDialog.getByRole("button", { name: "Cancel" }).click();
  await expect(mdr.confirmDialog).toHaveCount(0);
  expect(mdr.posts).toEqual([]);
});
