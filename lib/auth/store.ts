import type { Db } from "@/lib/db/client";

/** What the auth modules need: the database and a clock (tests pass their own). */
export interface Store {
  db: Db;
  now: () => number;
}
