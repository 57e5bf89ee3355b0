// Request schemas of the admin API (accounts and API tokens), free of server imports: the routes
// and the CLI validate with them, and the admin page's forms check the same rules before sending.
import { z } from "zod";
import { ROLES } from "./enums";

export const MIN_PASSWORD_LENGTH = 12;

export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, "must be 1-64 letters, digits or . _ @ -, starting with a letter or digit");
export const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(256, "must be at most 256 characters");
export const RoleSchema = z.enum(ROLES);

/**
 * The tenants an identity may see and act in: a list of tenant ids (GUIDs, each once), or null for
 * every configured tenant. Omitted on creation: the creator's own.
 */
export const Tenants = z
  .array(
    z
      .string()
      .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "must be a tenant id (a GUID)")
      .transform((t) => t.toLowerCase()),
  )
  .min(1, "give at least one tenant, or null for all")
  .max(1000)
  .refine((ts) => new Set(ts).size === ts.length, "lists a tenant twice")
  .nullable();

export const CreateUserRequest = z.strictObject({ username: Username, role: RoleSchema, password: Password, tenants: Tenants.optional() });
export const UpdateUserRequest = z
  .strictObject({ role: RoleSchema.optional(), password: Password.optional(), disabled: z.boolean().optional(), tenants: Tenants.optional() })
  .refine((v) => Object.keys(v).length > 0, { message: "give at least one of role, password, disabled, tenants" });

/** POST /api/v1/auth/password: one's own password, the current one and the new (same rules as elsewhere). */
export const ChangePasswordRequest = z.strictObject({
  current_password: z.string().min(1, "is required").max(256, "must be at most 256 characters"),
  new_password: Password,
});

export const TokenName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 letters, digits or . _ -, starting with a letter or digit");

export const CreateTokenRequest = z.strictObject({
  name: TokenName,
  role: z.enum(ROLES),
  tenants: Tenants.optional(),
  expires_at: z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time" })
    .transform((v) => Date.parse(v))
    .refine((ms) => ms > Date.now(), "must be in the future")
    .nullish(),
});
