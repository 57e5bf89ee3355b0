import "server-only";
// Guardrails: assets no action may touch (domain controllers, break-glass accounts, our own
// egress and resolvers). Rules are hostname patterns (`DC-*`, `*.corp.contoso.com`), UPN patterns
// and address ranges; an action against one is refused with 403 and recorded as rejected.
import fs from "node:fs";
import picomatch from "picomatch";
import { monotonicFactory } from "ulid";
import { z } from "zod";
import { recordAudit } from "@/lib/auth/audit";
import type { Store } from "@/lib/auth/store";
import { type Config, ConfigError } from "@/lib/config";
import { getDb, inTransaction } from "@/lib/db/client";
import {
  allProtectedAssets,
  deleteProtectedAsset,
  findProtectedAsset,
  insertProtectedAsset,
  protectedAssetsOfKind,
} from "@/lib/db/queries/protected-assets";
import type { ProtectedAssetRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import type { ProtectedAssetKind } from "@/lib/mdr/enums";
import { ProtectedAssetInput, parseRange } from "./protected-asset-schema";

const ulid = monotonicFactory();

// The request schema is client-safe (the admin page's form checks with it too).
export { ProtectedAssetInput } from "./protected-asset-schema";

export function listProtectedAssets(store: Store): ProtectedAssetRow[] {
  return allProtectedAssets(store.db);
}

export function addProtectedAsset(
  store: Store,
  input: ProtectedAssetInput,
  actor: string,
  source: "api" | "file" = "api",
): ProtectedAssetRow {
  const existing = listProtectedAssets(store).find((r) => r.kind === input.kind && r.pattern === input.pattern);
  if (existing) {
    throw new MdrError("conflict", `${input.kind} ${input.pattern} is already protected (${existing.id}).`, {
      extra: { protected_asset_id: existing.id },
    });
  }
  const now = store.now();
  const row: ProtectedAssetRow = { id: `pa_${ulid(now)}`, ...input, source, createdBy: actor, createdAt: now };
  inTransaction(store.db, () => {
    insertProtectedAsset(store.db, row);
    recordAudit(store, { event: "protected_asset_added", actor, subject: row.id, detail: { ...input, source } });
  });
  return row;
}

export function removeProtectedAsset(store: Store, id: string, actor: string): ProtectedAssetRow {
  const row = findProtectedAsset(store.db, id);
  if (!row) throw new MdrError("not_found", `No protected asset ${id}.`);
  inTransaction(store.db, () => {
    deleteProtectedAsset(store.db, id);
    recordAudit(store, {
      event: "protected_asset_removed",
      actor,
      subject: id,
      detail: { kind: row.kind, pattern: row.pattern, note: row.note },
    });
  });
  return row;
}

const ProtectedAssetsFile = z.strictObject({ assets: z.array(z.unknown()) });

/** Adds the file's rules that are not there yet (MDR_PROTECTED_ASSETS_FILE); returns how many were added. */
export function seedProtectedAssets(store: Store, file: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`MDR_PROTECTED_ASSETS_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  const doc = ProtectedAssetsFile.safeParse(parsed);
  if (!doc.success) throw new Error(`MDR_PROTECTED_ASSETS_FILE: must be {"assets": [{"kind", "pattern", "note"}]}`);
  // The whole file is checked before anything is added: a bad entry leaves no partial seed.
  const rules = doc.data.assets.map((entry, i) => {
    const rule = ProtectedAssetInput.safeParse(entry);
    if (!rule.success) {
      throw new Error(`MDR_PROTECTED_ASSETS_FILE: assets[${i}]: ${rule.error.issues.map((x) => `${x.path.join(".")}: ${x.message}`).join("; ")}`);
    }
    return rule.data;
  });
  const existing = new Set(listProtectedAssets(store).map((r) => `${r.kind} ${r.pattern}`));
  let added = 0;
  for (const rule of rules) {
    if (existing.has(`${rule.kind} ${rule.pattern}`)) continue;
    addProtectedAsset(store, rule, "system", "file");
    existing.add(`${rule.kind} ${rule.pattern}`);
    added++;
  }
  return added;
}

/** At start: adds the rules of MDR_PROTECTED_ASSETS_FILE that are missing; a bad file is a ConfigError. */
export function prepareProtectedAssets(cfg: Config, print: (line: string) => void): void {
  const file = cfg.auth.protectedAssetsFile;
  if (!file) return;
  let added: number;
  try {
    added = seedProtectedAssets({ db: getDb(), now: Date.now }, file);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (added) print(`[mdr] Protected assets: ${added} rule(s) added from ${file}`);
}

/** Compiled patterns: compiling one costs more than the rest of a check. Rules are few; the cache is bounded anyway. */
const matchers = new Map<string, (value: string) => boolean>();

function globMatches(pattern: string, value: string): boolean {
  let matches = matchers.get(pattern);
  if (!matches) {
    if (matchers.size >= 10_000) matchers.clear();
    matches = picomatch(pattern, { nocase: true, dot: true, bash: false });
    matchers.set(pattern, matches);
  }
  return matches(value);
}

function rangesOverlap(a: string, b: string): boolean {
  const ra = parseRange(a);
  const rb = parseRange(b);
  if (!ra || !rb || ra[0].kind() !== rb[0].kind()) return false;
  // Two prefixes overlap exactly when the shorter one contains the other's network address.
  const [wide, narrow] = ra[1] <= rb[1] ? [ra, rb] : [rb, ra];
  return narrow[0].match(wide[0], wide[1]);
}

/** The rule protecting the target, if any. A hostname is tried whole and as its first label. */
export function protectingRule(
  store: Store,
  kind: ProtectedAssetKind,
  value: string,
): ProtectedAssetRow | undefined {
  const rules = protectedAssetsOfKind(store.db, kind);
  if (kind === "ip_range") return rules.find((r) => rangesOverlap(r.pattern, value));
  const candidates = kind === "hostname" ? [value, value.split(".")[0]!] : [value];
  return rules.find((r) => candidates.some((c) => globMatches(r.pattern, c)));
}

/** Refuses (403, recorded as rejected by the pipeline) an action against a protected asset. */
export function assertNotProtected(store: Store, kind: ProtectedAssetKind, value: string, field: string): void {
  const rule = protectingRule(store, kind, value);
  if (!rule) return;
  throw new MdrError(
    "protected_asset",
    `${value} is a protected asset (rule ${rule.id}: ${rule.kind} ${rule.pattern}${rule.note ? ` — ${rule.note}` : ""}); nothing was done.`,
    {
      errors: [{ path: field, message: `matches protected ${rule.kind} rule ${rule.pattern}` }],
      extra: { protected_asset: toApiProtectedAsset(rule) },
    },
  );
}

export function toApiProtectedAsset(r: ProtectedAssetRow) {
  return {
    id: r.id,
    kind: r.kind,
    pattern: r.pattern,
    note: r.note,
    source: r.source,
    created_by: r.createdBy,
    created_at: new Date(r.createdAt).toISOString(),
  };
}
