// Retention of the audit log (lib/audit/retention.ts): where the cut falls, and the deletion of
// what is before it. The cut is a position in the hash chain: everything up to it is deleted (the
// links and the records they prove), everything after it is kept whole, so the rest still verifies
// from the signed head at the cut.
import { type Db, inTransaction } from "@/lib/db/client";

/** An action that must be kept whatever its age: still running, its effect in place, or completed since the cutoff. */
const KEPT = "(a.status in ('queued', 'pending', 'in_progress') or a.active = 1 or a.completed_at is null or a.completed_at >= @cutoff)";

/**
 * The furthest cut after `after` (the previous cut, or 0) such that every record up to it may go:
 * no link newer than `cutoff`, no record still waiting in the SIEM outbox, the chain's head kept,
 * and no action of the prefix that must be kept or that has a link (of its row or its timeline)
 * after the cut: the cut moves back before such an action's first link until none is left. Returns
 * `after` when nothing may go.
 */
export function retentionCut(db: Db, opts: { after: number; cutoff: number }): number {
  const c = db.$client;
  const head = (c.prepare("select max(seq) from audit_chain").pluck().get() as number | null) ?? 0;
  let bound = head - 1;
  const newer = c.prepare("select seq from audit_chain where seq > ? and at >= ? order by seq limit 1").pluck().get(opts.after, opts.cutoff) as
    | number
    | undefined;
  if (newer !== undefined) bound = Math.min(bound, newer - 1);
  const waiting = c
    .prepare(
      "select min(c.seq) from siem_outbox o join audit_chain c on c.kind = (case o.source when 'action_event' then 'event' else 'audit' end) " +
        "and c.ref = cast(o.record_id as text)",
    )
    .pluck()
    .get() as number | null;
  if (waiting !== null) bound = Math.min(bound, waiting - 1);
  // Actions with a link in (after, bound]: the first of those that must stay moves the bound before it.
  const blocker = c.prepare(
    `with p(id, lo) as (
       select ref, min(seq) from audit_chain where kind = 'action' and seq > @after and seq <= @bound group by ref
       union all
       select e.action_id, min(l.seq) from audit_chain l join action_events e on e.id = cast(l.ref as integer)
         where l.kind = 'event' and l.seq > @after and l.seq <= @bound group by e.action_id
     ), q(id, lo) as (select id, min(lo) from p group by id)
     select min(q.lo) from q join actions a on a.id = q.id
     where ${KEPT}
        or exists (select 1 from audit_chain l where l.kind = 'action' and l.ref = q.id and l.seq > @bound)
        or exists (select 1 from action_events e join audit_chain l on l.kind = 'event' and l.ref = cast(e.id as text)
                   where e.action_id = q.id and l.seq > @bound)`,
  );
  while (bound > opts.after) {
    const lo = blocker.pluck().get({ after: opts.after, bound, cutoff: opts.cutoff }) as number | null;
    if (lo === null) break;
    bound = lo - 1;
  }
  return Math.max(bound, opts.after);
}

export interface PruneCounts {
  actions: number;
  actionEvents: number;
  auditEvents: number;
  links: number;
}

/** What deleting up to `cut` would remove (the links still there in (after, cut]). */
export function countBefore(db: Db, opts: { after: number; cut: number }): PruneCounts {
  const r = db.$client
    .prepare(
      "select count(distinct case when kind = 'action' then ref end) as actions, sum(kind = 'event') as actionEvents, " +
        "sum(kind = 'audit') as auditEvents, count(*) as links from audit_chain where seq > ? and seq <= ?",
    )
    .get(opts.after, opts.cut) as PruneCounts;
  return { actions: r.actions, actionEvents: r.actionEvents ?? 0, auditEvents: r.auditEvents ?? 0, links: r.links };
}

/** The hash of the link at `seq`, if it is there. */
export function linkAt(db: Db, seq: number): Buffer | undefined {
  return db.$client.prepare("select hash from audit_chain where seq = ?").pluck().get(seq) as Buffer | undefined;
}

/** The first link still in the chain, or undefined when it is empty. */
export function firstLink(db: Db): number | undefined {
  return (db.$client.prepare("select min(seq) from audit_chain").pluck().get() as number | null) ?? undefined;
}

/**
 * Deletes the links in (from, to] and every record they prove, with each action named there deleted
 * whole (its row, all its timeline, all its links), in one transaction. Returns what was deleted.
 */
export function deleteLinkRange(db: Db, from: number, to: number): PruneCounts {
  const c = db.$client;
  return inTransaction(db, () => {
    const ids = c
      .prepare(
        "select ref from audit_chain where kind = 'action' and seq > ? and seq <= ? " +
          "union select e.action_id from audit_chain l join action_events e on e.id = cast(l.ref as integer) where l.kind = 'event' and l.seq > ? and l.seq <= ?",
      )
      .pluck()
      .all(from, to, from, to) as string[];
    const list = JSON.stringify(ids);
    const inList = "(select value from json_each(?))";
    let links = c
      .prepare(`delete from audit_chain where kind = 'event' and ref in (select cast(id as text) from action_events where action_id in ${inList})`)
      .run(list).changes;
    links += c.prepare(`delete from audit_chain where kind = 'action' and ref in ${inList}`).run(list).changes;
    const actionEvents = c.prepare(`delete from action_events where action_id in ${inList}`).run(list).changes;
    const actions = c.prepare(`delete from actions where id in ${inList}`).run(list).changes;
    const auditEvents = c
      .prepare("delete from audit_events where id in (select cast(ref as integer) from audit_chain where kind = 'audit' and seq > ? and seq <= ?)")
      .run(from, to).changes;
    // The audit links of the range, and any link left whose record was already gone.
    links += c.prepare("delete from audit_chain where seq > ? and seq <= ?").run(from, to).changes;
    return { actions, actionEvents, auditEvents, links };
  });
}
