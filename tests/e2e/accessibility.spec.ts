// No axe violation at all (whatever its impact), in either theme; and containment by keyboard alone.
import AxeBuilder from "@axe-core/playwright";
import { AdminPage } from "./admin-page";
import { expect, test } from "./fixtures";
import { uniqueIps } from "./mdr-page";

/** Every violation of those rules, minor and moderate ones too, in a form that reads well in a diff. */
async function axeViolations(builder: AxeBuilder) {
  const { violations } = await builder.withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
  return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
}

for (const scheme of ["light", "dark"] as const) {
  test.describe(`axe, ${scheme} theme`, () => {
    // A scan of the whole page takes seconds on a busy two-core machine.
    test.slow();

    test.beforeEach(async ({ mdr, page, request }) => {
      // Something in every part of the page: rows of several status colours.
      await request.post("/api/v1/mdr/block-ip", { data: { ip: "185.220.1.1", firewall_type: "aws_sg", duration_hours: 1 } });
      await request.post("/api/v1/mdr/isolate", { data: { hostname: "ws-nothing-here" } });
      await page.emulateMedia({ colorScheme: scheme });
      await mdr.goto();
      await expect(page.locator("html")).toHaveClass(scheme === "dark" ? /\bdark\b/ : /^(?!.*\bdark\b)/);
    });

    test("no violation on /mdr", async ({ page }) => {
      expect(await axeViolations(new AxeBuilder({ page }))).toEqual([]);
    });

    test("none in the confirmation dialog, the field errors and the detail drawer", async ({ mdr, page }) => {
      await mdr.field("blockIp", "IP address or CIDR range").fill("not-an-address");
      await mdr.submitButton("blockIp").click();
      await mdr.expectFieldError("blockIp", "IP address or CIDR range", /must be an IPv4 or IPv6 address/);
      expect(await axeViolations(new AxeBuilder({ page }).include('[data-testid="block-ip-card"]'))).toEqual([]);

      await mdr.field("disableUser", "User principal name").fill("alice@contoso.com");
      await mdr.submitButton("disableUser").click();
      await expect(mdr.confirmDialog).toBeVisible();
      expect(await axeViolations(new AxeBuilder({ page }).include('[role="alertdialog"]'))).toEqual([]);
      await page.keyboard.press("Escape");

      await mdr.rows.first().click();
      await expect(mdr.drawer).toBeVisible();
      expect(await axeViolations(new AxeBuilder({ page }).include('[data-testid="action-drawer"]'))).toEqual([]);
    });

    test("none in a list's item errors, its progress panel and its bulk row opened", async ({ mdr, page }) => {
      const ips = uniqueIps(3);
      await mdr.field("blockIp", "IP address or CIDR range").fill(`${ips.join("\n")}\nnot-an-ip`);
      await mdr.form("blockIp").getByRole("button", { name: "Block 4 addresses" }).click();
      await expect(mdr.itemErrors("block-ip")).toHaveCount(1);
      expect(await axeViolations(new AxeBuilder({ page }).include('[data-testid="block-ip-card"]'))).toEqual([]);

      await mdr.field("blockIp", "IP address or CIDR range").fill(ips.join("\n"));
      const { body } = await mdr.submitCapturing("blockIp", () => mdr.form("blockIp").getByRole("button", { name: "Block 3 addresses" }).click());
      await expect(mdr.bulkProgress(body.bulk_id)).toHaveAttribute("data-done", "true");
      await mdr.bulkRow(body.bulk_id).getByRole("button", { name: /show its actions/ }).click();
      await expect(mdr.bulkMembers(body.bulk_id)).toHaveCount(3);
      expect(await axeViolations(new AxeBuilder({ page }).include('[data-testid="block-ip-card"]'))).toEqual([]);
      expect(await axeViolations(new AxeBuilder({ page }).include('[data-testid="actions-table"]'))).toEqual([]);
    });

    test("none on /admin, its field errors, a new token and a confirmation", async ({ page }) => {
      const admin = new AdminPage(page);
      await admin.goto();
      expect(await axeViolations(new AxeBuilder({ page }))).toEqual([]);

      await admin.form("protect").getByLabel("Pattern").fill("not a pattern!");
      await admin.form("protect").getByRole("button", { name: "Protect" }).click();
      await expect(admin.form("protect").getByLabel("Pattern")).toHaveAttribute("aria-invalid", "true");
      const name = `e2e-axe-${scheme}-${Date.now().toString(36)}`;
      await admin.form("token").getByLabel("Name").fill(name);
      await admin.form("token").getByRole("button", { name: "Create token" }).click();
      await expect(page.getByTestId("new-token")).toHaveValue(/^mdr_/);
      expect(await axeViolations(new AxeBuilder({ page }).include("main"))).toEqual([]);

      await admin.token(name).getByRole("button", { name: `Revoke token ${name}` }).click();
      await expect(admin.confirmDialog).toBeVisible();
      expect(await axeViolations(new AxeBuilder({ page }).include('[role="alertdialog"]'))).toEqual([]);
      await page.keyboard.press("Escape");
      await expect(admin.confirmDialog).toHaveCount(0);
    });
  });
}

test("an endpoint can be isolated with the keyboard alone", async ({ mdr, page }) => {
  await mdr.goto();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to response actions" })).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(mdr.field("isolate", "Hostname")).toBeFocused();
  await page.keyboard.type("ws-0144");
  await page.keyboard.press("Tab");
  const isolationType = mdr.form("isolate").getByRole("combobox", { name: "Isolation type" });
  await expect(isolationType).toBeFocused();
  await expect(isolationType).toHaveValue("Full");
  // A native select: the arrow keys change the choice in place.
  await page.keyboard.press("ArrowDown");
  await expect(isolationType).toHaveValue("Selective");
  await expect(mdr.form("isolate")).toContainText("Keeps Outlook, Teams and Skype working");
  await expect(isolationType).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(mdr.field("isolate", "Defender machine ID")).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(mdr.field("isolate", "Reason")).toBeFocused();
  await page.keyboard.type("keyboard only");
  const answer = mdr.waitForPost("isolate");
  await page.keyboard.press("Enter");
  const { body } = await answer;
  expect(body).toMatchObject({ target: "ws-0144", parameters: { isolation_type: "Selective" } });
  await expect(mdr.row(body.id)).toBeVisible();

  // The row's details open from the keyboard too.
  await mdr.row(body.id).getByRole("button", { name: /open details/ }).focus();
  await page.keyboard.press("Enter");
  await expect(mdr.drawer).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(mdr.drawer).toHaveCount(0);
});

test("a destructive action is confirmed from the keyboard", async ({ mdr, page }) => {
  await mdr.goto();
  await mdr.field("disableUser", "User principal name").fill("carol@contoso.com");
  await mdr.field("disableUser", "User principal name").press("Enter");
  await expect(mdr.confirmDialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(mdr.confirmDialog.getByRole("button", { name: "Disable user" })).toBeFocused();
  const answer = mdr.waitForPost("disableUser");
  await page.keyboard.press("Enter");
  const { body } = await answer;
  expect(body).toMatchObject({ target: "carol@contoso.com", status: "succeeded" });
});
