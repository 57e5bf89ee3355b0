// A pasted list in the Block IP card: counted and checked item by item before anything is sent
// (the API's own item schemas), sent as one bulk request (`ips`), followed in a progress panel to
// its end, and shown in the recent actions as one row that opens to its actions.
import { expect, test } from "./fixtures";
import { uniqueIps, uniqueReason } from "./mdr-page";

const IP_FIELD = "IP address or CIDR range";

test.beforeEach(async ({ mdr }) => {
  await mdr.goto();
});

test("a pasted list: repeats and invalid items named inline, then blocked as one bulk and followed to its end", async ({ mdr, page }) => {
  const [a, b, c, d, e] = uniqueIps(5) as [string, string, string, string, string];
  const reason = uniqueReason("bulk block");
  const field = mdr.field("blockIp", IP_FIELD);

  // Mixed separators (lines, a comma, a space), one invalid item and one repeat: six items.
  await field.fill(`${a}\n${b}, ${c} ${d}\nnot-an-ip\n${a}`);
  await expect(page.getByTestId("block-ip-count")).toHaveText("6 addresses");
  await expect(mdr.form("blockIp").getByRole("button", { name: "Block 6 addresses" })).toBeVisible();
  await mdr.form("blockIp").getByRole("button", { name: "Block 6 addresses" }).click();
  await mdr.expectFieldError("blockIp", IP_FIELD, /2 of 6 addresses cannot be sent: fix or remove them/);
  await expect(mdr.itemErrors("block-ip")).toHaveText([
    "not-an-ip (item 5): must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24",
    `${a} (item 6): repeats item 1; each target once`,
  ]);
  expect(mdr.posts).toEqual([]);

  // Fixed: the errors go as it is corrected, and the button says what it will do.
  await field.fill(`${a}\n${b}, ${c} ${d}\n${e}`);
  await mdr.expectNoFieldError("blockIp", IP_FIELD);
  await expect(mdr.itemErrors("block-ip")).toHaveCount(0);
  await expect(page.getByTestId("block-ip-count")).toHaveText("5 addresses");
  await mdr.field("blockIp", "Reason").fill(reason);
  const submit = mdr.form("blockIp").getByRole("button", { name: "Block 5 addresses" });
  const { sent, status, body } = await mdr.submitCapturing("blockIp", () => submit.click());

  // One bulk request with the list, the card's settings once.
  expect(sent).toEqual({ ips: [a, b, c, d, e], firewall_type: "defender", duration_hours: 24, reason });
  expect(status).toBe(207);
  const bulkId: string = body.bulk_id;
  expect(bulkId).toMatch(/^blk_/);
  expect(body.results.map((r: { target: string; status: string; http_status: number }) => [r.target, r.status, r.http_status])).toEqual(
    [a, b, c, d, e].map((ip) => [ip, "succeeded", 201]),
  );

  // The toast sums the answer up; the field is cleared for the next list.
  await expect(mdr.toast(bulkId)).toContainText("5 addresses: 5 blocked");
  await expect(field).toHaveValue("");
  await expect(mdr.form("blockIp").getByRole("button", { name: "Block IP" })).toBeVisible();

  // The progress panel: all five done, said in text and by the bar's value.
  const panel = mdr.bulkProgress(bulkId);
  await expect(panel).toHaveAttribute("data-done", "true");
  await expect(panel.getByRole("heading")).toHaveText("Block IP: 5 addresses");
  const bar = panel.getByRole("progressbar", { name: "Block IP: 5 addresses" });
  await expect(bar).toHaveAttribute("aria-valuenow", "5");
  await expect(bar).toHaveAttribute("aria-valuemax", "5");
  await expect(bar).toHaveAttribute("aria-valuetext", "5 of 5 done");
  await expect(panel.getByTestId("bulk-summary")).toHaveText("Done: 5 of 5");
  await expect(panel.getByTestId("bulk-count")).toHaveText(["5 blocked"]);
  await expect(panel.getByTestId("bulk-failure")).toHaveCount(0);

  // The table: one row for the bulk, its five actions under it once opened.
  const row = mdr.bulkRow(bulkId);
  await expect(row.getByTestId("bulk-marker")).toHaveText("Bulk · 5");
  await expect(row.getByTestId("bulk-statuses")).toHaveText("5 Succeeded");
  await expect(row).toContainText(reason);
  await expect(mdr.bulkMembers(bulkId)).toHaveCount(0);
  const toggle = row.getByRole("button", { name: "Block IP, bulk of 5 targets: show its actions" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(row.getByRole("button", { name: "Block IP, bulk of 5 targets: hide its actions" })).toHaveAttribute("aria-expanded", "true");
  await expect(mdr.bulkMembers(bulkId)).toHaveCount(5);
  // The rows come newest first: the list's last address on top.
  await expect(mdr.bulkMembers(bulkId).locator("td:nth-child(3)")).toHaveText([e, d, c, b, a]);
  for (const r of body.results) await expect(mdr.row(r.id)).toHaveAttribute("data-status", "succeeded");

  // It stays until dismissed.
  await panel.getByRole("button", { name: `Dismiss the progress of ${bulkId}` }).click();
  await expect(panel).toHaveCount(0);
});

test("more than 500 addresses are refused before sending, saying to split the list", async ({ mdr, page }) => {
  const many = Array.from({ length: 501 }, (_, i) => `203.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  await mdr.field("blockIp", IP_FIELD).fill(many.join("\n"));
  await expect(page.getByTestId("block-ip-count")).toHaveText("501 addresses");
  await mdr.form("blockIp").getByRole("button", { name: "Block 501 addresses" }).click();
  await mdr.expectFieldError("blockIp", IP_FIELD, /Must name at most 500 targets; split the list/);
  expect(mdr.posts).toEqual([]);
});

test("one address is the single request, as before; the NSG priority applies to it only", async ({ mdr, page }) => {
  const [a, b] = uniqueIps(2) as [string, string];
  await mdr.choose("blockIp", "Firewall", "Azure NSG");
  await mdr.field("blockIp", IP_FIELD).fill(`${a}, ${b}`);
  await expect(mdr.field("blockIp", /NSG priority/)).toHaveCount(0);
  await expect(page.getByTestId("block-list-priority")).toBeVisible();

  await mdr.field("blockIp", IP_FIELD).fill(` ${a}\n`);
  await expect(page.getByTestId("block-ip-count")).toHaveCount(0);
  await mdr.field("blockIp", /NSG priority/).fill("4077");
  const { sent, status, body } = await mdr.submitCapturing("blockIp", () => mdr.submitButton("blockIp").click());
  expect(sent).toEqual({ ip: a, firewall_type: "azure_nsg", priority: 4077, duration_hours: 24 });
  expect(status).toBe(201);
  expect(body).toMatchObject({ target: a, status: "succeeded", parameters: { priority: 4077 } });
  await expect(mdr.row(body.id)).toBeVisible();
  await expect(page.getByTestId("bulk-progress")).toHaveCount(0);
});

test("a target that cannot be done is listed in the panel with why; the others are blocked", async ({ mdr, request }) => {
  const [a, b, c] = uniqueIps(3) as [string, string, string];
  const first = await request.post("/api/v1/mdr/block-ip", { data: { ip: b } });
  expect(first.status()).toBe(201);

  await mdr.field("blockIp", IP_FIELD).fill(`${a} ${b} ${c}`);
  const { status, body } = await mdr.submitCapturing("blockIp", () =>
    mdr.form("blockIp").getByRole("button", { name: "Block 3 addresses" }).click(),
  );
  expect(status).toBe(207);
  const already = body.results.find((r: { target: string }) => r.target === b);
  // Recorded as refused (rejected), as a single request for it would have been.
  expect(already).toMatchObject({ status: "rejected", http_status: 409 });
  const bulkId: string = body.bulk_id;
  const outcome = "rejected";

  await expect(mdr.toast(bulkId)).toContainText(`3 addresses: 2 blocked, 1 ${outcome}`);
  const panel = mdr.bulkProgress(bulkId);
  await expect(panel).toHaveAttribute("data-done", "true");
  await expect(panel.getByTestId("bulk-summary")).toHaveText("Done: 3 of 3");
  await expect(panel.getByTestId("bulk-count")).toHaveText(["2 blocked", `1 ${outcome}`]);
  await expect(panel.getByTestId("bulk-failure")).toHaveText([`${b} (${outcome}): ${already.error.detail}`]);
});
