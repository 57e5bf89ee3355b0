// Customers kept apart: two tenants from MDR_TENANTS_FILE (Contoso, the default, and Fabrikam),
// and identities scoped to one of them. A token of Contoso cannot act in, read, undo or re-time
// anything of Fabrikam, and the emulator receives nothing in Fabrikam's name from it; its lists,
// metrics and status show nothing of Fabrikam; errors name only its own tenants. A scoped admin
// grants only its own tenants.
import { beforeEach, describe, expect, it } from "vitest";
import { TENANT_A, TENANT_B } from "../emulator/fixtures";
import { mintToken } from "../support/server";
import { type Json, type Reply, anyIso, call, expectProblem, post, problem } from "./helpers";
import { TWO_TENANTS, freshLive, liveSetup, mark, since } from "./live";

const live = liveSetup({ name: "live-tenant-scope", ...TWO_TENANTS });
beforeEach(() => freshLive(live));

/** A request with another API token than the test server's (an admin of every tenant). */
function as(token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<Reply> {
  return call(live().server, path, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

/** A token of the given role that may see and act in `tenants` only. */
const scoped = (name: string, role: "viewer" | "responder" | "admin", tenants: string[]) => mintToken(live().server.dbPath, name, role, undefined, tenants);

/** Fabrikam's own actions, made by the test server's admin of every tenant: a block on its network ACL and an isolation. */
async function fabrikamActions(): Promise<{ block: Json; isolation: Json }> {
  const { server } = live();
  const block = await post(server, "/api/v1/mdr/block-ip", { ip: "198.51.100.77", firewall_type: "aws_sg", tenant_id: TENANT_B });
  const isolation = await post(server, "/api/v1/mdr/isolate", { hostname: "ws-0142.fabrikam.com", tenant_id: TENANT_B });
  expect([block.status, block.body.tenant_id, isolation.status, isolation.body.tenant_id]).toEqual([201, TENANT_B, 202, TENANT_B]);
  return { block: block.body, isolation: isolation.body };
}

const forbidden = (actor: string, yours: string) =>
  problem("tenant-forbidden", `${actor} may not act in tenant ${TENANT_B}; yours: ${yours}.`, {
    errors: [{ path: "tenant_id", message: "is outside your tenants" }],
  });

describe("a token of Contoso", () => {
  it("asked to act in Fabrikam: 403 tenant-forbidden for every kind (and a bulk), audited, nothing written, nothing sent", async () => {
    const { emu, server } = live();
    const token = scoped("contoso-soc", "responder", [TENANT_A]);
    const from = mark(emu);
    const asks: [string, Record<string, unknown>][] = [
      ["/api/v1/mdr/isolate", { hostname: "ws-0142.fabrikam.com" }],
      ["/api/v1/mdr/isolate", { hostnames: ["ws-0142.fabrikam.com", "ws-0143.fabrikam.com"] }],
      ["/api/v1/mdr/block-ip", { ip: "198.51.100.7", firewall_type: "aws_sg" }],
      ["/api/v1/mdr/block-ip", { ips: ["198.51.100.7", "198.51.100.8"], firewall_type: "aws_sg" }],
      ["/api/v1/mdr/disable-user", { upn: "alex.wilber@fabrikam.com" }],
      ["/api/v1/mdr/quarantine-email", { message_id: "<phish-1@evil.example>", user_principal_name: "alex.wilber@fabrikam.com" }],
    ];
    for (const [path, body] of asks) {
      expectProblem(await as(token, path, { method: "POST", body: { ...body, tenant_id: TENANT_B } }), forbidden("token:contoso-soc", TENANT_A));
    }
    expect(await as(server.token, "/api/v1/mdr/actions")).toMatchObject({ status: 200, body: { actions: [], next_cursor: null } });
    expect(since(emu, from)).toEqual([]);
    const audit = await call(server, "/api/v1/admin/audit?event=tenant_refused");
    expect(audit.body.events).toEqual(
      asks.map(() => ({
        id: expect.any(Number),
        at: anyIso(),
        event: "tenant_refused",
        actor: "token:contoso-soc",
        subject: TENANT_B,
        ip: "127.0.0.1",
        detail: { reason: "outside the caller's tenants" },
      })),
    );
  });

  it("an unknown tenant: 422 naming only Contoso; without tenant_id it acts in Contoso", async () => {
    const { emu } = live();
    const token = scoped("contoso-soc", "responder", [TENANT_A]);
    const unknown = "00000000-0000-0000-0000-000000000000";
    const r = await as(token, "/api/v1/mdr/isolate", { method: "POST", body: { hostname: "ws-0142", tenant_id: unknown } });
    const message = `is not a configured tenant; yours: ${TENANT_A}`;
    expectProblem(r, problem("validation-failed", `tenant_id: ${message}`, { errors: [{ path: "tenant_id", message }] }));
    expect(JSON.stringify(r.body)).not.toContain(TENANT_B);

    // A token of Fabrikam alone acts in Fabrikam without naming it.
    const fabrikam = scoped("fabrikam-soc", "responder", [TENANT_B]);
    const from = mark(emu);
    const own = await as(fabrikam, "/api/v1/mdr/isolate", { method: "POST", body: { hostname: "ws-0142" } });
    expect({ status: own.status, tenant: own.body.tenant_id, target: own.body.target }).toEqual({ status: 202, tenant: TENANT_B, target: "ws-0142" });
    expect(new Set(since(emu, from, { service: "defender" }).map((c) => (c.auth as { tenantId?: string }).tenantId))).toEqual(new Set([TENANT_B]));
  });

  it("Fabrikam's actions are not there for it: read, undo and re-time are 404; lists and a Fabrikam filter are empty; metrics count none", async () => {
    const { emu, server } = live();
    const { block, isolation } = await fabrikamActions();
    const token = scoped("contoso-soc", "responder", [TENANT_A]);
    const from = mark(emu);
    for (const id of [block.id, isolation.id]) {
      const notFound = problem("not-found", `No action ${id}.`);
      expectProblem(await as(token, `/api/v1/mdr/actions/${id}`), notFound);
      expectProblem(await as(token, `/api/v1/mdr/actions/${id}/revert`, { method: "POST", body: { reason: "not mine" } }), notFound);
      expectProblem(await as(token, `/api/v1/mdr/actions/${id}`, { method: "PATCH", body: { expires_at: new Date(Date.now() + 3_600_000).toISOString() } }), notFound);
    }
    for (const query of ["", `?tenant_id=${TENANT_B}`, "?type=block_ip", `?target=${block.target}`]) {
      expect((await as(token, `/api/v1/mdr/actions${query}`)).body).toEqual({ actions: [], next_cursor: null });
    }
    const metrics = (await as(token, "/api/v1/mdr/metrics?hours=1")).body;
    expect({ total: metrics.total, contained: metrics.contained_now }).toEqual({
      total: 0,
      contained: { isolated_endpoints: 0, active_ip_blocks: 0, disabled_users: 0 },
    });
    // Nothing was sent for any of it (the poller following Fabrikam's isolation only reads), and
    // Fabrikam's block and isolation are as they were.
    expect(since(emu, from).filter((c) => c.service === "ec2" || (c.service !== "entra" && c.method !== "GET"))).toEqual([]);
    const still = await call(server, `/api/v1/mdr/actions/${block.id}`);
    expect({ active: still.body.active, reverted_by: still.body.reverted_by, expires_at: still.body.expires_at }).toEqual({
      active: true,
      reverted_by: null,
      expires_at: block.expires_at,
    });
    // Its admin of every tenant sees both, and so would a token of Fabrikam.
    const fabrikam = scoped("fabrikam-viewer", "viewer", [TENANT_B]);
    expect((await as(fabrikam, "/api/v1/mdr/actions")).body.actions.map((a: Json) => a.id)).toEqual([isolation.id, block.id]);
    expect((await as(fabrikam, "/api/v1/mdr/metrics?hours=1")).body.total).toBe(2);
  });

  it("Fabrikam's bulk is not there for it: its progress and its revert are 404; Fabrikam's own token follows it", async () => {
    const { server } = live();
    const bulk = await call(server, "/api/v1/mdr/block-ip", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ips: ["185.220.104.1", "185.220.104.2"], firewall_type: "azure_nsg", tenant_id: TENANT_B }),
    });
    expect([202, 207], JSON.stringify(bulk.body)).toContain(bulk.status);
    const id = bulk.body.bulk_id;
    const contoso = scoped("contoso-soc", "responder", [TENANT_A]);
    const notFound = problem("not-found", `No bulk ${id}.`);
    expectProblem(await as(contoso, `/api/v1/mdr/bulk/${id}`), notFound);
    expectProblem(await as(contoso, `/api/v1/mdr/bulk/${id}/revert`, { method: "POST", body: { reason: "not mine" } }), notFound);
    const fabrikam = scoped("fabrikam-viewer-2", "viewer", [TENANT_B]);
    const seen = await as(fabrikam, `/api/v1/mdr/bulk/${id}`);
    expect({ status: seen.status, tenant: seen.body.tenant_id, total: seen.body.total }).toEqual({ status: 200, tenant: TENANT_B, total: 2 });
  });

  it("status: probed in its own tenant; Fabrikam's token sees Fabrikam's NSG, Contoso's sees none", async () => {
    const { emu } = live();
    const contoso = scoped("contoso-viewer", "viewer", [TENANT_A]);
    const fabrikam = scoped("fabrikam-viewer", "viewer", [TENANT_B]);
    let from = mark(emu);
    const a = (await as(contoso, "/api/v1/mdr/status")).body;
    expect(a.services.azure_nsg).toEqual({ status: "not_configured", latency_ms: null, error: null });
    const tenantsOf = () => new Set(since(emu, from).filter((c) => c.auth.kind === "bearer").map((c) => (c.auth as { tenantId?: string }).tenantId));
    expect(tenantsOf()).toEqual(new Set([TENANT_A]));
    from = mark(emu);
    const b = (await as(fabrikam, "/api/v1/mdr/status")).body;
    expect(b.services.azure_nsg).toEqual({ status: "up", latency_ms: expect.any(Number), error: null });
    expect(tenantsOf()).toEqual(new Set([TENANT_B]));
  });
});

describe("a scoped admin", () => {
  it("grants only its own tenants: its tokens default to them; all tenants, another's or an unknown one are refused", async () => {
    const admin = scoped("contoso-admin", "admin", [TENANT_A]);
    const made = await as(admin, "/api/v1/admin/tokens", { method: "POST", body: { name: "contoso-playbook", role: "responder" } });
    expect({ status: made.status, tenants: made.body.tenants }).toEqual({ status: 201, tenants: [TENANT_A] });
    expectProblem(
      await as(admin, "/api/v1/admin/tokens", { method: "POST", body: { name: "everything", role: "responder", tenants: null } }),
      problem("forbidden", `You may grant only your own tenants (${TENANT_A}), not all tenants.`, {
        errors: [{ path: "tenants", message: "is outside your tenants" }],
      }),
    );
    expectProblem(
      await as(admin, "/api/v1/admin/users", { method: "POST", body: { username: "mallory", role: "admin", password: "correct horse battery", tenants: [TENANT_A, TENANT_B] } }),
      problem("forbidden", `You may grant only your own tenants (${TENANT_A}), not ${TENANT_B}.`, {
        errors: [{ path: "tenants", message: "is outside your tenants" }],
      }),
    );
    const unknown = "00000000-0000-0000-0000-000000000000";
    const message = `${unknown} is not a configured tenant; yours: ${TENANT_A}`;
    expectProblem(
      await as(admin, "/api/v1/admin/tokens", { method: "POST", body: { name: "typo", role: "viewer", tenants: [unknown] } }),
      problem("validation-failed", `tenants: ${message}`, { errors: [{ path: "tenants", message }] }),
    );
  });

  it("sees and manages only identities within its tenants; the security audit log needs an admin of every tenant", async () => {
    const { server } = live();
    const admin = scoped("contoso-admin", "admin", [TENANT_A]);
    scoped("fabrikam-playbook", "responder", [TENANT_B]);
    const names = (await as(admin, "/api/v1/admin/tokens")).body.tokens.map((t: Json) => t.name);
    // Not the tests' all-tenant token, not Fabrikam's.
    expect(names).toEqual(["contoso-admin"]);
    const all = (await call(server, "/api/v1/admin/tokens")).body.tokens.map((t: Json) => [t.name, t.tenants]);
    expect(all).toEqual(expect.arrayContaining([["tests", null], ["contoso-admin", [TENANT_A]], ["fabrikam-playbook", [TENANT_B]]]));
    const fabrikamId = (await call(server, "/api/v1/admin/tokens")).body.tokens.find((t: Json) => t.name === "fabrikam-playbook").id;
    expectProblem(await as(admin, `/api/v1/admin/tokens/${fabrikamId}`, { method: "DELETE" }), problem("not-found", `No token ${fabrikamId}.`));
    const user = await call(server, "/api/v1/admin/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "fabrikam-analyst", role: "responder", password: "correct horse battery", tenants: [TENANT_B] }),
    });
    expect({ status: user.status, tenants: user.body.tenants }).toEqual({ status: 201, tenants: [TENANT_B] });
    expect((await as(admin, "/api/v1/admin/users")).body.users.map((u: Json) => u.username)).not.toContain("fabrikam-analyst");
    expectProblem(
      await as(admin, "/api/v1/admin/users/fabrikam-analyst", { method: "PATCH", body: { disabled: true } }),
      problem("not-found", "No user named fabrikam-analyst."),
    );
    expectProblem(
      await as(admin, "/api/v1/admin/audit"),
      problem("forbidden", `The security audit log concerns every tenant: it needs a caller of all tenants; token:contoso-admin has ${TENANT_A}.`),
    );
  });
});
