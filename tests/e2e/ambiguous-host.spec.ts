// A short name two devices share: the API answers 409 with the candidates; the page lists them
// and isolates the one the analyst picks, by its machine id.
import { expect, test } from "./fixtures";

test("a 409 ambiguous host shows its candidates, and one can be picked", async ({ mdr }) => {
  await mdr.goto();
  await mdr.field("isolate", "Hostname").fill("ws-finance-07");
  await mdr.choose("isolate", "Isolation type", "Selective");
  const first = await mdr.submit("isolate");
  expect(first.status).toBe(409);
  expect(first.body.candidates).toHaveLength(2);

  const list = mdr.page.getByTestId("isolate-candidates");
  await expect(list).toContainText("ws-finance-07 matches 2 devices");
  const candidates = list.getByTestId("candidate");
  await expect(candidates).toHaveCount(2);
  await expect(candidates.nth(0)).toContainText("ws-finance-07.corp.contoso.com");
  await expect(candidates.nth(0)).toContainText("577bb136dbdc9997c1472e8957f67d7a224db109");
  await expect(candidates.nth(0)).toContainText(/Last seen .*ago/);
  await expect(candidates.nth(1)).toContainText("ws-finance-07.lab.contoso.com");
  await expect(candidates.nth(1)).toContainText("c51370c840812b6e3c1a42178735275ebd913bf9");

  const answer = mdr.waitForPost("isolate");
  await list.getByRole("button", { name: "Isolate ws-finance-07.lab.contoso.com" }).click();
  const second = await answer;
  expect(second.status).toBe(202);
  expect(second.body).toMatchObject({
    target: "ws-finance-07.lab.contoso.com",
    parameters: { machine_id: "c51370c840812b6e3c1a42178735275ebd913bf9", isolation_type: "Selective" },
  });
  await expect(list).toHaveCount(0);
  await expect(mdr.row(second.body.id)).toContainText("ws-finance-07.lab.contoso.com");
  // The refused first attempt is in the audit log too.
  await expect(mdr.row(first.body.action_id).getByTestId("status-badge")).toHaveText("Rejected");
});
