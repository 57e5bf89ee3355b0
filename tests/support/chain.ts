// A record's hash in a server's audit hash chain, read from its database file (what verification,
// the exports and the SIEM lines carry).
import Database from "better-sqlite3";

/** The newest link's hash (hex) of a record: `action` (an action's row, by id), `event` or `audit` (by row id). */
export function chainHash(dbPath: string, kind: "action" | "event" | "audit", ref: string | number): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare("select lower(hex(hash)) as h from audit_chain where kind = ? and ref = ? order by seq desc limit 1")
      .get(kind, String(ref)) as { h: string } | undefined;
    if (!row) throw new Error(`no ${kind} link ${ref} in the audit chain of ${dbPath}`);
    return row.h;
  } finally {
    db.close();
  }
}
