// The rows that hold an effect a new action asks for (a host, an address, an account, a message):
// the duplicate check (lib/mdr/duplicates.ts) runs these inside every action's first write.
import { and, eq, ne, sql } from "drizzle-orm";
import { type Db, perDb } from "@/lib/db/client";
import { type ActionRow, type ActionType, HOLDING, HOLDING_ISOLATION, actions, isolationNameExpressions } from "@/lib/db/schema";

/**
 * Rows that hold their effect: still running (pending, in progress), or done and in effect now
 * (active, not reverted). A failed disable that did disable the account is active too: the
 * account is disabled.
 */
const HOLDS = sql`${HOLDING(actions)} and ${actions.revertedBy} is null`;

/** Most names an isolation is looked up by: what was asked, the machine id, the DNS name. */
export const MAX_ISOLATION_NAMES = 3;
const name = (i: number) => sql.placeholder(`name${i}`);

/** The duplicate checks, prepared once per database. */
const statements = perDb((db: Db) => ({
  /** Rows of a type in the tenant holding `target` (the actions_holder index). */
  byTarget: db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.target, sql.placeholder("target")),
        eq(actions.type, sql.placeholder("type")),
        eq(actions.tenantId, sql.placeholder("tenantId")),
        HOLDS,
      ),
    )
    .prepare(),
  /**
   * Isolations in the tenant holding a device that one of the names names in any of the places an
   * isolation row knows its device by: one equality per place and name, each through its place's
   * index of holding isolations (lib/db/schema.ts), never by reading every isolation. (`in (…)`
   * lists cost SQLite ten times as much here as equalities.) Unused name slots repeat the first name.
   */
  isolations: db
    .select()
    .from(actions)
    .where(
      and(
        eq(actions.tenantId, sql.placeholder("tenantId")),
        ne(actions.id, sql.placeholder("exceptId")),
        HOLDS,
        sql`${actions.id} in (${sql.join(
          isolationNameExpressions(actions).flatMap((expr) =>
            Array.from(
              { length: MAX_ISOLATION_NAMES },
              (_, i) => sql`select ${actions.id} from ${actions} where ${HOLDING_ISOLATION(actions)} and ${expr} = ${name(i)}`,
            ),
          ),
          sql` union all `,
        )})`,
      ),
    )
    .prepare(),
}));

/** Rows of a type in the tenant that hold `target`. */
export function holdersOfTarget(db: Db, type: ActionType, tenantId: string, target: string): ActionRow[] {
  return statements(db).byTarget.all({ type, tenantId, target });
}

/**
 * Isolations in the tenant, other than `exceptId`, holding a device known (in any of its places,
 * lower-cased) by one of `names`: at most MAX_ISOLATION_NAMES distinct lower-case names.
 */
export function isolationsHoldingAny(db: Db, tenantId: string, names: string[], exceptId: string): ActionRow[] {
  if (names.length > MAX_ISOLATION_NAMES) throw new Error(`an isolation is looked up by at most ${MAX_ISOLATION_NAMES} names`);
  const slots = Object.fromEntries(Array.from({ length: MAX_ISOLATION_NAMES }, (_, i) => [`name${i}`, names[i] ?? names[0]]));
  return statements(db).isolations.all({ tenantId, exceptId, ...slots });
}
