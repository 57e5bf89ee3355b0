// Crash recovery of mail actions (lib/mdr/recover.ts) against the emulator: a quarantine_email or
// restore_email cut off by SIGKILL while Graph held its request is settled at the next start from
// where the message really is, and a row whose provider cannot be asked is closed as unknown once
// it is older than 24 h (younger ones wait for the provider to come back).
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { exampleSeed, TENANT_A } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { type TestServer, eventually } from "../support/server";
import { type Json, anyIso, detail, get, post, steps, withoutTimeline } from "./helpers";
import { apiCalls, arrived, hold, liveSetup, mark, releaseHeld, settledRow, since } from "./live";

const QUARANTINE = "/api/v1/mdr/quarantine-email";
const PHISH = "<phish-9@evil.example>";
const HOUR_MS = 3_600_000;
const VERIFIED = "Verified after a restart";

// Mailboxes of their own for each case, each with the phishing message in its inbox.
const seed = exampleSeed();
for (const name of ["soft", "before", "hard", "restore", "unrestored", "old", "young"]) {
  seed.tenants[0]!.users!.push({
    userPrincipalName: `${name}@contoso.com`,
    displayName: name,
    messages: [{ internetMessageId: PHISH, subject: "Urgent: payroll", from: "hr@evil.example" }],
  });
}
const live = liveSetup({ name: "live-recovery", emulator: seed });

/** The copy of the phishing message in `upn`'s mailbox. */
const copyOf = (emu: Emulator, upn: string) => [...emu.mailbox(TENANT_A, upn).messages.values()].find((m) => m.internetMessageId === PHISH);

/** The row of `type` for `upn` once it is in the audit log as pending. */
const pendingOf = (server: TestServer, type: string, upn: string): Promise<Json> =>
  eventually(
    async () => {
      const r = await get(server, `/api/v1/mdr/actions?type=${type}&status=pending`);
      return r.body.actions.find((a: Json) => a.parameters.user_principal_name === upn);
    },
    5000,
    `a pending ${type} for ${upn}`,
  );

/** Graph calls (mail only) as [method, path, $filter, status]. */
const mailCalls = (emu: Emulator, from: number) =>
  apiCalls(emu, from, { path: "/users/" }).map((c) => [c.method, c.path, c.query.$filter, c.status]);

const filter = `internetMessageId eq '${PHISH}'`;
const box = (upn: string) => `/v1.0/users/${encodeURIComponent(upn)}`;

describe("a quarantine cut off by a crash", () => {
  it("softDelete: Graph carried out the move after the kill; at start the copy is found in recoverableitemsdeletions, succeeded, nothing sent again", async () => {
    const { emu, server } = live();
    const upn = "soft@contoso.com";
    const release = hold(emu, "POST /move");
    const from = mark(emu);
    const cut = post(server, QUARANTINE, { message_id: PHISH, user_principal_name: upn, reason: "INC-77" }).catch((err: unknown) => err);
    const orphan = await pendingOf(server, "quarantine_email", upn);
    await arrived(emu, from, "POST", "/move");
    await server.stop("SIGKILL");
    expect(await cut).toBeInstanceOf(Error);
    await releaseHeld(release);
    const copy = copyOf(emu, upn)!;
    expect(copy.folder).toBe("recoverableitemsdeletions");

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "succeeded",
      active: true,
      provider_ref: copy.id,
      result: { messages: [{ id: null, new_id: copy.id, subject: "Urgent: payroll" }], folder: "recoverableitemsdeletions" },
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `${VERIFIED}: 1 message(s) are in recoverableitemsdeletions`],
    ]);
    expect(mailCalls(emu, restart)).toEqual([
      ["GET", `${box(upn)}/messages`, filter, 200],
      ["GET", `${box(upn)}/mailFolders/recoverableitemsdeletions/messages`, filter, 200],
    ]);
    expect(since(emu, restart, { service: "graph", method: "POST" })).toEqual([]);
  }, 60_000);

  it("softDelete cut off before the move went out: at start the message is still in the inbox, failed (verified), nothing moved", async () => {
    const { emu, server } = live();
    const upn = "before@contoso.com";
    // The lookup is slow: the server dies before it has an answer, so no move is ever sent.
    const release = hold(emu, `GET ${box(upn)}/messages`);
    const from = mark(emu);
    const cut = post(server, QUARANTINE, { message_id: PHISH, user_principal_name: upn }).catch((err: unknown) => err);
    const orphan = await pendingOf(server, "quarantine_email", upn);
    await arrived(emu, from, "GET", `${box(upn)}/messages`);
    await server.stop("SIGKILL");
    await cut;
    await releaseHeld(release);
    expect(copyOf(emu, upn)!.folder).toBe("inbox");

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    const message = `${VERIFIED}: no copy of the message is in recoverableitemsdeletions; nothing was moved`;
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "failed",
      error: message,
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(mailCalls(emu, restart)).toEqual([
      ["GET", `${box(upn)}/messages`, filter, 200],
      ["GET", `${box(upn)}/mailFolders/recoverableitemsdeletions/messages`, filter, 200],
    ]);
    expect(since(emu, from, { service: "graph", method: "POST" })).toEqual([]);
    expect(copyOf(emu, upn)!.folder).toBe("inbox");
  }, 60_000);

  it("hardDelete: Graph deleted it after the kill; at start no copy is left, succeeded and active", async () => {
    const { emu, server } = live();
    const upn = "hard@contoso.com";
    const release = hold(emu, "POST /permanentDelete");
    const from = mark(emu);
    const cut = post(server, QUARANTINE, { message_id: PHISH, user_principal_name: upn, action: "hardDelete" }).catch((err: unknown) => err);
    const orphan = await pendingOf(server, "quarantine_email", upn);
    await arrived(emu, from, "POST", "/permanentDelete");
    await server.stop("SIGKILL");
    await cut;
    await releaseHeld(release);
    expect(copyOf(emu, upn)).toBeUndefined();

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "succeeded",
      active: true,
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `${VERIFIED}: no copy of the message is left in the mailbox`],
    ]);
    expect(mailCalls(emu, restart)).toEqual([["GET", `${box(upn)}/messages`, filter, 200]]);
  }, 60_000);
});

describe("a restore cut off by a crash", () => {
  async function quarantined(upn: string): Promise<Json> {
    const { server } = live();
    const q = await post(server, QUARANTINE, { message_id: PHISH, user_principal_name: upn });
    expect({ status: q.status, row: q.body.status }).toEqual({ status: 201, row: "succeeded" });
    return q.body;
  }

  it("Graph moved the copy back after the kill: at start it is found in the inbox, the restore succeeded and the quarantine is reverted", async () => {
    const { emu, server } = live();
    const upn = "restore@contoso.com";
    const q = await quarantined(upn);
    const release = hold(emu, "POST /move");
    const from = mark(emu);
    const cut = post(server, `/api/v1/mdr/actions/${q.id}/revert`, { reason: "false positive" }).catch((err: unknown) => err);
    const orphan = await pendingOf(server, "restore_email", upn);
    await arrived(emu, from, "POST", "/move");
    await server.stop("SIGKILL");
    await cut;
    await releaseHeld(release);
    const copy = copyOf(emu, upn)!;
    expect(copy.folder).toBe("inbox");

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "succeeded",
      provider_ref: copy.id,
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `${VERIFIED}: 1 message(s) are back in the inbox`],
    ]);
    expect(await detail(server, q.id)).toMatchObject({ active: false, reverted_by: orphan.id });
    expect(mailCalls(emu, restart)).toEqual([["GET", `${box(upn)}/mailFolders/inbox/messages`, filter, 200]]);
    expect(since(emu, restart, { service: "graph", method: "POST" })).toEqual([]);
  }, 60_000);

  it("the move back never happened (the connection dropped): at start the copy is not in the inbox, the restore failed, the quarantine still active", async () => {
    const { emu, server } = live();
    const upn = "unrestored@contoso.com";
    const q = await quarantined(upn);
    const quarantinedId = copyOf(emu, upn)!.id;
    const release = hold(emu, "POST /move", { dropConnection: true });
    const from = mark(emu);
    const cut = post(server, `/api/v1/mdr/actions/${q.id}/revert`, {}).catch((err: unknown) => err);
    const orphan = await pendingOf(server, "restore_email", upn);
    await arrived(emu, from, "POST", "/move");
    await server.stop("SIGKILL");
    await cut;
    await releaseHeld(release);

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, orphan.id);
    const message = `${VERIFIED}: no copy of the message is in the inbox; nothing was moved back`;
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(orphan),
      status: "failed",
      error: message,
      completed_at: anyIso(),
      updated_at: settled.completed_at,
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(withoutTimeline(await detail(server, q.id))).toEqual({ ...q, updated_at: anyIso() });
    expect(copyOf(emu, upn)).toMatchObject({ id: quarantinedId, folder: "recoverableitemsdeletions" });
    expect(mailCalls(emu, restart)).toEqual([["GET", `${box(upn)}/mailFolders/inbox/messages`, filter, 200]]);
  }, 60_000);
});

describe("the provider unreachable at start", () => {
  /** Moves a row's creation back in the database, as if it had been left pending that long ago. */
  function age(dbPath: string, id: string, byMs: number): void {
    const db = new Database(dbPath);
    try {
      db.pragma("busy_timeout = 5000");
      db.prepare("UPDATE actions SET created_at = created_at - ?, updated_at = updated_at - ? WHERE id = ?").run(byMs, byMs, id);
      db.prepare("UPDATE action_events SET at = at - ? WHERE action_id = ?").run(byMs, id);
    } finally {
      db.close();
    }
  }

  it("a row left pending 25 h ago is closed as outcome unknown; one left 1 h ago waits, and is settled once Graph answers", async () => {
    const { emu, server } = live();
    const [oldUpn, youngUpn] = ["old@contoso.com", "young@contoso.com"];
    const release = hold(emu, "GET /messages", { times: 2 });
    const from = mark(emu);
    const cuts = [oldUpn, youngUpn].map((upn) =>
      post(server, QUARANTINE, { message_id: PHISH, user_principal_name: upn }).catch((err: unknown) => err),
    );
    const [old, young] = [await pendingOf(server, "quarantine_email", oldUpn), await pendingOf(server, "quarantine_email", youngUpn)];
    await eventually(async () => (since(emu, from, { method: "GET", path: "/messages" }).length === 2 ? true : undefined), 5000);
    await server.stop("SIGKILL");
    await Promise.all(cuts);
    await releaseHeld(release);
    age(server.dbPath, old.id, 25 * HOUR_MS);
    age(server.dbPath, young.id, HOUR_MS);
    const outage = emu.setFault({ match: "/v1.0/users/", status: 503, times: Infinity });

    const restart = mark(emu);
    await server.restart();
    const closed = await settledRow(server, old.id);
    const message =
      "Outcome unknown: the provider could not be asked for 24 h after a restart " +
      `([Graph] 503 serviceNotAvailable on GET /users/${oldUpn}/messages: Injected fault: ServiceUnavailable.)`;
    expect(withoutTimeline(closed)).toEqual({
      ...withoutTimeline(old),
      created_at: new Date(Date.parse(old.created_at) - 25 * HOUR_MS).toISOString(),
      status: "failed",
      error: message,
      completed_at: anyIso(),
      updated_at: closed.completed_at,
    });
    expect(steps(closed)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    // Asked (three tries, as a read), never written to.
    expect(mailCalls(emu, restart).filter((c) => c[1] === `${box(oldUpn)}/messages`)).toEqual(
      Array(3).fill(["GET", `${box(oldUpn)}/messages`, filter, 503]),
    );

    // The younger row is asked about too (a whole round: three tries) while Graph is down, and waits...
    const askedYoung = () => mailCalls(emu, restart).filter((c) => c[1] === `${box(youngUpn)}/messages`);
    // A second round asking about it shows the first one failed without closing the row.
    await eventually(async () => (askedYoung().length >= 4 ? true : undefined), 20_000, "a second round for the younger row");
    expect(await detail(server, young.id)).toMatchObject({ status: "pending", completed_at: null, error: null });
    expect(new Set(askedYoung().map((c) => c[3]))).toEqual(new Set([503]));
    // ...and is settled from what Graph says once it answers again.
    outage.clear();
    const settled = await settledRow(server, young.id);
    const verified = `${VERIFIED}: no copy of the message is in recoverableitemsdeletions; nothing was moved`;
    expect(settled).toMatchObject({ status: "failed", error: verified, active: false });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", verified],
    ]);
    expect(since(emu, from, { service: "graph", method: "POST" })).toEqual([]);
    expect([copyOf(emu, oldUpn)!.folder, copyOf(emu, youngUpn)!.folder]).toEqual(["inbox", "inbox"]);
  }, 90_000);
});
