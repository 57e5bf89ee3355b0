// The registry of kinds of action (lib/mdr/kinds): every action type the database may hold is a
// kind with all of its pieces, the page's half (catalog) agrees with the server's half, and a row
// of every kind that a crash left pending is settled, none left pending forever.
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ActionRow, actions } from "@/lib/db/schema";
import { getActionRow } from "@/lib/mdr/actions";
import { ACTION_TYPES } from "@/lib/mdr/enums";
import { KINDS } from "@/lib/mdr/kinds";
import { KIND_META, KIND_ROUTES, REVERSE_OF, TYPE_LABELS } from "@/lib/mdr/kinds/catalog";
import type { ActionKind } from "@/lib/mdr/kinds/kind";
import { recoverOrphans } from "@/lib/mdr/recover";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { BlockIpRequest } from "@/lib/mdr/schemas";
import { type TestContext, orphanRow, testContext } from "../support/context";

const kinds = Object.entries(KINDS) as [keyof typeof KINDS, ActionKind<never>][];

describe("the registry of kinds", () => {
  it("has a kind for every action type the database schema allows, and no other", () => {
    expect(actions.type.enumValues).toEqual([...ACTION_TYPES]);
    expect(Object.keys(KINDS)).toEqual([...ACTION_TYPES]);
    expect(Object.keys(KIND_META)).toEqual([...ACTION_TYPES]);
    expect(ACTION_TYPES).toHaveLength(new Set(ACTION_TYPES).size);
  });

  it("gives every kind a verb, a settlement after a crash, its request schema and its own meta", () => {
    for (const [type, kind] of kinds) {
      expect(typeof kind.perform, type).toBe("function");
      expect(typeof kind.settle, type).toBe("function");
      expect(typeof kind.request.safeParse, type).toBe("function");
      expect(kind.meta, type).toBe(KIND_META[type]);
      expect(kind.meta.type, type).toBe(type);
      expect(TYPE_LABELS[type], type).toMatch(/\S/);
      for (const work of Object.values(kind.background)) expect(typeof work, type).toBe("function");
    }
  });

  it("gives every reversible kind an undo whose reverse kind exists and is not itself reversible", () => {
    const reversible = kinds.filter(([, k]) => k.meta.undo);
    expect(reversible.map(([t]) => t)).toEqual(Object.keys(REVERSE_OF));
    for (const [type, kind] of kinds) {
      const reverse = kind.meta.undo?.type;
      if (reverse === undefined) {
        expect(kind.undo, type).toBeNull();
        continue;
      }
      expect(typeof kind.undo, type).toBe("function");
      expect(REVERSE_OF[type], type).toBe(reverse);
      expect(KINDS[reverse as keyof typeof KINDS].undo, `${type} -> ${reverse}`).toBeNull();
    }
  });

  it("asks each forward kind through a route file of its own, named in the OpenAPI document", () => {
    expect(KIND_ROUTES.map((r) => r.path)).toEqual(
      kinds.filter(([, k]) => k.meta.route).map(([, k]) => k.meta.route!.path),
    );
    for (const route of KIND_ROUTES) {
      const file = path.resolve(__dirname, "../..", `app${route.path}/route.ts`);
      expect(fs.existsSync(file), file).toBe(true);
    }
  });
});

describe("crash recovery through the registry", () => {
  let ctx: TestContext;
  afterEach(() => ctx.db.$client.close());

  /** A row of each kind as a killed process leaves it: pending, nothing sent. */
  const ORPHANS: Record<(typeof ACTION_TYPES)[number], Partial<ActionRow>> = {
    isolate_endpoint: { target: "ws-0142", provider: "defender", parameters: { hostname: "ws-0142", machine_id: null } },
    release_endpoint: { target: "ws-0143", provider: "defender", parameters: { machine_id: "6c8fb1010cc650d2bed52cb3d5964d9a6922db66" } },
    block_ip: { target: "185.220.101.9", provider: "defender", parameters: { ip: "185.220.101.9" } },
    unblock_ip: { target: "185.220.101.10", provider: "defender", parameters: { ip: "185.220.101.10" } },
    change_expiry: {
      target: "185.220.101.11",
      provider: "defender",
      parameters: { block_action_id: "act_01JZ0000000000000000000099", to: "2026-12-01T00:00:00.000Z" },
    },
    disable_user: { target: "bob@contoso.com", provider: "graph", parameters: { upn: "bob@contoso.com", revoke_sessions: false } },
    enable_user: { target: "alice@contoso.com", provider: "graph", parameters: { upn: "alice@contoso.com" } },
    quarantine_email: {
      target: "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>",
      provider: "graph",
      parameters: { user_principal_name: "alice@contoso.com", action: "softDelete" },
    },
    restore_email: {
      target: "<PH0PR22MB3671E2A9C4F5B8D1A0C3@PH0PR22MB3671.namprd22.prod.outlook.com>",
      provider: "graph",
      parameters: { user_principal_name: "bob@contoso.com" },
    },
  };

  it("settles a pending row of every kind: none is left pending", async () => {
    ctx = testContext();
    const rows = ACTION_TYPES.map((type) => orphanRow(ctx, { type, tenantId: ctx.providers.tenants[0]!, expiresAt: null, ...ORPHANS[type] }));
    expect(await recoverOrphans(ctx, ctx.clock.now)).toBe(ACTION_TYPES.length);
    const after = rows.map((r) => [r.type, getActionRow(ctx, r.id)!.status]);
    // Nothing was sent for any of them: what each asked for is verified absent at its provider,
    // except where the tenant already is as asked (alice is enabled; the phishing email is in bob's inbox).
    const asked = new Set(["enable_user", "restore_email"]);
    expect(after).toEqual(ACTION_TYPES.map((t) => [t, asked.has(t) ? "succeeded" : "failed"]));
  });

  it("settles a change of an NSG block's expiry from the block's row: done when the row has the new expiry, else failed", async () => {
    ctx = testContext();
    const block = await blockIp({ ctx, input: BlockIpRequest.parse({ ip: "45.155.205.0/24", firewall_type: "azure_nsg", duration_hours: 2 }) });
    const change = (to: number): ActionRow =>
      orphanRow(ctx, {
        type: "change_expiry",
        target: block.target,
        tenantId: block.tenantId,
        provider: block.provider,
        parameters: { block_action_id: block.id, to: new Date(to).toISOString() },
        expiresAt: null,
      });
    const same = change(block.expiresAt!);
    const other = change(block.expiresAt! + 3_600_000);
    ctx.clock.advance(1);
    expect(await recoverOrphans(ctx, ctx.clock.now)).toBe(2);
    const until = new Date(block.expiresAt!).toISOString();
    expect(getActionRow(ctx, same.id)).toMatchObject({ status: "succeeded", error: null });
    expect(getActionRow(ctx, other.id)).toMatchObject({
      status: "failed",
      error: `Verified after a restart: ${block.id} still expires at ${until}; nothing was changed`,
    });
    expect(getActionRow(ctx, block.id)).toMatchObject({ expiresAt: block.expiresAt, active: true });
  });
});
