// Where the toast an action ends with goes: at 1440 px it sits in the sidebar's column, clear of the
// cards, so the analyst can go on with the form they just sent (the quarantine card's action select
// used to lie under it).
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { uniqueReason } from "./mdr-page";

test.use({ viewport: { width: 1440, height: 900 } });

type Box = { x: number; y: number; width: number; height: number };

const intersects = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The element's box once it has stopped moving (the toast slides in). */
async function settledBox(page: Page, locator: Locator): Promise<Box> {
  let last = "";
  let box: Box | null = null;
  await expect
    .poll(async () => {
      box = await locator.boundingBox();
      const now = JSON.stringify(box);
      const still = box !== null && now === last;
      last = now;
      if (!still) await page.waitForTimeout(100);
      return still;
    })
    .toBe(true);
  return box!;
}

test("at 1440x900 the success toast leaves the quarantine card's action select clear and clickable", async ({ mdr, page }) => {
  await mdr.goto();
  // A message of jdoe's mailbox no other test quarantines: the answer is a success.
  await mdr.field("quarantine", "Message ID").fill("<CAH7x9cV2bN4mQ6wE8rT0yU3iO5pA7sD9fG1hJkL@mail.gmail.com>");
  await mdr.field("quarantine", "Mailbox").fill("jdoe@contoso.com");
  await mdr.field("quarantine", "Reason").fill(uniqueReason("toast layout"));
  const { status, body } = await mdr.submit("quarantine");
  expect(status, JSON.stringify(body)).toBe(201);

  const toast = mdr.toast(body.id);
  await expect(toast).toBeVisible();
  await expect(toast).toHaveAttribute("data-type", "success");
  const toastBox = await settledBox(page, toast);

  // The analyst scrolls the card up or down while the toast is up: bring the select level with
  // the toast (where it used to lie under it), and check it got there.
  const select = mdr.form("quarantine").getByRole("combobox", { name: "Action" });
  const before = (await select.boundingBox())!;
  const delta = before.y + before.height / 2 - (toastBox.y + toastBox.height / 2);
  await page.evaluate((dy) => window.scrollBy(0, dy), delta);
  const selectBox = await settledBox(page, select);
  expect(Math.abs(selectBox.y + selectBox.height / 2 - (toastBox.y + toastBox.height / 2)), "the select is level with the toast").toBeLessThan(
    selectBox.height / 2,
  );
  expect(intersects(toastBox, selectBox), `toast ${JSON.stringify(toastBox)} over select ${JSON.stringify(selectBox)}`).toBe(false);
  // Nothing of the main column lies under it: the toast stays in the sidebar's column.
  const main = (await page.getByRole("main").boundingBox())!;
  expect(toastBox.x, "the toast starts right of the main column").toBeGreaterThanOrEqual(main.x + main.width);

  // The select takes a click on its arrow, its right end, where it is now while the toast is up: the
  // mouse at those coordinates (a locator's click would scroll the select from under a toast and retry).
  await expect(toast).toBeVisible();
  const arrow = { x: selectBox.x + selectBox.width - 8, y: selectBox.y + selectBox.height / 2 };
  const hit = await page.evaluate(({ x, y }) => {
    const el = document.elementFromPoint(x, y);
    return el?.closest("select")?.id ?? el?.outerHTML.slice(0, 120);
  }, arrow);
  expect(hit, "what lies at the select's arrow").toBe(await select.getAttribute("id"));
  await page.mouse.click(arrow.x, arrow.y);
  await expect(select).toBeFocused();
  await select.selectOption({ label: "Move to Junk" });
  await expect(select).toHaveValue("moveToJunk");
  await expect(toast).toBeVisible();
});
