// Accounts of people who sign in to the page. Usernames are case-insensitive (stored lower case).
import { monotonicFactory } from "ulid";
import { inTransaction } from "@/lib/db/client";
import {
  countUsers,
  findUserByName,
  insertUser,
  listUsersByName,
  patchUser,
  revokeOtherSessionsOfUser,
  revokeSessionsOfUser,
} from "@/lib/db/queries/auth";
import type { UserRow } from "@/lib/db/schema";
import { MdrError } from "@/lib/errors";
import type { Role } from "./enums";
import { type Scope, within } from "./scope";
export { hasRole } from "./roles";
// The request schemas live in a client-safe module (the admin page's forms use them too).
export { ChangePasswordRequest, CreateUserRequest, Password, RoleSchema, UpdateUserRequest, Username } from "./schemas";
import { recordAudit } from "./audit";
import { generatePassword, hashPassword, verifyPassword } from "./passwords";
import type { Store } from "./store";

const ulid = monotonicFactory();

export function findUser(store: Store, username: string): UserRow | undefined {
  return findUserByName(store.db, username.toLowerCase());
}

/**
 * A single sign-on account signs in through its identity provider (and its MFA): a local password
 * would bypass both, so it never gets one.
 */
const NO_LOCAL_PASSWORD = "a single sign-on account has no local password; it signs in through the identity provider";

export function listUsers(store: Store): UserRow[] {
  return listUsersByName(store.db);
}

export async function createUser(
  store: Store,
  input: {
    username: string;
    role: Role;
    password?: string;
    source?: "local" | "oidc";
    oidcSubject?: string;
    mustChangePassword?: boolean;
    tenants?: Scope;
  },
  actor: string,
): Promise<UserRow> {
  const username = input.username.toLowerCase();
  if (input.source === "oidc" && input.password !== undefined) throw MdrError.field("password", NO_LOCAL_PASSWORD);
  if (findUser(store, username)) {
    throw new MdrError("conflict", `A user named ${username} already exists.`, {
      errors: [{ path: "username", message: "is taken" }],
    });
  }
  const now = store.now();
  const row: UserRow = {
    id: `usr_${ulid(now)}`,
    username,
    role: input.role,
    passwordHash: input.password === undefined ? null : await hashPassword(input.password),
    source: input.source ?? "local",
    oidcSubject: input.oidcSubject ?? null,
    disabled: false,
    tenants: input.tenants ? [...input.tenants] : null,
    mustChangePassword: input.mustChangePassword ?? false,
    createdAt: now,
    updatedAt: now,
    lastSignInAt: null,
  };
  inTransaction(store.db, () => {
    insertUser(store.db, row);
    recordAudit(store, {
      event: "user_created",
      actor,
      subject: username,
      detail: { role: row.role, source: row.source, ...(row.tenants ? { tenants: row.tenants } : {}) },
    });
  });
  return row;
}

/** Changes role, password or disabled; a new password or a disable signs the user out everywhere. */
export async function updateUser(
  store: Store,
  username: string,
  change: { role?: Role; password?: string; disabled?: boolean; tenants?: Scope },
  actor: string,
  /** The caller's scope: a user outside it is not there for it. */
  scope: Scope = null,
): Promise<UserRow> {
  const user = findUser(store, username);
  if (!user || !within(user.tenants, scope)) throw new MdrError("not_found", `No user named ${username.toLowerCase()}.`);
  if (change.password !== undefined && user.source !== "local") throw MdrError.field("password", NO_LOCAL_PASSWORD);
  const demoted = (change.role !== undefined && change.role !== "admin") || change.disabled === true;
  if (user.role === "admin" && !user.disabled && demoted) {
    const admins = listUsers(store).filter((u) => u.role === "admin" && !u.disabled && u.id !== user.id);
    if (admins.length === 0) {
      throw new MdrError("conflict", `${user.username} is the last enabled admin; make another admin first.`);
    }
  }
  const now = store.now();
  const patch: Partial<UserRow> = { updatedAt: now };
  if (change.role !== undefined) patch.role = change.role;
  if (change.disabled !== undefined) patch.disabled = change.disabled;
  if (change.password !== undefined) patch.passwordHash = await hashPassword(change.password);
  if (change.tenants !== undefined) patch.tenants = change.tenants === null ? null : [...change.tenants];
  const signOut = change.password !== undefined || change.disabled === true || change.role !== undefined || change.tenants !== undefined;
  inTransaction(store.db, () => {
    patchUser(store.db, user.id, patch);
    if (signOut) revokeSessionsOfUser(store.db, user.id, now);
    recordAudit(store, {
      event: "user_updated",
      actor,
      subject: user.username,
      detail: {
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(change.password !== undefined ? { password_changed: true } : {}),
        ...(change.tenants !== undefined ? { tenants: change.tenants } : {}),
      },
    });
  });
  return findUser(store, user.username)!;
}

/**
 * A signed-in user changes their own password: the current one must match (a check throttled and
 * audited like a sign-in), the new one follows the same rules and must differ. Clears
 * must_change_password and ends the user's other sessions; `sessionId`, the one asking, lives on.
 */
export async function changeOwnPassword(
  store: Store,
  username: string,
  input: { current_password: string; new_password: string },
  opts: { sessionId: string; ip: string | null; takeSlot: () => () => void },
): Promise<void> {
  const user = findUser(store, username);
  if (!user) throw new MdrError("not_found", `No user named ${username}.`);
  if (user.source !== "local") {
    throw MdrError.field("new_password", "a single sign-on account has no local password; change it at the identity provider");
  }
  const actor = `user:${user.username}`;
  const release = opts.takeSlot();
  try {
    if (!(await verifyPassword(input.current_password, user.passwordHash))) {
      recordAudit(store, {
        event: "sign_in_failed",
        actor,
        subject: user.username,
        ip: opts.ip,
        detail: { reason: "wrong current password", method: "password_change" },
      });
      throw MdrError.field("current_password", "is not your current password");
    }
  } finally {
    release();
  }
  if (input.new_password.normalize("NFKC") === input.current_password.normalize("NFKC")) {
    throw MdrError.field("new_password", "must differ from the current password");
  }
  const hash = await hashPassword(input.new_password);
  const now = store.now();
  inTransaction(store.db, () => {
    patchUser(store.db, user.id, { passwordHash: hash, mustChangePassword: false, updatedAt: now });
    const ended = revokeOtherSessionsOfUser(store.db, user.id, opts.sessionId, now);
    recordAudit(store, {
      event: "password_changed",
      actor,
      subject: user.username,
      ip: opts.ip,
      detail: { required: user.mustChangePassword, sessions_ended: ended },
    });
  });
}

/**
 * On a database without users, creates `admin` with the given password, or a generated one that
 * is returned once so the server can print it (and that must be changed at the first sign-in:
 * it went through a console). Returns null when users already exist.
 */
export async function ensureFirstAdmin(
  store: Store,
  password: string | undefined,
): Promise<{ username: string; password: string; generated: boolean } | null> {
  if (countUsers(store.db) > 0) return null;
  const chosen = password ?? generatePassword();
  try {
    await createUser(store, { username: "admin", role: "admin", password: chosen, mustChangePassword: password === undefined }, "system");
  } catch (err) {
    // Another process made it between the count and the insert: that one printed the password.
    if (findUser(store, "admin")) return null;
    throw err;
  }
  return { username: "admin", password: chosen, generated: password === undefined };
}

export function toApiUser(u: UserRow) {
  return {
    username: u.username,
    role: u.role,
    tenants: u.tenants,
    source: u.source,
    disabled: u.disabled,
    created_at: new Date(u.createdAt).toISOString(),
    last_sign_in_at: u.lastSignInAt === null ? null : new Date(u.lastSignInAt).toISOString(),
  };
}
