// The OpenAPI 3.1 document, generated from the same zod schemas the handlers use.
import { z } from "zod";
import { ExportAuditQuery } from "@/lib/auth/audit-export";
import { SignInRequest } from "@/lib/auth/sign-in";
import { CreateTokenRequest } from "@/lib/auth/tokens";
import { ChangePasswordRequest, CreateUserRequest, UpdateUserRequest } from "@/lib/auth/users";
import { KIND_ROUTES } from "@/lib/mdr/kinds/catalog";
import { ProtectedAssetInput } from "@/lib/mdr/protected-assets";
import {
  ActionDetail,
  ActionList,
  Action,
  BlockIpRequest,
  BulkBlockIpRequest,
  BulkDisableUserRequest,
  BulkIsolateRequest,
  BulkQuarantineEmailRequest,
  BulkResponse,
  BulkStatus,
  ChangeExpiryRequest,
  DisableUserRequest,
  IsolateRequest,
  ExportActionsQuery,
  ListActionsQuery,
  MetricsQuery,
  MetricsResponse,
  Problem,
  QuarantineEmailRequest,
  RevertRequest,
  StatusResponse,
} from "@/lib/mdr/schemas";

type JsonSchema = Record<string, unknown>;

const input = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
};
const output = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "output", unrepresentable: "any" }) as JsonSchema;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

const queryParameters = (schema: z.ZodType) => {
  const js = input(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query",
    required: js.required?.includes(name) ?? false,
    schema: s,
  }));
};

function actionPost(summary: string, body: string, bulk?: { schema: string; field: string }) {
  const schema = bulk ? { oneOf: [ref(body), ref(bulk.schema)] } : ref(body);
  return {
    post: {
      summary,
      ...(bulk
        ? {
            description: `With \`${bulk.field}\` (1-500, each once) instead of the single target: one action per target, validated all or nothing before any runs, each written \`queued\` first (one bulk, \`parameters.bulk_id\`) and run as the provider's rate limits allow. 207 when every target is final for now; 202 with Location (GET /api/v1/mdr/bulk/{bulk_id}) while some wait in the queue, where they are sent, exactly once, as their turns come (also after a restart). No target fails for rate reasons. Idempotency-Key replays the whole answer.`,
          }
        : {}),
      requestBody: { required: true, content: { "application/json": { schema } } },
      responses: {
        ...(bulk
          ? {
              "207": {
                description: "Bulk: per target, the action and what a single request would have answered",
                content: { "application/json": { schema: ref("BulkResponse") } },
              },
            }
          : {}),
        "201": { description: "Done: the action as recorded", content: { "application/json": { schema: ref("Action") } } },
        "202": {
          description: bulk
            ? "Accepted: still running at the provider; follow Location. Bulk: some targets wait in the queue (status `queued`); follow Location to the bulk"
            : "Accepted: still running at the provider; follow Location",
          content: { "application/json": { schema: bulk ? { oneOf: [ref("Action"), ref("BulkResponse")] } : ref("Action") } },
        },
        "400": problem("Malformed JSON"),
        "403": problem(
          "Needs the responder role; the target is a protected asset (recorded as rejected); or tenant_id is outside the caller's tenants (tenant-forbidden; nothing recorded but the security audit)",
        ),
        "404": problem("The target does not exist at the provider (recorded as rejected)"),
        "409": problem(
          "Ambiguous target, conflicting state, or a duplicate: the effect is already in place or on its way (holder_action_id names that action); recorded as rejected, nothing sent",
        ),
        "413": problem("Body over 64 KiB"),
        "415": problem("Not application/json"),
        "422": problem("Invalid field; errors[] names each"),
        "502": problem("The provider refused or failed (recorded as failed; action_id given)"),
        "503": problem(
          "The provider is unavailable or throttling, its circuit is open (fails fast without a call), or the wait for a turn under its rate limit is beyond the bound; Retry-After says when to try again",
        ),
        "504": problem("The provider did not answer in time"),
      },
    },
  };
}

type Operation = { summary: string; responses: Record<string, unknown>; security?: unknown[]; [k: string]: unknown };

/** The least role each operation needs (`public`: no credential); every other operation needs viewer. */
const ROLE_OF: Record<string, "public" | "responder" | "admin"> = {
  "POST /api/v1/auth/login": "public",
  // Every kind's route executes an action.
  ...Object.fromEntries(KIND_ROUTES.map((r) => [`POST ${r.path}`, "responder" as const])),
  "POST /api/v1/mdr/actions/{id}/revert": "responder",
  "POST /api/v1/mdr/bulk/{id}/revert": "responder",
  "PATCH /api/v1/mdr/actions/{id}": "responder",
  "POST /api/v1/mdr/protected-assets": "admin",
  "DELETE /api/v1/mdr/protected-assets/{id}": "admin",
};

/** Adds who may call each operation, and the 401/403/429 answers every protected one can give. */
function secure(paths: Record<string, Record<string, Operation>>): Record<string, Record<string, Operation>> {
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const role = ROLE_OF[`${method.toUpperCase()} ${path}`] ?? (path.startsWith("/api/v1/admin/") ? "admin" : "viewer");
      if (role === "public") {
        op.security = [];
        continue;
      }
      op["x-required-role"] = role;
      op.responses["401"] = problem("No credential, or a bad, expired or revoked token or session");
      op.responses["403"] ??= problem(`Needs the ${role} role, or a cookie request without our Origin`);
      if (role === "responder" && method === "post") op.responses["429"] = problem("Over the caller's action rate limit; see Retry-After");
    }
  }
  return paths;
}

const json200 = (description: string, schema: JsonSchema) => ({ description, content: { "application/json": { schema } } });
const body = (name: string) => ({ required: true, content: { "application/json": { schema: ref(name) } } });
const pathId = (name: string, pattern: string) => [{ name, in: "path", required: true, schema: { type: "string", pattern } }];

/** Sign-in, users, tokens, the security audit log and protected assets. */
const AUTH_PATHS = {
  "/api/v1/auth/login": {
    post: {
      summary: "Sign in with a local account; sets the httpOnly session cookie",
      requestBody: body("SignInRequest"),
      responses: {
        "200": json200("Signed in", { type: "object" }),
        "401": problem("Wrong username or password"),
        "403": problem("A browser request from another site"),
        "422": problem("Missing username or password"),
        "429": problem("Too many failed sign-ins; see Retry-After"),
      },
    },
  },
  "/api/v1/auth/logout": {
    post: { summary: "End this browser's session (server-side)", responses: { "204": { description: "Signed out" } } },
  },
  "/api/v1/auth/me": {
    get: { summary: "Who this request is, with which role and tenants (null: all)", responses: { "200": json200("Identity", { type: "object" }) } },
  },
  "/api/v1/auth/password": {
    post: {
      summary: "Change one's own password (the only call, with me and logout, that a generated first-run password allows)",
      requestBody: body("ChangePasswordRequest"),
      responses: {
        "204": { description: "Changed; the user's other sessions end" },
        "401": problem("Wrong current password"),
        "422": problem("Invalid field; a single sign-on account has no local password"),
        "429": problem("Too many failed attempts; see Retry-After"),
      },
    },
  },
  "/api/v1/admin/users": {
    get: { summary: "Every account", responses: { "200": json200("Users", { type: "object" }) } },
    post: {
      summary: "Create a local account",
      requestBody: body("CreateUserRequest"),
      responses: { "201": json200("Created", { type: "object" }), "409": problem("Username taken"), "422": problem("Invalid field") },
    },
  },
  "/api/v1/admin/users/{username}": {
    patch: {
      summary: "Change role, password, disabled or tenants; ends the user's sessions (only a user within the admin's tenants)",
      parameters: pathId("username", "^[a-z0-9]"),
      requestBody: body("UpdateUserRequest"),
      responses: {
        "200": json200("Updated", { type: "object" }),
        "404": problem("No such user"),
        "409": problem("Would leave no enabled admin"),
        "422": problem("Invalid field"),
      },
    },
  },
  "/api/v1/admin/tokens": {
    get: { summary: "Every API token, never its secret", responses: { "200": json200("Tokens", { type: "object" }) } },
    post: {
      summary: "Create an API token; the `token` member is shown only in this answer",
      requestBody: body("CreateTokenRequest"),
      responses: { "201": json200("Created", { type: "object" }), "409": problem("Name taken"), "422": problem("Invalid field") },
    },
  },
  "/api/v1/admin/tokens/{id}": {
    delete: {
      summary: "Revoke a token at once",
      parameters: pathId("id", "^tok_"),
      responses: { "200": json200("Revoked", { type: "object" }), "404": problem("No such token"), "409": problem("Already revoked") },
    },
  },
  "/api/v1/admin/audit": {
    get: {
      summary: "The security audit log: sign-ins, failures, tokens, users, protected assets; newest first",
      responses: { "200": json200("A page of events", { type: "object" }), "422": problem("Invalid filter") },
    },
  },
  "/api/v1/admin/audit/verify": {
    get: {
      summary:
        "Verify the audit log: the hash chain over actions, their timelines and the security events, and the signed checkpoints; `ok` false names the first record that does not match (an admin of every tenant)",
      responses: { "200": json200("The verification", { type: "object" }) },
    },
  },
  "/api/v1/admin/audit/export": {
    get: {
      summary: "The security audit log as a file (admins of every tenant), oldest first, streamed: one event and its hash per NDJSON line or CSV record",
      parameters: queryParameters(ExportAuditQuery),
      responses: {
        "200": {
          description: "The events (attachment; Content-Disposition names the file)",
          content: {
            "application/x-ndjson": { schema: { type: "string", description: "One JSON object a line: the event as GET /admin/audit gives it, and `hash`" } },
            "text/csv": { schema: { type: "string", description: "A header record, then one record per event (CRLF, RFC 4180)" } },
          },
        },
        "422": problem("Invalid filter or format"),
      },
    },
  },
  "/api/v1/mdr/protected-assets": {
    get: { summary: "The guardrails: protected hostname patterns, UPNs and address ranges", responses: { "200": json200("Rules", { type: "object" }) } },
    post: {
      summary: "Protect a hostname pattern, UPN or address range (admin)",
      requestBody: body("ProtectedAssetInput"),
      responses: { "201": json200("Added", { type: "object" }), "409": problem("Already protected"), "422": problem("Invalid pattern") },
    },
  },
  "/api/v1/mdr/protected-assets/{id}": {
    delete: {
      summary: "Remove a guardrail (admin)",
      parameters: pathId("id", "^pa_"),
      responses: { "200": json200("Removed", { type: "object" }), "404": problem("No such rule") },
    },
  },
};

export function openApiDocument(): JsonSchema {
  return {
    openapi: "3.1.0",
    info: {
      title: "MDR Response Actions",
      version: "1.0.0",
      description:
        "Contain an incident: isolate endpoints, block IPs, disable users, quarantine email. Every action is recorded in the audit log before any provider is called.",
    },
    security: [{ bearerToken: [] }, { sessionCookie: [] }],
    paths: secure({
      ...AUTH_PATHS,
      ...Object.fromEntries(KIND_ROUTES.map((r) => [r.path, actionPost(r.summary, r.body, r.bulk)])),
      "/api/v1/mdr/actions": {
        get: {
          summary: "The audit log, newest first",
          parameters: queryParameters(ListActionsQuery),
          responses: {
            "200": { description: "A page of actions", content: { "application/json": { schema: ref("ActionList") } } },
            "422": problem("Invalid filter"),
          },
        },
      },
      "/api/v1/mdr/actions/export": {
        get: {
          summary: "The audit log of actions as a file, oldest first, streamed: one action with its timeline and hash per NDJSON line or CSV record",
          parameters: queryParameters(ExportActionsQuery),
          responses: {
            "200": {
              description: "The actions (attachment; Content-Disposition names the file)",
              content: {
                "application/x-ndjson": { schema: { type: "string", description: "One JSON object a line: ActionDetail and `hash`" } },
                "text/csv": { schema: { type: "string", description: "A header record, then one record per action (CRLF, RFC 4180)" } },
              },
            },
            "422": problem("Invalid filter or format"),
          },
        },
      },
      "/api/v1/mdr/actions/{id}": {
        get: {
          summary: "One action with its timeline",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^act_" } }],
          responses: {
            "200": { description: "The action", content: { "application/json": { schema: ref("ActionDetail") } } },
            "404": problem("No such action"),
            "422": problem("Not an action id"),
          },
        },
        patch: {
          summary: "Change the expiry of an active IP block (earlier or later), recorded as an action of its own and in the block's timeline",
          description:
            "A Defender indicator's expirationTime is updated at Defender (Submit or Update Indicator); NSG rules and ACL entries are ended by the expiry sweep at the new time.",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^act_" } }],
          requestBody: { required: true, content: { "application/json": { schema: ref("ChangeExpiryRequest") } } },
          responses: {
            "200": { description: "The block with its new expires_at", content: { "application/json": { schema: ref("Action") } } },
            "400": problem("Malformed JSON"),
            "404": problem("No such action"),
            "409": problem("Not an IP block, or not in effect (ended, failed, being ended); the detail says why"),
            "415": problem("Not application/json"),
            "422": problem("Malformed id, or expires_at not in the future or more than 8760 hours away"),
            "502": problem("Defender refused the update"),
            "503": problem("Defender is unavailable"),
            "504": problem("Defender did not answer in time"),
          },
        },
      },
      "/api/v1/mdr/actions/{id}/revert": {
        post: {
          summary: "Undo an action: release, unblock, re-enable or restore, as a linked reverse action",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^act_" } }],
          requestBody: { required: false, content: { "application/json": { schema: ref("RevertRequest") } } },
          responses: {
            "201": { description: "Undone", content: { "application/json": { schema: ref("Action") } } },
            "202": { description: "Accepted: the release still runs at Defender", content: { "application/json": { schema: ref("Action") } } },
            "400": problem("Malformed JSON"),
            "404": problem("No such action, or the target is gone at the provider"),
            "409": problem("Cannot be undone now; the detail says why"),
            "413": problem("Body over 64 KiB"),
            "415": problem("A body that is not application/json (no body at all is fine)"),
            "422": problem("Malformed id or body"),
            "502": problem("The provider refused or failed (recorded as failed; action_id given)"),
            "503": problem("The provider is unavailable or throttling"),
            "504": problem("The provider did not answer in time"),
          },
        },
      },
      "/api/v1/mdr/bulk/{id}": {
        get: {
          summary: "A bulk's progress: targets per status, each target's action as it is now, and when the queued ones should have gone",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^blk_" } }],
          responses: {
            "200": { description: "The bulk", content: { "application/json": { schema: ref("BulkStatus") } } },
            "404": problem("No such bulk in the caller's tenants"),
            "422": problem("Malformed id"),
          },
        },
      },
      "/api/v1/mdr/bulk/{id}/revert": {
        post: {
          summary: "Undo every target of a bulk that is in effect, as a bulk of its own (its `reverts` names this one)",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", pattern: "^blk_" } }],
          requestBody: { required: false, content: { "application/json": { schema: ref("RevertRequest") } } },
          responses: {
            "207": { description: "Every undo final for now", content: { "application/json": { schema: ref("BulkResponse") } } },
            "202": { description: "Some undos wait in the queue; follow Location", content: { "application/json": { schema: ref("BulkResponse") } } },
            "404": problem("No such bulk in the caller's tenants"),
            "409": problem("Nothing of the bulk is in effect and not already being undone"),
            "422": problem("Malformed id or body"),
          },
        },
      },
      "/api/v1/mdr/status": {
        get: {
          summary: "Health of the outside services (cached about 30 s)",
          responses: {
            "200": { description: "Status", content: { "application/json": { schema: ref("StatusResponse") } } },
          },
        },
      },
      "/api/v1/mdr/metrics": {
        get: {
          summary: "Response metrics over the last hours",
          parameters: queryParameters(MetricsQuery),
          responses: {
            "200": { description: "Metrics", content: { "application/json": { schema: ref("MetricsResponse") } } },
            "422": problem("Invalid hours"),
          },
        },
      },
    }),
    components: {
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "An API token: Authorization: Bearer mdr_..." },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "mdr_session",
          description: "The page's session (`__Host-mdr_session` over https); mutating requests must carry our Origin",
        },
      },
      schemas: {
        SignInRequest: input(SignInRequest),
        ChangePasswordRequest: input(ChangePasswordRequest),
        CreateUserRequest: input(CreateUserRequest),
        UpdateUserRequest: input(UpdateUserRequest),
        CreateTokenRequest: input(CreateTokenRequest),
        ProtectedAssetInput: input(ProtectedAssetInput),
        IsolateRequest: input(IsolateRequest),
        BlockIpRequest: input(BlockIpRequest),
        DisableUserRequest: input(DisableUserRequest),
        QuarantineEmailRequest: input(QuarantineEmailRequest),
        RevertRequest: input(RevertRequest),
        BulkIsolateRequest: input(BulkIsolateRequest),
        BulkBlockIpRequest: input(BulkBlockIpRequest),
        BulkDisableUserRequest: input(BulkDisableUserRequest),
        BulkQuarantineEmailRequest: input(BulkQuarantineEmailRequest),
        BulkResponse: output(BulkResponse),
        BulkStatus: output(BulkStatus),
        ChangeExpiryRequest: input(ChangeExpiryRequest),
        Action: output(Action),
        ActionDetail: output(ActionDetail),
        ActionList: output(ActionList),
        StatusResponse: output(StatusResponse),
        MetricsResponse: output(MetricsResponse),
        Problem: output(Problem),
      },
    },
  };
}
