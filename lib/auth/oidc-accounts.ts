// From validated ID token claims to a signed-in user: the role from the configured claim (app
// roles or group ids), the account found by issuer + subject or made on first sign-in, the role
// brought up to date on every sign-in, and each outcome audited. A single sign-on identity never
// takes over a local account of the same name.
import type { OidcConfig } from "@/lib/config";
import { inTransaction } from "@/lib/db/client";
import { findUserByOidcSubject, patchUser, revokeSessionById, revokeSessionsOfUser } from "@/lib/db/queries/auth";
import type { SessionRow, UserRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import { ROLES, type Role } from "./enums";
import { recordAudit } from "./audit";
import type { Scope } from "./scope";
import { startSession } from "./sessions";
import type { Store } from "./store";
import { Username, createUser, findUser } from "./users";

export type OidcRefusal = "sso_failed" | "sso_no_role" | "sso_no_tenant";

export type OidcSignIn =
  | { ok: true; user: UserRow; session: SessionRow; secret: string }
  | { ok: false; error: OidcRefusal; reason: string };

type Claims = Record<string, unknown>;

/** The highest role any value of the role claim (a string or an array of them) maps to. */
export function roleFromClaims(cfg: Pick<OidcConfig, "roleClaim" | "roleMap">, claims: Claims): Role | undefined {
  const raw = claims[cfg.roleClaim];
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === "string");
  let best: Role | undefined;
  for (const value of values) {
    const role = Object.hasOwn(cfg.roleMap, value) ? cfg.roleMap[value] : undefined;
    if (role && (best === undefined || ROLES.indexOf(role) > ROLES.indexOf(best))) best = role;
  }
  return best;
}

/**
 * The tenants the tenant claim's values give (their union; null: every tenant), or undefined when
 * none of them is mapped. Without a mapping (MDR_OIDC_TENANT_MAP unset), every tenant.
 */
export function tenantsFromClaims(cfg: Pick<OidcConfig, "tenantClaim" | "tenantMap">, claims: Claims): Scope | undefined {
  if (!cfg.tenantMap) return null;
  const raw = claims[cfg.tenantClaim];
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === "string");
  const found = new Set<string>();
  let mapped = false;
  for (const value of values) {
    if (!Object.hasOwn(cfg.tenantMap, value)) continue;
    const tenants = cfg.tenantMap[value]!;
    if (tenants === null) return null;
    mapped = true;
    for (const t of tenants) found.add(t);
  }
  return mapped ? [...found].sort() : undefined;
}

const sameScope = (a: Scope, b: Scope): boolean => (a === null || b === null ? a === b : a.length === b.length && a.every((t) => b.includes(t)));

/** The account key: the same subject at another issuer is another person. */
export function oidcSubjectOf(issuer: string, sub: string): string {
  return `${issuer}|${sub}`;
}

function noRoleReason(cfg: OidcConfig, claims: Claims): string {
  // Entra leaves the groups out of the token for members of too many groups ("overage").
  const names = claims._claim_names;
  if (cfg.roleClaim === "groups" && names && typeof names === "object" && "groups" in names) {
    return "no role: the token lists no groups (too many groups for a token); use app roles instead";
  }
  return "no role";
}

/**
 * Signs in the person the ID token names, or says why not (and audits either way). `ip` is
 * recorded; `previousSessionId`, a session this browser still had, is ended.
 */
export async function signInWithOidc(
  store: Store,
  cfg: OidcConfig,
  claims: Claims,
  opts: { ip: string | null; sessionTtlMs: number; previousSessionId?: string },
): Promise<OidcSignIn> {
  const refuse = (error: OidcRefusal, reason: string, subject: string | null, extra: Claims = {}): OidcSignIn => {
    recordAudit(store, {
      event: "sign_in_failed",
      actor: "anonymous",
      subject,
      ip: opts.ip,
      detail: { method: "oidc", reason, ...extra },
    });
    return { ok: false, error, reason };
  };

  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (!sub) return refuse("sso_failed", "the ID token has no subject", null);
  const oidcSubject = oidcSubjectOf(cfg.issuer, sub);
  const rawName = claims[cfg.usernameClaim];
  const parsedName = Username.safeParse(typeof rawName === "string" ? rawName : "");
  const claimedName = typeof rawName === "string" ? rawName.slice(0, 100) : undefined;
  const existing = findUserByOidcSubject(store.db, oidcSubject);
  // Failures are recorded against the account only when it is a single sign-on account: a
  // local account's name must not collect failures (and sign-in throttling) it did not cause.
  const auditSubject = existing?.username ?? null;
  const who = { oidc_subject: oidcSubject, ...(claimedName !== undefined ? { username: claimedName.toLowerCase() } : {}) };

  const role = roleFromClaims(cfg, claims);
  if (!role) return refuse("sso_no_role", noRoleReason(cfg, claims), auditSubject, who);
  const tenants = tenantsFromClaims(cfg, claims);
  if (tenants === undefined) return refuse("sso_no_tenant", `no tenant: no value of the ${cfg.tenantClaim} claim is mapped to one`, auditSubject, who);

  let user = existing;
  if (!user) {
    if (claimedName === undefined) {
      return refuse("sso_failed", `the ID token has no ${cfg.usernameClaim} claim`, null, who);
    }
    if (!parsedName.success) {
      return refuse("sso_failed", `the ${cfg.usernameClaim} claim is not a valid username`, null, who);
    }
    const username = parsedName.data;
    const clash = findUser(store, username);
    if (clash) {
      const whose = clash.source === "local" ? "a local account" : "another single sign-on account";
      return refuse("sso_failed", `username ${username} belongs to ${whose}`, null, who);
    }
    try {
      user = await createUser(store, { username, role, source: "oidc", oidcSubject, tenants }, "system");
    } catch (err) {
      // Another sign-in made it (or took the name) in between.
      if (!(err instanceof MdrError) || err.code !== "conflict") throw err;
      return refuse("sso_failed", `username ${username} was taken during sign-in`, null, who);
    }
  }

  if (user.disabled) return refuse("sso_failed", "account disabled", user.username, who);

  if (user.role !== role || !sameScope(user.tenants, tenants)) {
    // The identity provider decides: its role and tenants apply from this sign-in on, and the
    // sessions made under the old ones end.
    const now = store.now();
    const previous = { role: user.role, tenants: user.tenants };
    const id = user.id;
    const changed = {
      ...(previous.role !== role ? { role, previous_role: previous.role } : {}),
      ...(!sameScope(previous.tenants, tenants) ? { tenants, previous_tenants: previous.tenants } : {}),
    };
    const patch = { role, tenants: tenants === null ? null : [...tenants] };
    inTransaction(store.db, () => {
      patchUser(store.db, id, { ...patch, updatedAt: now });
      revokeSessionsOfUser(store.db, id, now);
      recordAudit(store, { event: "user_updated", actor: "system", subject: user!.username, detail: { ...changed, source: "oidc" } });
    });
    user = { ...user, ...patch, updatedAt: now };
  }
  // Whoever this browser was signed in as before, that session ends here.
  if (opts.previousSessionId) {
    revokeSessionById(store.db, opts.previousSessionId, store.now());
  }

  const { session, secret } = startSession(store, user, {
    ttlMs: opts.sessionTtlMs,
    ip: opts.ip,
    method: "oidc",
    detail: { role: user.role },
  });
  return { ok: true, user, session, secret };
}
