// The forms check with the API's own schemas, field by field, before anything is sent; what only
// the server can know comes back as problem+json and lands on the field it names.
import { expect, test } from "./fixtures";
import { uniqueIp } from "./mdr-page";

test.beforeEach(async ({ mdr }) => {
  await mdr.goto();
});

test("an invalid hostname is shown on the Hostname field and nothing is sent", async ({ mdr }) => {
  await mdr.field("isolate", "Hostname").fill("ws_0142!");
  await mdr.field("isolate", "Reason").focus(); // leaving the field checks it
  await mdr.expectFieldError("isolate", "Hostname", /must be a DNS name/i);
  await mdr.expectNoFieldError("isolate", "Reason");

  await mdr.submitButton("isolate").click();
  await expect(mdr.field("isolate", "Hostname")).toBeFocused();
  await expect(mdr.confirmDialog).toHaveCount(0);

  // Corrected, the error goes as it is typed.
  await mdr.field("isolate", "Hostname").fill("ws-0142");
  await mdr.expectNoFieldError("isolate", "Hostname");
  expect(mdr.posts).toEqual([]);
});

test("an empty target is required on submit, not while tabbing past it", async ({ mdr }) => {
  await mdr.field("isolate", "Hostname").focus();
  await mdr.field("isolate", "Reason").focus();
  await mdr.expectNoFieldError("isolate", "Hostname");
  await mdr.submitButton("isolate").click();
  await mdr.expectFieldError("isolate", "Hostname", /is required unless machine_id is given/);

  await mdr.submitButton("disableUser").click();
  await mdr.expectFieldError("disableUser", "User principal name", /is required/);

  await mdr.submitButton("quarantine").click();
  await mdr.expectFieldError("quarantine", "Message ID", /is required/);
  await mdr.expectFieldError("quarantine", "Mailbox", /is required/);
  expect(mdr.posts).toEqual([]);
});

test("Block IP: each rule is reported on the field it concerns", async ({ mdr }) => {
  const ip = mdr.field("blockIp", "IP address or CIDR range");
  await ip.fill("10.0.0.300");
  await mdr.submitButton("blockIp").click();
  await mdr.expectFieldError("blockIp", "IP address or CIDR range", /must be an IPv4 or IPv6 address/);

  await ip.fill("0.0.0.0/0");
  await mdr.expectFieldError("blockIp", "IP address or CIDR range", /too wide to block/);

  // A range is fine on a firewall, not as a Defender indicator (the default).
  await ip.fill("45.155.205.0/24");
  await mdr.submitButton("blockIp").click();
  await mdr.expectFieldError("blockIp", "IP address or CIDR range", /Defender indicators take single addresses only/);
  await mdr.choose("blockIp", "Firewall", "AWS network ACL");
  await mdr.expectNoFieldError("blockIp", "IP address or CIDR range");

  await mdr.field("blockIp", "Duration (hours)").fill("0");
  await mdr.submitButton("blockIp").click();
  await mdr.expectFieldError("blockIp", "Duration (hours)", /must be greater than 0/);
  await mdr.field("blockIp", "Duration (hours)").fill("9000");
  await mdr.expectFieldError("blockIp", "Duration (hours)", /at most 8760/);

  await mdr.choose("blockIp", "Firewall", "Azure NSG");
  await mdr.field("blockIp", "Duration (hours)").fill("1");
  await mdr.field("blockIp", /NSG priority/).fill("50");
  await mdr.submitButton("blockIp").click();
  await mdr.expectFieldError("blockIp", "NSG priority (optional)", /between 100 and 4096/);
  await mdr.expectNoFieldError("blockIp", "Duration (hours)");
  expect(mdr.posts).toEqual([]);
});

test("Disable user and Quarantine email check their fields", async ({ mdr }) => {
  // One item (spaces would make it a list of three, each named: tests/e2e/bulk-identity.spec.ts).
  await mdr.field("disableUser", "User principal name").fill("not-an-upn");
  await mdr.submitButton("disableUser").click();
  await mdr.expectFieldError("disableUser", "User principal name", /must be a user principal name/);
  await expect(mdr.confirmDialog).toHaveCount(0);

  await mdr.field("quarantine", "Message ID").fill("no angle brackets @ all");
  await mdr.field("quarantine", "Mailbox").fill("alice@contoso.com");
  await mdr.submitButton("quarantine").click();
  await mdr.expectFieldError("quarantine", "Message ID", /must be an RFC 5322 Message-ID/);
  await mdr.expectNoFieldError("quarantine", "Mailbox");
  // A list of mailboxes: the bulk request's schema says the same of the message, on its field.
  await mdr.field("quarantine", "Mailbox").fill("alice@contoso.com, bob@contoso.com");
  await mdr.form("quarantine").getByRole("button", { name: "Quarantine in 2 mailboxes" }).click();
  await mdr.expectFieldError("quarantine", "Message ID", /must be an RFC 5322 Message-ID/);
  await mdr.expectNoFieldError("quarantine", "Mailbox");
  expect(mdr.posts).toEqual([]);
});

test("the server's field errors (problem+json errors[]) land on the field they name", async ({ mdr }) => {
  // Only the server knows that this machine id is another device than ws-0143.
  await mdr.field("isolate", "Hostname").fill("ws-0143");
  await mdr.field("isolate", /Defender machine ID/).fill("6a61f9fc25b7fb7ba58120d1ee59660d07744bd6");
  await mdr.choose("isolate", "Isolation type", "Selective");
  const { status, body } = await mdr.submit("isolate");
  expect(status).toBe(422);
  expect(body.errors).toEqual([{ path: "hostname", message: expect.stringContaining("does not match machine") }]);
  await mdr.expectFieldError("isolate", "Hostname", /does not match machine 6a61f9fc25b7fb7ba58120d1ee59660d07744bd6/);
  await expect(mdr.field("isolate", "Hostname")).toBeFocused();
});

test("submit is disabled while the request is on its way", async ({ mdr, page }) => {
  // Hold the answer back so the in-flight state can be seen.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/api/v1/mdr/block-ip", async (route) => {
    await held;
    await route.continue();
  });
  await mdr.field("blockIp", "IP address or CIDR range").fill(uniqueIp());
  await mdr.form("blockIp").getByRole("button", { name: "Block IP" }).click();
  const busy = mdr.form("blockIp").getByRole("button", { name: /Blocking/ });
  await expect(busy).toBeDisabled();
  release();
  await expect(mdr.form("blockIp").getByRole("button", { name: "Block IP" })).toBeEnabled();
  expect(mdr.posts).toEqual(["/api/v1/mdr/block-ip"]);
});
