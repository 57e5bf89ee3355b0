// Response metrics (24 h) follow the audit log without a reload.
import { expect, test } from "./fixtures";
import { uniqueIp } from "./mdr-page";

test("the metrics change after an action", async ({ mdr, request }) => {
  // The page refreshes its metrics every 5 s, and must catch a moment when no other test acted.
  test.slow();
  await mdr.goto();
  await expect(mdr.metric("metric-success-rate")).toContainText(/%|—/);
  await expect(mdr.metric("metric-ttc")).toBeVisible();
  await expect(mdr.page.getByTestId("per-hour-chart")).toHaveAttribute("aria-label", /Actions per hour, last 24 hours/);

  await mdr.field("blockIp", "IP address or CIDR range").fill(uniqueIp());
  const { status, body } = await mdr.submit("blockIp");
  expect(status).toBe(201);

  // Other tests act on the same server in parallel, so "more than before" would hold without this
  // action. Instead: the page comes to show exactly what the server counts now, which includes
  // this action (its row is written before the 201), without a reload.
  const shown = async () => ({
    total: await mdr.metricNumber("metric-total-value"),
    blocks: await mdr.metricNumber("contained-blocks-value"),
    byType: await mdr.metric("metric-by-type").innerText(),
  });
  await expect
    .poll(async () => {
      const res = await request.get("/api/v1/mdr/metrics?hours=24");
      expect(res.status()).toBe(200);
      const m = await res.json();
      expect((await request.get(`/api/v1/mdr/actions/${body.id}`)).status()).toBe(200);
      const page = await shown();
      return page.total === m.total && page.blocks === m.contained_now.active_ip_blocks && page.byType.includes(`Block IP ${m.by_type.block_ip}`);
    }, { timeout: 45_000, message: "the page to show the server's metrics, this action included" })
    .toBe(true);
  await expect(mdr.metric("metric-ttc")).not.toContainText("—");
});
