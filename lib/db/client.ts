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

/** Most distinct SQL texts kept prepared; queries are built from a bounded set of shapes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Drizzle asks the driver to prepare every query it runs, and compiling SQL costs SQLite about
 * as much as running a small query: each action paid for a dozen compilations. The same SQL text
 * now gets the same prepared statement back.
 */
function reusePreparedStatements(sqlite: Database.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    // A statement still stepping through rows (iterate) cannot start again: that caller gets its own.
    if (cached && !cached.busy) {
      // Drizzle switches a statement to raw (array) rows when it maps columns itself and never
      // switches it back: a reused statement starts in the default mode, as a new one would.
      if (cached.reader) cached.raw(false);
      return cached;
    }
    const stmt = prepare(source);
    if (!cached) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(source, stmt);
    }
    return stmt;
  }) as Database.Database["prepare"];
}

/** Opens (creating if needed) a database file and brings its schema up to date. */
export function openDb(file: string): Db {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  sqlite.pragma("synchronous = NORMAL");
  // Each action writes twenty to fifty pages (the row, its indexes, its timeline) over its commits.
  // A server copies the log back from a thread of its own (checkpointer.ts); this automatic
  // checkpoint, every 10000 pages (about 40 MB of log), is the backstop, and what other users of
  // the file (the command line, tests) rely on. The log is cut back to 64 MB after a checkpoint if
  // a long read made it grow past that.
  sqlite.pragma("wal_autocheckpoint = 10000");
  sqlite.pragma(`journal_size_limit = ${64 * 2 ** 20}`);
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  reusePreparedStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  refreshPlannerStatistics(db, { opening: true });
  return db;
}

/**
 * Refreshes SQLite's statistics where they are missing or stale (bounded work, cheap). On opening,
 * and hourly while serving, as SQLite advises for long-lived connections: a server started on an
 * empty log would otherwise plan its queries on no statistics for as long as it runs.
 */
export function refreshPlannerStatistics(db: Db, opts: { opening?: boolean } = {}): void {
  const sqlite = db.$client;
  // 0x10002 also looks at tables that have never been analyzed, which only makes sense once per connection.
  sqlite.pragma(opts.opening ? "optimize = 0x10002" : "optimize");
  dropValueSamples(sqlite);
}

/**
 * better-sqlite3's SQLite is built with STAT4: ANALYZE also keeps samples of index values, and a
 * statement whose plan could depend on them is compiled again each time it is run with a new
 * value. Every duplicate check, token lookup and list page binds a new value, so each paid for a
 * fresh compilation: the isolation check, fifteen lookups in one statement, went from 11 µs to
 * 0.4 ms once a log had statistics, and an isolation from 0.7 to 1.8 ms. The samples are dropped
 * and the per-index averages (sqlite_stat1) kept, as SQLite plans without STAT4, which is its
 * default build: the same plan for every value, compiled once.
 */
function dropValueSamples(sqlite: Database.Database): void {
  if (!sqlite.prepare("select 1 from sqlite_schema where type = 'table' and name = 'sqlite_stat4'").get()) return;
  // ANALYZE sqlite_schema makes the connection read the statistics again, now without samples.
  if (sqlite.prepare("delete from sqlite_stat4").run().changes > 0) sqlite.exec("analyze sqlite_schema");
}

/**
 * `build(db)` made once per database and kept with it: for prepared statements, which drizzle
 * would otherwise turn into SQL anew on every call (that cost more than SQLite took to run them).
 */
export function perDb<T>(build: (db: Db) => T): (db: Db) => T {
  const made = new WeakMap<Db, T>();
  return (db) => {
    let value = made.get(db);
    if (value === undefined) made.set(db, (value = build(db)));
    return value;
  };
}

/**
 * Runs `work` as one transaction: every query of lib/db/queries it makes on `db` commits together
 * or not at all (better-sqlite3 is synchronous: it is the same connection). Nested, a savepoint.
 * Immediate: it takes the write lock at its start, so that what it reads (the head of the audit
 * chain, a duplicate) is what it writes after, even with another process (the command line)
 * writing the same file; a deferred one would fail to write over a read that became stale.
 */
export function inTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(() => work(), { behavior: "immediate" });
}

/**
 * A read-only connection of its own on `file`, held in one read transaction until closed: a
 * snapshot of the log that the server's writes (on its own connection) go on beside, so that a
 * long read can stop and let requests in without seeing a half-written state. Its page cache is
 * small (2 MB): a long read goes through the file once.
 */
export function openSnapshot(file: string): { db: Db; close(): void } {
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("cache_size = -2000");
  sqlite.exec("begin");
  const db = drizzle(sqlite, { schema }) as Db;
  return {
    db,
    close() {
      try {
        sqlite.exec("commit");
      } finally {
        sqlite.close();
      }
    },
  };
}

/**
 * A read-only connection of its own for a long read (an export), closed when it is done. Its page
 * cache is SQLite's default 2 MB instead of the server's 16 MB (better-sqlite3's default): a read
 * that goes through the whole log once gains nothing from a larger cache, and on the server's
 * connection it filled the 16 MB with pages of the export (the first large read grew the RSS by
 * that much for good). Reads are not held in one transaction: each statement sees the log as it is.
 * An in-memory database is read on its one connection.
 */
export function openReader(db: Db): { db: Db; close(): void } {
  const file = dbFile(db);
  if (file === null) return { db, close: () => {} };
  const sqlite = new Database(file, { readonly: true, fileMustExist: true });
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("cache_size = -2000");
  return { db: drizzle(sqlite, { schema }) as Db, close: () => sqlite.close() };
}

/** The database's file, or null for an in-memory database. */
export function dbFile(db: Db): string | null {
  return db.$client.memory ? null : db.$client.name;
}

const cache = globalThis as unknown as { __mdrDb?: Db };

/** The process's database, opened on first use (never at import: `next build` imports this file). */
export function getDb(): Db {
  cache.__mdrDb ??= openDb(config().dbPath);
  return cache.__mdrDb;
}
