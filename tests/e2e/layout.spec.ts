// The page's frame: where things are, the first paint, themes.
import { expect, test } from "./fixtures";
import { uniqueIp, uniqueReason } from "./mdr-page";

test("/ redirects to /mdr", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/mdr$/);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the server renders the first paint with real data, no spinner", async ({ page, request }) => {
    const reason = uniqueReason("first-paint");
    const ip = uniqueIp();
    const r = await request.post("/api/v1/mdr/block-ip", { data: { ip, reason } });
    expect(r.status()).toBe(201);
    const { id } = await r.json();

    await page.goto("/mdr");
    const row = page.locator(`[data-testid="action-row"][data-action-id="${id}"]`);
    await expect(row).toContainText(ip);
    await expect(row).toContainText(reason);
    await expect(row.getByTestId("status-badge")).toHaveText("Succeeded");
    await expect(page.getByTestId("overall-status")).toHaveText("Healthy");
    await expect(page.getByTestId("service-defender")).toContainText("Up");
    await expect(page.getByTestId("service-defender")).toContainText(/\d+ ms/);
    await expect(page.getByTestId("metric-total-value")).toHaveText(/^[1-9]\d*$/);
    await expect(page.getByTestId("simulation-banner")).toContainText("no real endpoint, firewall, account or mailbox is touched");
    await expect(page.getByText(/loading/i)).toHaveCount(0);
  });
});

test("two columns at 1440 px: content, and a sticky 18 rem sidebar on the right", async ({ mdr, page }) => {
  await mdr.goto();
  const sidebar = await page.getByTestId("sidebar").boundingBox();
  const main = await page.getByRole("main").boundingBox();
  expect(sidebar!.width).toBe(288);
  expect(sidebar!.x).toBeGreaterThan(main!.x + main!.width - 1);
  expect(Math.abs(sidebar!.y - main!.y)).toBeLessThan(2);
  await page.mouse.wheel(0, 1500);
  await expect.poll(async () => (await page.getByTestId("service-health").boundingBox())!.y).toBeLessThan(40);
  for (const s of ["defender", "graph", "azure_nsg", "aws"] as const) {
    await expect(mdr.service(s)).toHaveAttribute("data-status", "up");
    await expect(mdr.service(s)).toContainText("Up");
    await expect(mdr.service(s)).toContainText(/checked/);
  }
});

test("below 1024 px the sidebar moves above the content", async ({ mdr, page }) => {
  await page.setViewportSize({ width: 800, height: 900 });
  await mdr.goto();
  const sidebar = await page.getByTestId("sidebar").boundingBox();
  const main = await page.getByRole("main").boundingBox();
  expect(sidebar!.y + sidebar!.height).toBeLessThanOrEqual(main!.y);
  expect(Math.abs(sidebar!.width - main!.width)).toBeLessThan(2);
});

test("light and dark themes; the choice survives a reload", async ({ mdr, page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await mdr.goto();
  const html = page.locator("html");
  await expect(html).not.toHaveClass(/\bdark\b/);
  await page.getByRole("button", { name: "Toggle dark theme" }).click();
  await expect(html).toHaveClass(/\bdark\b/);
  await page.reload();
  await expect(html).toHaveClass(/\bdark\b/);
  await page.getByRole("button", { name: "Toggle dark theme" }).click();
  await expect(html).not.toHaveClass(/\bdark\b/);
});
