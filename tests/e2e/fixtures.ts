import { test as base } from "@playwright/test";
import { MdrPage } from "./mdr-page";

export const test = base.extend<{ mdr: MdrPage }>({
  mdr: async ({ page }, provide) => {
    await provide(new MdrPage(page));
  },
  // Tests' own API calls go as the signed-in admin's browser would send them: with the session
  // cookie and our Origin (cookie requests that change something must carry it).
  request: async ({ playwright, baseURL, storageState }, provide) => {
    const api = await playwright.request.newContext({
      baseURL,
      storageState,
      extraHTTPHeaders: { origin: new URL(baseURL!).origin },
    });
    await provide(api);
    await api.dispose();
  },
});

export { expect } from "@playwright/test";
