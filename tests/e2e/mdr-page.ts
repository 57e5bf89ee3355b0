// Page object of /mdr: the tests speak of cards, fields, rows and the sidebar, and find them by
// role, label and test id, never by CSS structure.
import { type Locator, type Page, type Response, expect } from "@playwright/test";

export const CARDS = {
  isolate: { form: "Isolate endpoint", submit: "Isolate endpoint", path: "/api/v1/mdr/isolate" },
  blockIp: { form: "Block IP", submit: "Block IP", path: "/api/v1/mdr/block-ip" },
  disableUser: { form: "Disable user", submit: "Disable user", path: "/api/v1/mdr/disable-user" },
  quarantine: { form: "Quarantine email", submit: "Quarantine email", path: "/api/v1/mdr/quarantine-email" },
} as const;
export type CardName = keyof typeof CARDS;

/** What an action POST answered: the recorded action, or a problem. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export class MdrPage {
  /** URLs of every POST the page sent, to prove that nothing was sent. */
  readonly posts: string[] = [];

  constructor(readonly page: Page) {
    page.on("request", (r) => {
      if (r.method() === "POST") this.posts.push(new URL(r.url()).pathname);
    });
  }

  async goto() {
    await this.page.goto("/mdr");
    await expect(this.page.getByRole("heading", { level: 1, name: "MDR Response Actions" })).toBeVisible();
    // Client islands hydrated: the forms answer to submit handlers only after that.
    await expect(this.page.locator("body")).toHaveAttribute("data-hydrated", "true");
  }

  form(card: CardName): Locator {
    return this.page.getByRole("form", { name: CARDS[card].form });
  }

  /** A field by (the start of) its label: "Reason" finds "Reason (optional)". */
  field(card: CardName, label: string | RegExp): Locator {
    return this.form(card).getByLabel(label);
  }

  submitButton(card: CardName): Locator {
    return this.form(card).getByRole("button", { name: CARDS[card].submit });
  }

  /** Picks an option of one of the form's selects, by its label. */
  async choose(card: CardName, label: string, option: string) {
    await this.form(card).getByRole("combobox", { name: label }).selectOption({ label: option });
  }

  /** Submits and waits for the POST's answer (for forms with no confirmation at this point). */
  async submit(card: CardName): Promise<{ status: number; body: Json }> {
    const answer = this.waitForPost(card);
    await this.submitButton(card).click();
    return answer;
  }

  async waitForPost(card: CardName): Promise<{ status: number; body: Json }> {
    const res: Response = await this.page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname === CARDS[card].path,
    );
    return { status: res.status(), body: await res.json() };
  }

  get confirmDialog(): Locator {
    return this.page.getByRole("alertdialog");
  }

  /** The error shown under a field (its accessible description), in the API's words. */
  async expectFieldError(card: CardName, label: string, message: RegExp) {
    const field = this.field(card, label);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAccessibleDescription(new RegExp(message.source, "i"));
  }

  async expectNoFieldError(card: CardName, label: string) {
    await expect(this.field(card, label)).not.toHaveAttribute("aria-invalid", "true");
  }

  toast(actionId: string): Locator {
    return this.page.getByTestId("action-toast").filter({ hasText: actionId });
  }

  get table(): Locator {
    return this.page.getByTestId("actions-table");
  }

  row(actionId: string): Locator {
    return this.page.locator(`[data-testid="action-row"][data-action-id="${actionId}"]`);
  }

  get rows(): Locator {
    return this.page.getByTestId("action-row");
  }

  async filter(by: "type" | "status", option: string) {
    await this.page.getByRole("combobox", { name: `Filter by ${by}` }).selectOption({ label: option });
  }

  get drawer(): Locator {
    return this.page.getByTestId("action-drawer");
  }

  /** The progress panel of a list a card sent, by the bulk's id. */
  bulkProgress(bulkId: string): Locator {
    return this.page.locator(`[data-testid="bulk-progress"][data-bulk-id="${bulkId}"]`);
  }

  /** The row of the recent actions table that stands for a bulk (its actions open under it). */
  bulkRow(bulkId: string): Locator {
    return this.page.locator(`[data-testid="bulk-row"][data-bulk-id="${bulkId}"]`);
  }

  /** The actions of a bulk shown under its row once opened. */
  bulkMembers(bulkId: string): Locator {
    return this.page.locator(`[data-testid="action-row"][data-bulk-id="${bulkId}"]`);
  }

  /** The bad items of a list field, each as "item (item n): why". */
  itemErrors(fieldId: string): Locator {
    return this.page.getByTestId(`${fieldId}-item-error`);
  }

  /**
   * Submits a form and waits for the POST, with the JSON body the page sent (to see whether it
   * asked for one target or a list).
   */
  async submitCapturing(card: CardName, click: () => Promise<void>): Promise<{ sent: Json; status: number; body: Json }> {
    const request = this.page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === CARDS[card].path);
    const answer = this.waitForPost(card);
    await click();
    const sent = (await request).postDataJSON();
    return { sent, ...(await answer) };
  }

  service(name: "defender" | "graph" | "azure_nsg" | "aws"): Locator {
    return this.page.getByTestId(`service-${name}`);
  }

  metric(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  async metricNumber(testId: string): Promise<number> {
    return Number(await this.page.getByTestId(testId).innerText());
  }
}

let counter = 0;
/** A reason no other test uses, to find this test's row in a shared audit log. */
export function uniqueReason(what: string): string {
  counter += 1;
  return `e2e ${what} ${Date.now().toString(36)}-${process.pid}-${counter}`;
}

/** A public IPv4 address no other test blocks. */
export function uniqueIp(): string {
  const n = () => 1 + Math.floor(Math.random() * 254);
  return `185.${100 + Math.floor(Math.random() * 150)}.${n()}.${n()}`;
}

/** `n` public IPv4 addresses no other test blocks, all different. */
export function uniqueIps(n: number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(uniqueIp());
  return [...out];
}
