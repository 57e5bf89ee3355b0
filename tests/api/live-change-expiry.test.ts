// A change of a block's expiry is an action of its own (change_expiry), like every outside change:
// written pending before Defender is called, bounded by the action deadline, and settled at the
// next start when a crash cut it off (lib/mdr/kinds/block-ip/). The PATCH still answers with the
// block, and the block's own timeline says what changed.
import { describe, expect, it } from "vitest";
import { TENANT_A } from "../emulator/fixtures";
import type { Emulator } from "../emulator/server";
import { type TestServer, eventually } from "../support/server";
import { type Json, anyIso, call, detail, get, post, steps, withoutTimeline } from "./helpers";
import { apiCalls, arrived, hold, liveAction, liveSetup, mark, releaseHeld, settledRow, since } from "./live";

const BLOCK = "/api/v1/mdr/block-ip";
const VERIFIED = "Verified after a restart";
const live = liveSetup({ name: "live-change-expiry" });

const patch = (server: TestServer, id: string, body: unknown) =>
  call(server, `/api/v1/mdr/actions/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The change_expiry row of `block` once it is in the audit log as pending. */
const pendingChange = (server: TestServer, block: string): Promise<Json> =>
  eventually(
    async () => {
      const r = await get(server, "/api/v1/mdr/actions?type=change_expiry&status=pending");
      return r.body.actions.find((a: Json) => a.parameters.block_action_id === block);
    },
    5000,
    `a pending change_expiry of ${block}`,
  );

/** The expiry of the emulator's indicator for `ip`. */
const indicatorExpiry = (emu: Emulator, ip: string) =>
  [...emu.tenant(TENANT_A).indicators.values()].find((i) => i.indicatorValue === ip)?.expirationTime;

describe("a change of expiry as an action row", () => {
  it("is written pending before Defender is called, then succeeded; the PATCH answers with the block as before", async () => {
    const { emu, server } = live();
    const block = (await post(server, BLOCK, { ip: "185.220.101.61", duration_hours: 2, reason: "Tor exit" })).body;
    const to = new Date(Date.now() + 5 * 3_600_000).toISOString();
    const release = hold(emu, "POST /api/indicators");
    const from = mark(emu);
    const answer = patch(server, block.id, { expires_at: to, reason: "campaign still active" });
    // Written ahead: the row is in the audit log while Defender holds the update.
    const change = await pendingChange(server, block.id);
    await arrived(emu, from, "POST", "/api/indicators");
    expect(indicatorExpiry(emu, "185.220.101.61")).toBe(block.expires_at);
    expect(withoutTimeline(change)).toEqual(
      liveAction({
        type: "change_expiry",
        status: "pending",
        target: "185.220.101.61",
        provider: "defender",
        parameters: { block_action_id: block.id, ip: "185.220.101.61", firewall_type: "defender", from: block.expires_at, to },
        reason: "campaign still active",
        updated_at: change.created_at,
      }),
    );
    await releaseHeld(release);
    const r = await answer;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: block.id, type: "block_ip", expires_at: to });
    expect(indicatorExpiry(emu, "185.220.101.61")).toBe(to);

    const done = await detail(server, change.id);
    expect(withoutTimeline(done)).toEqual({
      ...withoutTimeline(change),
      status: "succeeded",
      provider_ref: block.provider_ref,
      updated_at: anyIso(),
      completed_at: anyIso(),
    });
    const where = `(indicator ${block.provider_ref} updated at Defender)`;
    expect(steps(done)).toEqual([
      ["pending", "Requested by token:tests"],
      ["pending", `Defender updated indicator ${block.provider_ref}`],
      ["succeeded", `Expiry of ${block.id} changed from ${block.expires_at} to ${to} ${where}`],
    ]);
    expect(steps(await detail(server, block.id)).at(-1)).toEqual([
      "succeeded",
      `Expiry changed from ${block.expires_at} to ${to} ${where} by token:tests: campaign still active`,
    ]);
  }, 60_000);

  it("Defender carried the update out after a kill: at start the indicator has the new expiry, the change succeeded and the block's row has it; nothing sent again", async () => {
    const { emu, server } = live();
    const block = (await post(server, BLOCK, { ip: "185.220.101.62", duration_hours: 2 })).body;
    const to = new Date(Date.now() + 6 * 3_600_000).toISOString();
    const release = hold(emu, "POST /api/indicators");
    const from = mark(emu);
    const cut = patch(server, block.id, { expires_at: to }).catch((err: unknown) => err);
    const change = await pendingChange(server, block.id);
    await arrived(emu, from, "POST", "/api/indicators");
    await server.stop("SIGKILL");
    expect(await cut).toBeInstanceOf(Error);
    await releaseHeld(release);
    expect(indicatorExpiry(emu, "185.220.101.62")).toBe(to);

    const restart = mark(emu);
    await server.restart();
    const settled = await settledRow(server, change.id);
    const where = `(indicator ${block.provider_ref} updated at Defender)`;
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(change),
      status: "succeeded",
      provider_ref: block.provider_ref,
      updated_at: settled.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["succeeded", `${VERIFIED}: ${block.id} expires at ${to} ${where}`],
    ]);
    const after = await detail(server, block.id);
    expect(after).toMatchObject({ status: "succeeded", active: true, expires_at: to, result: { expiration_time: to } });
    expect(steps(after).at(-1)).toEqual(["succeeded", `${VERIFIED}: Expiry changed from ${block.expires_at} to ${to} ${where} by token:tests`]);
    expect(apiCalls(emu, restart, { service: "defender", method: "POST" })).toEqual([]);
  }, 60_000);

  it("cut off before the update went out: at start the indicator still has the old expiry, the change failed (verified), the block unchanged", async () => {
    const { emu, server } = live();
    const block = (await post(server, BLOCK, { ip: "185.220.101.63", duration_hours: 2 })).body;
    const to = new Date(Date.now() + 7 * 3_600_000).toISOString();
    // The lookup before the update is slow: the server dies before it has an answer.
    const release = hold(emu, "GET /api/indicators");
    const from = mark(emu);
    const cut = patch(server, block.id, { expires_at: to }).catch((err: unknown) => err);
    const change = await pendingChange(server, block.id);
    await arrived(emu, from, "GET", "/api/indicators");
    await server.stop("SIGKILL");
    await cut;
    await releaseHeld(release);

    await server.restart();
    const settled = await settledRow(server, change.id);
    const message = `${VERIFIED}: indicator ${block.provider_ref} expires at ${block.expires_at}, not ${to}; the expiry was not changed`;
    expect(withoutTimeline(settled)).toEqual({
      ...withoutTimeline(change),
      status: "failed",
      error: message,
      updated_at: settled.completed_at,
      completed_at: anyIso(),
    });
    expect(steps(settled)).toEqual([
      ["pending", "Requested by token:tests"],
      ["failed", message],
    ]);
    expect(await detail(server, block.id)).toMatchObject({ expires_at: block.expires_at, result: { expiration_time: block.expires_at } });
    expect(since(emu, from, { service: "defender", method: "POST" })).toEqual([]);
    expect(indicatorExpiry(emu, "185.220.101.63")).toBe(block.expires_at);
  }, 60_000);
});
