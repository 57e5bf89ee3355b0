// Signs each server's first admin in once, through the API as the page does, and keeps the
// browser state (the session cookie) for the page tests.
import { expect, test as setup } from "@playwright/test";
import { adminState } from "./state";

setup("the first admin signs in", async ({ playwright, baseURL }) => {
  const api = await playwright.request.newContext({ baseURL });
  const r = await api.post("/api/v1/auth/login", {
    data: { username: "admin", password: process.env.MDR_E2E_ADMIN_PASSWORD },
  });
  expect(r.status(), await r.text()).toBe(200);
  expect(r.headers()["set-cookie"]).toMatch(/^mdr_session=[\w-]{43}; Path=\/; Expires=.+; HttpOnly; SameSite=Lax$/);
  await api.storageState({ path: adminState(baseURL!) });
  await api.dispose();
});
