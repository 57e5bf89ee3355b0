// The OpenAPI 3.1 document, generated from the same zod schemas the handlers use.
import { z } from "zod";
import {
  ActionDetail,
  ActionList,
  Action,
  BlockIpRequest,
  BulkBlockIpRequest,
  BulkIsolateRequest,
  BulkResponse,
  ChangeExpiryRequest,
  DisableUserRequest,
  IsolateRequest,
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
            description: `With \`${bulk.field}\` (1-500, each once) instead of the single target: one action per target, validated all or nothing before any runs, executed under the rate limiter; 207 with each target's outcome. Idempotency-Key replays the whole 207.`,
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
          description: "Accepted: still running at the provider; follow Location",
          content: { "application/json": { schema: ref("Action") } },
        },
        "400": problem("Malformed JSON"),
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

export function openApiDocument(): JsonSchema {
  return {
    openapi: "3.1.0",
    info: {
      title: "MDR Response Actions",
      version: "1.0.0",
      description:
        "Contain an incident: isolate endpoints, block IPs, disable users, quarantine email. Every action is recorded in the audit log before any provider is called.",
    },
    paths: {
      "/api/v1/mdr/isolate": actionPost("Isolate an endpoint through Defender for Endpoint", "IsolateRequest", {
        schema: "BulkIsolateRequest",
        field: "hostnames",
      }),
      "/api/v1/mdr/block-ip": actionPost("Block an IP address or range on a firewall", "BlockIpRequest", {
        schema: "BulkBlockIpRequest",
        field: "ips",
      }),
      "/api/v1/mdr/disable-user": actionPost("Disable a user and revoke their sessions", "DisableUserRequest"),
      "/api/v1/mdr/quarantine-email": actionPost("Quarantine or delete an email", "QuarantineEmailRequest"),
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
          summary: "Change the expiry of an active IP block (earlier or later), recorded in its timeline",
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
    },
    components: {
      schemas: {
        IsolateRequest: input(IsolateRequest),
        BlockIpRequest: input(BlockIpRequest),
        DisableUserRequest: input(DisableUserRequest),
        QuarantineEmailRequest: input(QuarantineEmailRequest),
        RevertRequest: input(RevertRequest),
        BulkIsolateRequest: input(BulkIsolateRequest),
        BulkBlockIpRequest: input(BulkBlockIpRequest),
        BulkResponse: output(BulkResponse),
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
