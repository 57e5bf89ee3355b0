import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { config } from "@/lib/config";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Where the committed migrations live; the server is started from the project root. */
export const MIGRATIONS_FOLDER = path.resolve(process.cwd(), "drizzle");

/** Opens (creating if needed) a database file and brings its schema up to date. */
export function openDb(file: string): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  // Refresh the planner's statistics where they are missing or stale (cheap: bounded work).
  sqlite.pragma("optimize = 0x10002");
  return db;
}

const cache = globalThis as unknown as { __mdrDb?: Db };

/** The process's database, opened on first use (never at import: `next build` imports this file). */
export function getDb(): Db {
  cache.__mdrDb ??= openDb(config().dbPath);
  return cache.__mdrDb;
}
