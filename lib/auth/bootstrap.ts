import "server-only";
import type { Config } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { ensureFirstAdmin } from "./users";

/**
 * At start: on a database without users, create `admin` (MDR_ADMIN_PASSWORD, which the operator
 * chose, or a generated password printed once, which must be changed at the first sign-in).
 */
export async function prepareAuth(cfg: Config, print: (line: string) => void): Promise<void> {
  const store = { db: getDb(), now: Date.now };
  const admin = await ensureFirstAdmin(store, cfg.auth.adminPassword);
  if (admin?.generated) {
    print(
      `[mdr] First run: created user "admin" with the one-time password  ${admin.password}\n` +
        `[mdr] Sign in at /login: it must be changed before anything else.`,
    );
  } else if (admin) {
    print(`[mdr] First run: created user "admin" with the password from MDR_ADMIN_PASSWORD.`);
  }
}
