// Response metrics (24 h) follow the audit log without a reload.
import { expect, test } from "./fixtures";
import { uniqueIp } from "./mdr-page";

test("the metrics change after an action", async ({ mdr }) => {
  await mdr.goto();
  const total = await mdr.metricNumber("metric-total-value");
  const blocks = await mdr.metricNumber("contained-blocks-value");
  await expect(mdr.metric("metric-success-rate")).toContainText(/%|—/);
  await expect(mdr.metric("metric-ttc")).toBeVisible();
  await expect(mdr.page.getByTestId("per-hour-chart")).toHaveAttribute("aria-label", /Actions per hour, last 24 hours/);

  await mdr.field("blockIp", "IP address or CIDR range").fill(uniqueIp());
  const { status } = await mdr.submit("blockIp");
  expect(status).toBe(201);

  // Other tests act in parallel: at least one more.
  await expect.poll(() => mdr.metricNumber("metric-total-value")).toBeGreaterThan(total);
  await expect.poll(() => mdr.metricNumber("contained-blocks-value")).toBeGreaterThan(blocks);
  await expect(mdr.metric("metric-by-type")).toContainText(/Block IP \d+/);
  await expect(mdr.metric("metric-ttc")).not.toContainText("—");
});
