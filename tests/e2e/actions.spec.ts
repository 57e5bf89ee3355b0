// Every card contains its target from the page, and the action shows in the table with its
// status, and in a toast with its id.
import { expect, test } from "./fixtures";
import { uniqueIp, uniqueReason } from "./mdr-page";

test.describe("each card submits and its action appears in the table", () => {
  test.beforeEach(async ({ mdr }) => {
    await mdr.goto();
  });

  test("Isolate endpoint: Full isolation after confirming", async ({ mdr }) => {
    const reason = uniqueReason("isolate");
    await mdr.field("isolate", "Hostname").fill("ws-0142");
    await mdr.field("isolate", "Reason").fill(reason);
    await expect(mdr.form("isolate").getByRole("combobox", { name: "Isolation type" })).toHaveValue("Full");
    await mdr.submitButton("isolate").click();

    const dialog = mdr.confirmDialog;
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("ws-0142");
    const answer = mdr.waitForPost("isolate");
    await dialog.getByRole("button", { name: "Isolate device" }).click();
    const { status, body } = await answer;

    expect(status).toBe(202);
    expect(body).toMatchObject({ type: "isolate_endpoint", target: "ws-0142", parameters: { isolation_type: "Full" }, reason });
    await expect(mdr.toast(body.id)).toContainText(/In progress|Succeeded/);
    const row = mdr.row(body.id);
    await expect(row).toBeVisible();
    await expect(row).toContainText("Isolate endpoint");
    await expect(row).toContainText("ws-0142");
    await expect(row).toContainText(reason);
    await expect(row).toContainText("Defender");
    await expect(row).toContainText("user:admin");
    // The target field is cleared for the next one; the reason stays (same incident).
    await expect(mdr.field("isolate", "Hostname")).toHaveValue("");
    await expect(mdr.field("isolate", "Reason")).toHaveValue(reason);
  });

  test("Block IP: Azure NSG with a priority, for 7 days", async ({ mdr }) => {
    const ip = uniqueIp();
    const reason = uniqueReason("block");
    // Priority belongs to the NSG only: hidden until that firewall is chosen.
    await expect(mdr.field("blockIp", /NSG priority/)).toHaveCount(0);
    await mdr.field("blockIp", "IP address or CIDR range").fill(ip);
    await mdr.choose("blockIp", "Firewall", "Azure NSG");
    await expect(mdr.field("blockIp", /NSG priority/)).toBeVisible();
    await mdr.field("blockIp", /NSG priority/).fill("4000");
    await mdr.form("blockIp").getByRole("radio", { name: "7 days" }).click();
    await expect(mdr.field("blockIp", "Duration (hours)")).toHaveValue("168");
    await mdr.field("blockIp", "Reason").fill(reason);

    const { status, body } = await mdr.submit("blockIp");
    expect(status).toBe(201);
    expect(body).toMatchObject({
      type: "block_ip",
      status: "succeeded",
      target: ip,
      provider: "azure_nsg",
      parameters: { ip, firewall_type: "azure_nsg", priority: 4000, duration_hours: 168 },
    });
    await expect(mdr.toast(body.id)).toContainText("Succeeded");
    const row = mdr.row(body.id);
    await expect(row).toContainText("Block IP");
    await expect(row).toContainText(ip);
    await expect(row).toContainText("Azure NSG");
    await expect(row.getByTestId("status-badge")).toHaveText("Succeeded");
  });

  test("Block IP: a custom duration on the default Defender indicator", async ({ mdr }) => {
    const ip = uniqueIp();
    await mdr.field("blockIp", "IP address or CIDR range").fill(ip);
    await mdr.field("blockIp", "Duration (hours)").fill("2.5");
    await expect(mdr.form("blockIp").getByRole("radio", { name: "24 hours" })).not.toBeChecked();
    const { status, body } = await mdr.submit("blockIp");
    expect(status).toBe(201);
    expect(body).toMatchObject({ provider: "defender", parameters: { duration_hours: 2.5, priority: null } });
    await expect(mdr.row(body.id)).toContainText(ip);
    // Submitted, not in force everywhere at once: the toast says what devices need and how long it takes.
    await expect(mdr.toast(body.id)).toContainText("Succeeded");
    await expect(mdr.toast(body.id)).toContainText(
      "Submitted: devices enforce it only with network protection in block mode and Custom network indicators on " +
        "(Settings > Endpoints > General > Advanced features); it can take up to 48 hours to reach them, usually under 2.",
    );
  });

  test("Disable user: the confirmation repeats the account", async ({ mdr }) => {
    const reason = uniqueReason("disable");
    await mdr.field("disableUser", "User principal name").fill("dave@contoso.com");
    await mdr.field("disableUser", "Reason").fill(reason);
    await mdr.submitButton("disableUser").click();

    await expect(mdr.confirmDialog).toContainText("dave@contoso.com");
    await expect(mdr.confirmDialog).toContainText(/revoked/);
    const answer = mdr.waitForPost("disableUser");
    await mdr.confirmDialog.getByRole("button", { name: "Disable user" }).click();
    const { status, body } = await answer;

    expect(status).toBe(201);
    expect(body).toMatchObject({ type: "disable_user", status: "succeeded", target: "dave@contoso.com", parameters: { revoke_sessions: true } });
    await expect(mdr.toast(body.id)).toContainText("Succeeded");
    await expect(mdr.row(body.id)).toContainText("dave@contoso.com");
    await expect(mdr.row(body.id)).toContainText("Graph");
  });

  test("Quarantine email: soft delete of the phishing message", async ({ mdr }) => {
    const reason = uniqueReason("quarantine");
    await mdr.field("quarantine", "Message ID").fill("<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>");
    await mdr.field("quarantine", "Mailbox").fill("bob@contoso.com");
    await mdr.field("quarantine", "Reason").fill(reason);
    const { status, body } = await mdr.submit("quarantine");

    expect(status).toBe(201);
    expect(body).toMatchObject({
      type: "quarantine_email",
      status: "succeeded",
      parameters: { user_principal_name: "bob@contoso.com", action: "softDelete" },
    });
    await expect(mdr.toast(body.id)).toContainText("Succeeded");
    await expect(mdr.row(body.id)).toContainText("Quarantine email");
    await expect(mdr.row(body.id)).toContainText(reason);
  });

  test("Quarantine email: hard delete after confirming", async ({ mdr }) => {
    await mdr.field("quarantine", "Message ID").fill("<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>");
    await mdr.field("quarantine", "Mailbox").fill("carol@contoso.com");
    await mdr.choose("quarantine", "Action", "Hard delete");
    await mdr.submitButton("quarantine").click();
    await expect(mdr.confirmDialog).toContainText("carol@contoso.com");
    await expect(mdr.confirmDialog).toContainText("cannot be undone");
    const answer = mdr.waitForPost("quarantine");
    await mdr.confirmDialog.getByRole("button", { name: "Delete permanently" }).click();
    const { body } = await answer;
    expect(body).toMatchObject({ status: "succeeded", parameters: { action: "hardDelete" } });
    await expect(mdr.row(body.id)).toBeVisible();
  });

  test("a refused action is a row too, with its id in the toast", async ({ mdr }) => {
    await mdr.field("isolate", "Hostname").fill("ws-does-not-exist");
    await mdr.choose("isolate", "Isolation type", "Selective");
    const { status, body } = await mdr.submit("isolate");
    expect(status).toBe(404);
    await expect(mdr.form("isolate").getByRole("alert")).toContainText("No device named ws-does-not-exist");
    await expect(mdr.toast(body.action_id)).toContainText("Rejected");
    await expect(mdr.row(body.action_id).getByTestId("status-badge")).toHaveText("Rejected");
  });
});
