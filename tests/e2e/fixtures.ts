import { test as base } from "@playwright/test";
import { MdrPage } from "./mdr-page";

export const test = base.extend<{ mdr: MdrPage }>({
  mdr: async ({ page }, provide) => {
    await provide(new MdrPage(page));
  },
});

export { expect } from "@playwright/test";
