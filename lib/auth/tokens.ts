// API tokens for scripts and SOAR playbooks: `mdr_` + 256 random bits, shown once at creation,
// stored as SHA-256 only, each with a role, a name, an optional expiry and a last-used time.
import { monotonicFactory } from "ulid";
import { inTransaction } from "@/lib/db/client";
import {
  findTokenById,
  findTokenByName,
  findTokenBySecretHash,
  insertToken,
  listTokensByCreation,
  revokeTokenById,
  touchToken,
} from "@/lib/db/queries/auth";
import type { ApiTokenRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import type { Role } from "./enums";
import { type Scope, within } from "./scope";
import { recordAudit } from "./audit";
import { newSecret, sha256 } from "./secrets";
import type { Store } from "./store";

const ulid = monotonicFactory();

export const TOKEN_PREFIX = "mdr_";
// The request schemas live in a client-safe module (the admin page's form uses them too).
export { CreateTokenRequest, TokenName } from "./schemas";

/** last_used_at is written at most this often per token, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export function createToken(
  store: Store,
  input: { name: string; role: Role; expiresAt?: number | null; tenants?: Scope },
  actor: string,
): { token: string; row: ApiTokenRow } {
  if (findTokenByName(store.db, input.name)) {
    throw new MdrError("conflict", `A token named ${input.name} already exists; choose another name or revoke it first.`, {
      errors: [{ path: "name", message: "is taken" }],
    });
  }
  const now = store.now();
  const token = TOKEN_PREFIX + newSecret();
  const row: ApiTokenRow = {
    id: `tok_${ulid(now)}`,
    name: input.name,
    role: input.role,
    secretHash: sha256(token),
    prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    tenants: input.tenants ? [...input.tenants] : null,
    createdBy: actor,
    createdAt: now,
    expiresAt: input.expiresAt ?? null,
    lastUsedAt: null,
    revokedAt: null,
    revokedBy: null,
  };
  inTransaction(store.db, () => {
    insertToken(store.db, row);
    recordAudit(store, {
      event: "token_created",
      actor,
      subject: row.id,
      detail: {
        name: row.name,
        role: row.role,
        expires_at: row.expiresAt === null ? null : new Date(row.expiresAt).toISOString(),
        ...(row.tenants ? { tenants: row.tenants } : {}),
      },
    });
  });
  return { token, row };
}

export type TokenCheck = { ok: true; row: ApiTokenRow } | { ok: false; why: "unknown" | "revoked" | "expired" };

/** What a presented bearer token is worth. */
export function checkToken(store: Store, token: string): TokenCheck {
  if (!token.startsWith(TOKEN_PREFIX)) return { ok: false, why: "unknown" };
  const row = findTokenBySecretHash(store.db, sha256(token));
  if (!row) return { ok: false, why: "unknown" };
  if (row.revokedAt !== null) return { ok: false, why: "revoked" };
  const now = store.now();
  if (row.expiresAt !== null && row.expiresAt <= now) return { ok: false, why: "expired" };
  if (row.lastUsedAt === null || now - row.lastUsedAt >= TOUCH_EVERY_MS) {
    touchToken(store.db, row.id, now);
  }
  return { ok: true, row };
}

export function listTokens(store: Store): ApiTokenRow[] {
  return listTokensByCreation(store.db);
}

/** Revokes by id (`tok_...`) or name; revoking twice is a 409. */
/** Revokes a token; one outside the caller's scope (`scope`) is not there for it. */
export function revokeToken(store: Store, idOrName: string, actor: string, scope: Scope = null): ApiTokenRow {
  const row = idOrName.startsWith("tok_") ? findTokenById(store.db, idOrName) : findTokenByName(store.db, idOrName);
  if (!row || !within(row.tenants, scope)) throw new MdrError("not_found", `No token ${idOrName}.`);
  if (row.revokedAt !== null) {
    throw new MdrError("conflict", `Token ${row.name} was already revoked at ${new Date(row.revokedAt).toISOString()}.`);
  }
  const now = store.now();
  inTransaction(store.db, () => {
    revokeTokenById(store.db, row.id, now, actor);
    recordAudit(store, { event: "token_revoked", actor, subject: row.id, detail: { name: row.name } });
  });
  return { ...row, revokedAt: now, revokedBy: actor };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toApiToken(t: ApiTokenRow) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    tenants: t.tenants,
    prefix: t.prefix,
    created_by: t.createdBy,
    created_at: iso(t.createdAt),
    expires_at: iso(t.expiresAt),
    last_used_at: iso(t.lastUsedAt),
    revoked_at: iso(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}
