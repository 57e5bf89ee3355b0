// Page object of /admin: sections, forms, rows and the confirmation, found by role, label and
// test id.
import { type Locator, type Page, type Response, expect } from "@playwright/test";
import type { Json } from "./mdr-page";

export const FORMS = {
  protect: "Protect an asset",
  token: "Create an API token",
  user: "Add a user",
} as const;

export class AdminPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/admin");
    await expect(this.page.getByRole("heading", { level: 1, name: /Admin/ })).toBeVisible();
    await expect(this.page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }

  form(name: keyof typeof FORMS): Locator {
    return this.page.getByRole("form", { name: FORMS[name] });
  }

  /** Waits for the answer to the next request of this method to this path. */
  async answer(method: string, path: string | RegExp): Promise<{ status: number; body: Json }> {
    const res: Response = await this.page.waitForResponse((r) => {
      const p = new URL(r.url()).pathname;
      return r.request().method() === method && (typeof path === "string" ? p === path : path.test(p));
    });
    return { status: res.status(), body: await res.json() };
  }

  /** Submits a form and waits for what its POST answered. */
  async submit(name: keyof typeof FORMS, path: string, button: string) {
    const answer = this.answer("POST", path);
    await this.form(name).getByRole("button", { name: button }).click();
    return answer;
  }

  protectedAsset(pattern: string): Locator {
    return this.page.locator(`[data-testid="protected-asset-row"][data-pattern="${pattern}"]`);
  }

  token(name: string): Locator {
    return this.page.locator(`[data-testid="token-row"][data-name="${name}"]`);
  }

  user(username: string): Locator {
    return this.page.locator(`[data-testid="user-row"][data-username="${username}"]`);
  }

  get confirmDialog(): Locator {
    return this.page.getByRole("alertdialog");
  }

  /** Confirms the open dialog with its destructive button and waits for the request it sends. */
  async confirm(button: string, method: string, path: string | RegExp) {
    const answer = this.answer(method, path);
    await this.confirmDialog.getByRole("button", { name: button }).click();
    return answer;
  }
}
