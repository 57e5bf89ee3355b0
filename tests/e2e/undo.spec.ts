// Undo from the drawer: asks first (Cancel sends nothing), then the reverse action shows in the
// table and the original says it was reverted; what cannot be undone says why.
import { expect, test } from "./fixtures";
import { uniqueIp, uniqueReason } from "./mdr-page";

test.describe("undo from the action drawer", () => {
  test.beforeEach(async ({ mdr }) => {
    await mdr.goto();
  });

  test("a block is undone after confirming; cancelling sends nothing", async ({ mdr, page }) => {
    const ip = uniqueIp();
    await mdr.field("blockIp", "IP address or CIDR range").fill(ip);
    await mdr.field("blockIp", "Reason").fill(uniqueReason("undo"));
    const { status, body } = await mdr.submit("blockIp");
    expect(status).toBe(201);

    await mdr.row(body.id).click();
    await expect(mdr.drawer).toBeVisible();
    const undo = mdr.drawer.getByRole("button", { name: "Unblock address" });
    await expect(undo).toBeVisible();

    // Cancel: nothing is sent.
    await undo.click();
    await expect(mdr.confirmDialog).toContainText(ip);
    const before = mdr.posts.length;
    await mdr.confirmDialog.getByRole("button", { name: "Cancel" }).click();
    await expect(mdr.confirmDialog).toBeHidden();
    expect(mdr.posts.length).toBe(before);

    // Confirm: the reverse action is made, linked to the block.
    await undo.click();
    const answer = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`/actions/${body.id}/revert`));
    await mdr.confirmDialog.getByRole("button", { name: "Unblock address" }).click();
    const res = await answer;
    expect(res.status()).toBe(201);
    const reverse = await res.json();
    expect(reverse).toMatchObject({ type: "unblock_ip", status: "succeeded", target: ip, reverts: body.id, reason: "Undone from the page" });
    await expect(mdr.toast(reverse.id)).toContainText("Succeeded");
    await expect(mdr.drawer.getByTestId("undo-unavailable")).toContainText(`already reverted by ${reverse.id}`);
    await expect(mdr.drawer).toContainText(reverse.id);
    await page.keyboard.press("Escape");
    await expect(mdr.row(reverse.id)).toContainText("Unblock IP");
  });

  test("a hard delete says it cannot be undone, and offers no button", async ({ mdr }) => {
    await mdr.field("quarantine", "Message ID").fill("<CAH7x9bN3mK5jL7hG9fD2sA4pO6iU8yT1rE0wQzX@mail.gmail.com>");
    await mdr.field("quarantine", "Mailbox").fill("dave@contoso.com");
    await mdr.choose("quarantine", "Action", "Hard delete");
    await mdr.submitButton("quarantine").click();
    await expect(mdr.confirmDialog).toContainText("dave@contoso.com");
    const answer = mdr.waitForPost("quarantine");
    await mdr.confirmDialog.getByRole("button", { name: "Delete permanently" }).click();
    const { status, body } = await answer;
    expect(status).toBe(201);

    await mdr.row(body.id).click();
    await expect(mdr.drawer.getByTestId("undo-unavailable")).toContainText("permanently deleted the message: it cannot be undone");
    await expect(mdr.drawer.getByTestId("undo-button")).toHaveCount(0);
  });
});
