// Runs against the second server, started with MDR_SIM_FAULTS=graph:down.
import { expect, test } from "./fixtures";

test("the sidebar reflects a service marked down", async ({ mdr }) => {
  await mdr.goto();
  await expect(mdr.page.getByTestId("overall-status")).toHaveText("Degraded");
  await expect(mdr.service("graph")).toHaveAttribute("data-status", "down");
  await expect(mdr.service("graph")).toContainText("Down");
  await expect(mdr.service("graph")).toContainText("simulated outage");
  await expect(mdr.service("graph")).toContainText("—"); // no latency
  for (const s of ["defender", "azure_nsg", "aws"] as const) await expect(mdr.service(s)).toContainText("Up");
});

test("an action on the down service fails visibly, with its id", async ({ mdr }) => {
  await mdr.goto();
  await mdr.field("disableUser", "User principal name").fill("bob@contoso.com");
  await mdr.submitButton("disableUser").click();
  const answer = mdr.waitForPost("disableUser");
  await mdr.confirmDialog.getByRole("button", { name: "Disable user" }).click();
  const { status, body } = await answer;
  expect(status).toBe(503);
  await expect(mdr.form("disableUser").getByRole("alert")).toContainText("simulated outage");
  await expect(mdr.toast(body.action_id)).toContainText("Failed");
  await expect(mdr.row(body.action_id).getByTestId("status-badge")).toHaveText("Failed");
});
