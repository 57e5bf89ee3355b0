// A list of hosts isolated from the Isolate endpoint card, when Defender's rate limit cannot take
// them all at once: the answer says some are queued, and the progress panel follows the bulk until
// every host is isolated. The e2e servers lift the rate limit, so this file starts its own
// simulation server with Defender held to 2 calls a second and generated hosts to isolate.
import { type Page, expect, test } from "@playwright/test";
import { type TestServer, startServer } from "../support/server";
import { MdrPage } from "./mdr-page";

test.describe.configure({ mode: "serial" });

const PASSWORD = "correct horse battery staple";
const HOSTS = Array.from({ length: 20 }, (_, i) => `fleet-${String(i + 1).padStart(6, "0")}`);

let server: TestServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  server = await startServer(
    {
      MDR_MODE: "simulation",
      MDR_ADMIN_PASSWORD: PASSWORD,
      MDR_SIM_EXTRA_DEVICES: "40",
      MDR_SIM_FAILURE_RATE: "0",
      MDR_SIM_FAULTS: "",
      // 20 isolations cannot all go within the request's wait (about 5 s): some are answered `queued`.
      MDR_RATE_LIMIT_DEFENDER: "2/1s",
      MDR_QUEUE_INTERVAL_MS: "200",
    },
    "e2e-bulk-queue",
  );
});

test.afterAll(async () => {
  await server?.stop();
});

async function signIn(page: Page) {
  await page.goto(`${server!.url}/login`);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/mdr$/);
}

test("a list of hosts: checked, confirmed by count, answered with some queued, followed until all are isolated", async ({ browser }) => {
  test.setTimeout(150_000);
  const context = await browser.newContext({ baseURL: server!.url, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page);
  const mdr = new MdrPage(page);
  await mdr.goto();
  const field = mdr.field("isolate", "Hostname");

  // An address among the hosts, and a repeat told apart only by case and a trailing dot.
  await field.fill(`${HOSTS.slice(0, 3).join("\n")}\n10.0.0.7\nFLEET-000001.`);
  await expect(page.getByTestId("isolate-hostname-count")).toHaveText("5 hosts");
  await expect(mdr.field("isolate", "Defender machine ID")).toHaveCount(0);
  await mdr.form("isolate").getByRole("button", { name: "Isolate 5 hosts" }).click();
  await mdr.expectFieldError("isolate", "Hostname", /2 of 5 hosts cannot be sent: fix or remove them/);
  await expect(mdr.itemErrors("isolate-hostname")).toHaveText([
    "10.0.0.7 (item 4): must be a hostname, not an IP address or a number",
    "FLEET-000001. (item 5): repeats item 1; each target once",
  ]);
  await expect(mdr.confirmDialog).toHaveCount(0);
  expect(mdr.posts).toEqual([]);

  // The whole list, comma separated; Full isolation asks first, naming the count and the hosts.
  await field.fill(HOSTS.join(", "));
  await mdr.expectNoFieldError("isolate", "Hostname");
  await expect(page.getByTestId("isolate-hostname-count")).toHaveText("20 hosts");
  await mdr.form("isolate").getByRole("button", { name: "Isolate 20 hosts" }).click();
  await expect(mdr.confirmDialog.getByRole("heading")).toHaveText("Fully isolate 20 hosts?");
  await expect(mdr.confirmDialog).toContainText(`${HOSTS.slice(0, 8).join(", ")} and 12 more`);
  const { sent, status, body } = await mdr.submitCapturing("isolate", () =>
    mdr.confirmDialog.getByRole("button", { name: "Isolate 20 hosts" }).click(),
  );
  expect(sent).toEqual({ hostnames: HOSTS, isolation_type: "Full" });
  expect(status).toBe(202);
  const bulkId: string = body.bulk_id;
  const statuses: string[] = body.results.map((r: { status: string }) => r.status);
  const queued = statuses.filter((s) => s === "queued").length;
  expect(queued).toBeGreaterThan(0);
  expect(body.results.map((r: { target: string }) => r.target)).toEqual(HOSTS);

  // The toast says how the answer stood, queued ones included.
  await expect(mdr.toast(bulkId)).toContainText(new RegExp(`^20 hosts: .*${queued} queued`));

  // While some wait: the panel counts them and says when they should have gone out.
  const panel = mdr.bulkProgress(bulkId);
  await expect(panel).toHaveAttribute("data-done", "false");
  await expect(panel.getByTestId("bulk-count").filter({ hasText: "queued" })).toBeVisible();
  await expect(panel.getByTestId("bulk-estimate")).toHaveText(/^(in \d+ s|any moment)/);
  const bar = panel.getByRole("progressbar", { name: "Isolate endpoint: 20 hosts" });
  await expect(bar).toHaveAttribute("aria-valuemax", "20");

  // Followed to its end: every host isolated, nothing queued or failed.
  await expect(panel).toHaveAttribute("data-done", "true", { timeout: 90_000 });
  await expect(bar).toHaveAttribute("aria-valuenow", "20");
  await expect(panel.getByTestId("bulk-summary")).toHaveText("Done: 20 of 20");
  await expect(panel.getByTestId("bulk-count")).toHaveText(["20 isolated"]);
  await expect(panel.getByTestId("bulk-estimate")).toHaveCount(0);

  // The table's bulk row: all twenty succeeded; opened, the twenty hosts.
  const row = mdr.bulkRow(bulkId);
  await expect(row.getByTestId("bulk-marker")).toHaveText("Bulk · 20");
  await expect(row.getByTestId("bulk-statuses")).toHaveText("20 Succeeded");
  await row.getByRole("button", { name: /show its actions/ }).click();
  await expect(mdr.bulkMembers(bulkId)).toHaveCount(20);
  await expect(mdr.bulkMembers(bulkId).locator("td:nth-child(3)")).toHaveText([...HOSTS].reverse());
  await context.close();
});
