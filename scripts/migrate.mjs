// npm run db:migrate: applies the committed migrations to MDR_DB_PATH (the server also does this at start).
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";

const file = process.env.MDR_DB_PATH || "./data/mdr.db";
try {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  migrate(drizzle(sqlite), { migrationsFolder: path.resolve(import.meta.dirname, "../drizzle") });
  sqlite.close();
  console.log(`Migrated ${file}`);
} catch (err) {
  console.error(`Migration of ${file} failed:`, err);
  process.exit(1);
}
