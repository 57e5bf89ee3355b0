// The guardrails' rules: device name patterns, UPN patterns and address ranges no action may touch.
import { eq, sql } from "drizzle-orm";
import type { ProtectedAssetKind } from "@/lib/mdr/enums";
import { type Db, perDb } from "@/lib/db/client";
import { type ProtectedAssetRow, protectedAssets } from "@/lib/db/schema";

/** By kind, then pattern. */
export function allProtectedAssets(db: Db): ProtectedAssetRow[] {
  return db.select().from(protectedAssets).orderBy(protectedAssets.kind, protectedAssets.pattern).all();
}

export function findProtectedAsset(db: Db, id: string): ProtectedAssetRow | undefined {
  return db.select().from(protectedAssets).where(eq(protectedAssets.id, id)).get();
}

export function insertProtectedAsset(db: Db, row: ProtectedAssetRow): void {
  db.insert(protectedAssets).values(row).run();
}

export function deleteProtectedAsset(db: Db, id: string): void {
  db.delete(protectedAssets).where(eq(protectedAssets.id, id)).run();
}

/** Every action asks for the rules of one kind: prepared once per database. */
const rulesOfKind = perDb((db: Db) =>
  db.select().from(protectedAssets).where(eq(protectedAssets.kind, sql.placeholder("kind"))).prepare(),
);

export function protectedAssetsOfKind(db: Db, kind: ProtectedAssetKind): ProtectedAssetRow[] {
  return rulesOfKind(db).all({ kind });
}
