// The recent actions table: live status, filters, cursor pages and the detail drawer.
import { expect, test } from "./fixtures";
import { uniqueIp, uniqueReason } from "./mdr-page";

test("an isolation's status advances in the table by itself", async ({ mdr, page }) => {
  await mdr.goto();
  let navigations = 0;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) navigations += 1;
  });
  await mdr.field("isolate", "Hostname").fill("ws-0143");
  await mdr.choose("isolate", "Isolation type", "Selective");
  const { status, body } = await mdr.submit("isolate");
  expect(status).toBe(202);
  expect(body.status).toBe("in_progress");

  const badge = mdr.row(body.id).getByTestId("status-badge");
  await expect(badge).toHaveText("In progress");
  await expect(badge).toHaveText("Succeeded", { timeout: 15_000 });
  expect(navigations).toBe(0);

  // Time is relative, exact on hover.
  const time = mdr.row(body.id).locator("time");
  await expect(time).toContainText(/just now|\d+s ago/);
  await time.hover();
  await expect(page.getByRole("tooltip")).toHaveText(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
  await expect(time).toHaveAttribute("datetime", body.created_at);

  // The drawer shows how it got there.
  await mdr.row(body.id).getByRole("button", { name: /open details/ }).click();
  const drawer = mdr.drawer;
  await expect(drawer.getByRole("heading", { name: "Isolate endpoint" })).toBeVisible();
  await expect(drawer.getByTestId("provider-ref")).toHaveText(/\S{8,}/);
  await expect(drawer.getByTestId("action-parameters")).toContainText("Selective");
  const timeline = drawer.getByTestId("action-timeline");
  await expect(timeline).toContainText("Requested by user:admin");
  await expect(timeline).toContainText(/Defender accepted the isolation/);
  await expect(timeline.getByTestId("status-badge").last()).toHaveText("Succeeded");
});

test("a row opens a drawer with parameters, provider reference, error and timeline", async ({ mdr, page, request }) => {
  const reason = uniqueReason("drawer");
  const refused = await request.post("/api/v1/mdr/isolate", { data: { hostname: "ws-nowhere-9", reason } });
  expect(refused.status()).toBe(404);
  const { action_id: id } = await refused.json();
  await mdr.goto();

  await mdr.row(id).click();
  const drawer = mdr.drawer;
  await expect(drawer).toBeVisible();
  await expect(drawer).toContainText(id);
  await expect(drawer).toContainText("ws-nowhere-9");
  await expect(drawer.getByTestId("action-error")).toContainText("No device named ws-nowhere-9");
  await expect(drawer.getByTestId("action-parameters")).toContainText("hostname");
  await expect(drawer.getByTestId("action-parameters")).toContainText("Full");
  await expect(drawer.getByTestId("provider-ref")).toHaveText("—");
  await expect(drawer).toContainText(reason);
  await expect(drawer.getByTestId("action-timeline").getByTestId("status-badge")).toHaveText(["Pending", "Rejected"]);

  await page.keyboard.press("Escape");
  await expect(drawer).toHaveCount(0);
});

test("filter by type and status", async ({ mdr, request }) => {
  const ip = uniqueIp();
  const blocked = await (await request.post("/api/v1/mdr/block-ip", { data: { ip } })).json();
  const refused = await (await request.post("/api/v1/mdr/disable-user", { data: { upn: "nobody-here@contoso.com" } })).json();
  await mdr.goto();
  await expect(mdr.row(blocked.id)).toBeVisible();

  await mdr.filter("type", "Block IP");
  await expect(mdr.row(blocked.id)).toBeVisible();
  await expect(mdr.row(refused.action_id)).toHaveCount(0);
  for (const text of await mdr.rows.getByRole("button", { name: /open details/ }).allInnerTexts()) expect(text).toBe("Block IP");

  await mdr.filter("status", "Rejected");
  await expect(mdr.row(blocked.id)).toHaveCount(0);
  await mdr.filter("type", "Disable user");
  await expect(mdr.row(refused.action_id)).toBeVisible();
  const statuses = await mdr.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
  expect(new Set(statuses)).toEqual(new Set(["rejected"]));

  await mdr.filter("type", "All types");
  await mdr.filter("status", "All statuses");
  await expect(mdr.row(blocked.id)).toBeVisible();
});

test("cursor pagination walks older and back to newer", async ({ mdr, request }) => {
  // More than a page (20) of this test's own actions, oldest first.
  const ids: string[] = [];
  for (let i = 0; i < 22; i++) {
    const r = await request.post("/api/v1/mdr/block-ip", { data: { ip: uniqueIp(), duration_hours: 1 } });
    expect(r.status()).toBe(201);
    ids.push((await r.json()).id);
  }
  await mdr.goto();
  await mdr.filter("type", "Block IP");
  const newest = ids.at(-1)!;
  await expect(mdr.row(newest)).toBeVisible();
  await expect(mdr.rows).toHaveCount(20);
  const firstPage = await mdr.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action-id")));

  const older = mdr.page.getByRole("button", { name: "Older" });
  const newer = mdr.page.getByRole("button", { name: "Newer" });
  await expect(newer).toBeDisabled();
  // The cursor is the last row shown when Older is clicked: the first page may have moved on by
  // then (other specs add blocks in parallel), so the page's own request says which it was.
  const [asked] = await Promise.all([
    mdr.page.waitForRequest((r) => r.url().includes("/api/v1/mdr/actions?") && new URL(r.url()).searchParams.has("cursor")),
    older.click(),
  ]);
  const cursor = new URL(asked.url()).searchParams.get("cursor")!;
  expect(firstPage.includes(cursor) || cursor < firstPage[0]!).toBe(true);
  await expect(mdr.page.getByText(/^Page 2/)).toBeVisible();
  await expect(mdr.row(newest)).toHaveCount(0);
  const secondPage = await mdr.rows.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action-id")));
  expect(secondPage.length).toBeGreaterThan(0);
  // Strictly older than the cursor: no overlap with the page it followed.
  expect(secondPage.every((id) => id! < cursor)).toBe(true);

  await newer.click();
  await expect(mdr.row(newest)).toBeVisible();
});
