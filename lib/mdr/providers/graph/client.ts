// Microsoft Graph through the official client: users (disable, enable, revoke sessions) and mail
// (find by Message-ID, move, permanently delete).
import { Client, GraphError, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { z } from "zod";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { type RetryPolicy, firstIssue, kindOfStatus, refusalMessage, retryAfterSeconds, withRetry } from "@/lib/mdr/providers/live/retry";
import { type TokenSource, defaultScope } from "@/lib/mdr/providers/live/tokens";
import {
  type BatchOutcome,
  type DirectoryUser,
  type IdentityProvider,
  type MailFolder,
  type MailMessage,
  type MailProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";

// Answers are parsed for what the actions use, and tolerate the rest: ids and what the code
// decides on (accountEnabled) are required; a field that is only shown falls back when absent.

/** A text field that may be absent or null: "" then. */
const text = z.string().nullish().transform((s) => s ?? "");

const UserSchema = z.object({
  id: z.string(),
  // Only shown: the caller knows the UPN it asked for (getUser fills it in).
  userPrincipalName: z.string().nullish(),
  displayName: text,
  // Decided on (was the account enabled; is the disable in place after a restart): the key is
  // required. Null reads as enabled, as before.
  accountEnabled: z.boolean().nullable().transform((e) => e ?? true),
});
// Only the id is acted on (moved, deleted, kept to undo); the rest is shown in the timeline. The
// internetMessageId may be absent where the message was asked for by it, or by its Graph id.
const MessageSchema = z.object({
  id: z.string(),
  internetMessageId: text,
  subject: text,
  from: z
    .object({ emailAddress: z.object({ address: z.string().nullish() }).nullish() })
    .nullish()
    .transform((f) => f?.emailAddress?.address ?? ""),
  receivedDateTime: text,
  parentFolderId: text,
});
const MessageList = z.object({ value: z.array(MessageSchema) });

/** Graph's answer to a JSON batch: one response per request, matched by id (not by position). */
const BatchAnswer = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).nullish(),
      body: z.unknown().optional(),
    }),
  ),
});

/** One operation of a JSON batch: a request as the single call would send it, relative to the version. */
interface BatchOp {
  method: "GET" | "PATCH" | "POST";
  /** Relative to the version, already encoded: `/users/alice%40contoso.com?$select=id`. */
  url: string;
  body?: unknown;
  /** How the timeline names it: `PATCH /users/alice@contoso.com`. */
  what: string;
  permission: string;
  /** Outlook allows 4 concurrent requests per mailbox: at most 4 of one mailbox go in a batch. */
  mailbox?: string;
}

/** A sub-request's answer: its status and body. */
interface BatchReply {
  status: number;
  body: unknown;
}

/** JSON batching: "JSON batch requests are currently limited to 20 individual requests" (json-batching.md). */
export const GRAPH_BATCH_SIZE = 20;
/** Outlook: 4 concurrent requests per app and mailbox (throttling-limits.md); a batch's requests run at once. */
const MAILBOX_CONCURRENCY = 4;

const USER_FIELDS = "id,userPrincipalName,displayName,accountEnabled";
const MESSAGE_FIELDS = "id,internetMessageId,subject,from,receivedDateTime,parentFolderId";

/** Graph application permissions each call needs. */
const PERMISSION = {
  readUser: "User.Read.All",
  enable: "User.EnableDisableAccount.All (administrators also need the Privileged Authentication Administrator role)",
  revoke: "User.RevokeSessions.All",
  mail: "Mail.ReadWrite",
  organization: "Organization.Read.All",
} as const;

export interface GraphOptions {
  baseUrl: string;
  resource: string;
  tokens: TokenSource;
  retry: RetryPolicy;
  gate: CallGate;
  /** Set in a cloud whose Graph has no permanentDelete. */
  permanentDeleteUnavailable?: string;
}

const enc = encodeURIComponent;

export class GraphProvider implements IdentityProvider, MailProvider {
  private readonly clients = new Map<string, Client>();

  readonly permanentDeleteUnavailable: string | undefined;

  readonly batchSize = GRAPH_BATCH_SIZE;

  constructor(private readonly opts: GraphOptions) {
    this.permanentDeleteUnavailable = opts.permanentDeleteUnavailable;
  }

  private client(tenantId: string): Client {
    let client = this.clients.get(tenantId);
    if (!client) {
      client = Client.init({
        // Paths below are relative to the version: the client joins baseUrl, defaultVersion and
        // the path (a path starting "/v1.0/" would be sent as /v1.0/v1.0/...).
        baseUrl: this.opts.baseUrl,
        defaultVersion: "v1.0",
        // The client sends the token only to Graph hosts it knows, or to these (hostname, no port).
        customHosts: new Set([new URL(this.opts.baseUrl).hostname]),
        authProvider: (done) => {
          this.opts.tokens.token("graph", tenantId, defaultScope(this.opts.resource)).then(
            (token) => done(null, token),
            (err: unknown) => done(err as Error, null),
          );
        },
      });
      this.clients.set(tenantId, client);
    }
    return client;
  }

  /** One Graph call with our bounded retries (the client's own retry handler is turned off). */
  private async call<T>(
    tenantId: string,
    what: string,
    permission: string,
    idempotent: boolean,
    run: (client: Client, options: { signal: AbortSignal; noRetry: RetryHandlerOptions }) => Promise<T>,
  ): Promise<T> {
    const client = this.client(tenantId);
    // Sign in first, outside the client and its retries: the client would wrap a sign-in failure
    // in a GraphError without a status (read as "cannot reach the service", and retried). The
    // client's own request then takes the token from MSAL's cache.
    await this.opts.tokens.token("graph", tenantId, defaultScope(this.opts.resource));
    return withRetry("graph", idempotent, this.opts.retry, async (signal) => {
      try {
        return await run(client, { signal, noRetry: new RetryHandlerOptions(0, 0) });
      } catch (err) {
        throw graphError(err, what, permission);
      }
    }, { gate: this.opts.gate, tenantId });
  }

  async getUser(tenantId: string, upn: string): Promise<DirectoryUser> {
    const raw: unknown = await this.call(tenantId, `GET /users/${upn}`, PERMISSION.readUser, true, (c, o) =>
      c.api(`/users/${enc(upn)}`).select(USER_FIELDS).option("signal", o.signal).middlewareOptions([o.noRetry]).get(),
    );
    const user = parse(UserSchema, raw, "user");
    return { ...user, userPrincipalName: user.userPrincipalName ?? upn };
  }

  async setAccountEnabled(tenantId: string, upn: string, enabled: boolean): Promise<void> {
    await this.call(tenantId, `PATCH /users/${upn}`, PERMISSION.enable, true, (c, o) =>
      c
        .api(`/users/${enc(upn)}`)
        .option("signal", o.signal)
        .middlewareOptions([o.noRetry])
        .patch({ accountEnabled: enabled }),
    );
  }

  async revokeSignInSessions(tenantId: string, upn: string): Promise<void> {
    // Revoking twice revokes nothing more: safe to repeat. No body: the docs say to send none.
    await this.call(tenantId, `POST /users/${upn}/revokeSignInSessions`, PERMISSION.revoke, true, (c, o) =>
      c
        .api(`/users/${enc(upn)}/revokeSignInSessions`)
        .option("signal", o.signal)
        .middlewareOptions([o.noRetry])
        .post(undefined),
    );
  }

  async findMessages(tenantId: string, mailbox: string, messageId: string): Promise<MailMessage[]> {
    if (messageId.startsWith("<")) return this.withMessageId(tenantId, mailbox, messageId, "messages");
    try {
      const raw: unknown = await this.call(tenantId, `GET /users/${mailbox}/messages/{id}`, PERMISSION.mail, true, (c, o) =>
        c
          .api(`/users/${enc(mailbox)}/messages/${enc(messageId)}`)
          .select(MESSAGE_FIELDS)
          .option("signal", o.signal)
          .middlewareOptions([o.noRetry])
          .get(),
      );
      return [parse(MessageSchema, raw, "message")];
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not_found" && /ErrorItemNotFound/.test(err.message)) return [];
      throw err;
    }
  }

  async findMessagesIn(tenantId: string, mailbox: string, internetMessageId: string, folder: MailFolder): Promise<MailMessage[]> {
    return this.withMessageId(tenantId, mailbox, internetMessageId, `mailFolders/${folder}/messages`);
  }

  /** Every copy with this RFC 5322 Message-ID in the mailbox's `messages` (or one folder's). */
  private async withMessageId(tenantId: string, mailbox: string, internetMessageId: string, messages: string): Promise<MailMessage[]> {
    // The client does not encode $filter: a '+' in a Message-ID would arrive as a space.
    const filter = enc(`internetMessageId eq '${internetMessageId.replaceAll("'", "''")}'`);
    const raw: unknown = await this.call(tenantId, `GET /users/${mailbox}/${messages}`, PERMISSION.mail, true, (c, o) =>
      c
        .api(`/users/${enc(mailbox)}/${messages}`)
        .filter(filter)
        .select(MESSAGE_FIELDS)
        // Graph pages messages 10 at a time: every copy is wanted, up to the largest page.
        .top(1000)
        .option("signal", o.signal)
        .middlewareOptions([o.noRetry])
        .get(),
    );
    return parse(MessageList, raw, "message list").value;
  }

  async move(tenantId: string, mailbox: string, id: string, destination: MailFolder): Promise<MailMessage> {
    // A move that may have happened is not repeated: the message would have a new id already.
    const raw: unknown = await this.call(tenantId, `POST /users/${mailbox}/messages/{id}/move`, PERMISSION.mail, false, (c, o) =>
      c
        .api(`/users/${enc(mailbox)}/messages/${enc(id)}/move`)
        .option("signal", o.signal)
        .middlewareOptions([o.noRetry])
        .post({ destinationId: destination }),
    );
    return parse(MessageSchema, raw, "moved message", true);
  }

  async permanentDelete(tenantId: string, mailbox: string, id: string): Promise<void> {
    await this.call(tenantId, `POST /users/${mailbox}/messages/{id}/permanentDelete`, PERMISSION.mail, false, (c, o) =>
      c
        .api(`/users/${enc(mailbox)}/messages/${enc(id)}/permanentDelete`)
        .option("signal", o.signal)
        .middlewareOptions([o.noRetry])
        // No body, as the docs ask.
        .post(undefined),
    );
  }

  /**
   * Many operations through JSON batching (POST /$batch, 20 a request, at most 4 of one mailbox),
   * one outcome per operation, in order. The requests of a bulk's step are parallel (no
   * dependsOn): "batch should be either fully sequential or fully parallel" (json-batching.md),
   * and a step that depends on another (a revoke on its disable) is a round of its own. Graph
   * evaluates each operation against its limits: only the ones answered 429 are sent again, after
   * the longest Retry-After they carry, within the retry policy's tries and budget. A request that
   * fails as a whole is each of its operations' failure; nothing here throws.
   */
  private async batch(tenantId: string, ops: BatchOp[], idempotent: boolean): Promise<BatchOutcome<BatchReply>[]> {
    const outcomes: (BatchOutcome<BatchReply> | undefined)[] = Array.from({ length: ops.length });
    const policy = this.opts.retry;
    const started = Date.now();
    let pending = ops.map((_, i) => i);
    for (let tries = 1; pending.length > 0; tries++) {
      const throttled: { index: number; error: ProviderError }[] = [];
      for (const chunk of chunksOf(pending, ops)) {
        let answer: z.infer<typeof BatchAnswer>;
        try {
          const requests = chunk.map((i) => subRequest(String(i + 1), ops[i]!));
          const raw: unknown = await this.call(tenantId, `POST /$batch (${chunk.length} requests)`, ops[chunk[0]!]!.permission, idempotent, (c, o) =>
            c.api("/$batch").option("signal", o.signal).middlewareOptions([o.noRetry]).post({ requests }),
          );
          answer = parse(BatchAnswer, raw, "batch answer", !idempotent);
        } catch (err) {
          const error = err instanceof ProviderError ? err : new ProviderError("graph", "unavailable", (err as Error).message);
          for (const i of chunk) outcomes[i] = { ok: false, error };
          continue;
        }
        const byId = new Map(answer.responses.map((r) => [r.id, r]));
        for (const i of chunk) {
          const op = ops[i]!;
          const reply = byId.get(String(i + 1));
          if (!reply) {
            const unknown = idempotent ? "" : "; the outcome is unknown";
            outcomes[i] = { ok: false, error: new ProviderError("graph", "bad_request", `no answer for ${op.what} in Graph's batch answer${unknown}`) };
          } else if (reply.status >= 200 && reply.status < 300) {
            outcomes[i] = { ok: true, value: { status: reply.status, body: reply.body } };
          } else {
            const error = subRequestError(reply, op);
            if (error.kind === "throttled") throttled.push({ index: i, error });
            outcomes[i] = { ok: false, error };
          }
        }
      }
      if (throttled.length === 0 || tries >= policy.maxTries) break;
      const waits = throttled.map((t) => (t.error.retryAfterSeconds ?? 0) * 1000);
      const wait = Math.max(...waits, policy.baseDelayMs);
      if (Date.now() - started + wait >= policy.budgetMs) break;
      await policy.sleep(wait);
      pending = throttled.map((t) => t.index);
    }
    return outcomes.map((o) => o ?? { ok: false, error: new ProviderError("graph", "bad_request", "no outcome in the batch") });
  }

  async getUsers(tenantId: string, upns: string[]): Promise<BatchOutcome<DirectoryUser>[]> {
    const ops = upns.map((upn): BatchOp => ({
      method: "GET",
      url: `/users/${enc(upn)}?$select=${USER_FIELDS}`,
      what: `GET /users/${upn}`,
      permission: PERMISSION.readUser,
    }));
    const replies = await this.batch(tenantId, ops, true);
    return replies.map((r, i) => then(r, (reply) => {
      const user = parse(UserSchema, reply.body, "user");
      return { ...user, userPrincipalName: user.userPrincipalName ?? upns[i]! };
    }));
  }

  async setAccountEnabledMany(tenantId: string, upns: string[], enabled: boolean): Promise<BatchOutcome<void>[]> {
    const ops = upns.map((upn): BatchOp => ({
      method: "PATCH",
      url: `/users/${enc(upn)}`,
      body: { accountEnabled: enabled },
      what: `PATCH /users/${upn}`,
      permission: PERMISSION.enable,
    }));
    return (await this.batch(tenantId, ops, true)).map((r) => then(r, () => undefined));
  }

  async revokeSignInSessionsMany(tenantId: string, upns: string[]): Promise<BatchOutcome<void>[]> {
    // No body, as for the single call.
    const ops = upns.map((upn): BatchOp => ({
      method: "POST",
      url: `/users/${enc(upn)}/revokeSignInSessions`,
      what: `POST /users/${upn}/revokeSignInSessions`,
      permission: PERMISSION.revoke,
    }));
    return (await this.batch(tenantId, ops, true)).map((r) => then(r, () => undefined));
  }

  async findMessagesMany(tenantId: string, items: { mailbox: string; messageId: string }[]): Promise<BatchOutcome<MailMessage[]>[]> {
    const ops = items.map(({ mailbox, messageId }): BatchOp => {
      if (messageId.startsWith("<")) {
        const filter = enc(`internetMessageId eq '${messageId.replaceAll("'", "''")}'`);
        return {
          method: "GET",
          url: `/users/${enc(mailbox)}/messages?$filter=${filter}&$select=${MESSAGE_FIELDS}&$top=1000`,
          what: `GET /users/${mailbox}/messages`,
          permission: PERMISSION.mail,
          mailbox: mailbox.toLowerCase(),
        };
      }
      return {
        method: "GET",
        url: `/users/${enc(mailbox)}/messages/${enc(messageId)}?$select=${MESSAGE_FIELDS}`,
        what: `GET /users/${mailbox}/messages/{id}`,
        permission: PERMISSION.mail,
        mailbox: mailbox.toLowerCase(),
      };
    });
    const replies = await this.batch(tenantId, ops, true);
    return replies.map((r, i): BatchOutcome<MailMessage[]> => {
      if (!r.ok) {
        // A message asked for by its Graph id that is not there: none found, as the single call says.
        const byId = !items[i]!.messageId.startsWith("<");
        if (byId && r.error.kind === "not_found" && /ErrorItemNotFound/.test(r.error.message)) return { ok: true, value: [] };
        return r;
      }
      return then(r, (reply) =>
        items[i]!.messageId.startsWith("<") ? parse(MessageList, reply.body, "message list").value : [parse(MessageSchema, reply.body, "message")],
      );
    });
  }

  async moveMany(tenantId: string, items: { mailbox: string; id: string; destination: MailFolder }[]): Promise<BatchOutcome<MailMessage>[]> {
    const ops = items.map(({ mailbox, id, destination }): BatchOp => ({
      method: "POST",
      url: `/users/${enc(mailbox)}/messages/${enc(id)}/move`,
      body: { destinationId: destination },
      what: `POST /users/${mailbox}/messages/{id}/move`,
      permission: PERMISSION.mail,
      mailbox: mailbox.toLowerCase(),
    }));
    // A move that may have happened is not repeated (the message would have a new id already);
    // a 429 did not happen, and is.
    const replies = await this.batch(tenantId, ops, false);
    return replies.map((r) => then(r, (reply) => parse(MessageSchema, reply.body, "moved message", true)));
  }

  async permanentDeleteMany(tenantId: string, items: { mailbox: string; id: string }[]): Promise<BatchOutcome<void>[]> {
    const ops = items.map(({ mailbox, id }): BatchOp => ({
      method: "POST",
      url: `/users/${enc(mailbox)}/messages/${enc(id)}/permanentDelete`,
      what: `POST /users/${mailbox}/messages/{id}/permanentDelete`,
      permission: PERMISSION.mail,
      mailbox: mailbox.toLowerCase(),
    }));
    return (await this.batch(tenantId, ops, false)).map((r) => then(r, () => undefined));
  }

  /** The cheapest authenticated read. */
  async probe(tenantId: string): Promise<void> {
    await this.call(tenantId, "GET /organization", PERMISSION.organization, true, (c, o) =>
      c.api("/organization").select("id").option("signal", o.signal).middlewareOptions([o.noRetry]).get(),
    );
  }
}

/** `write`: the answer is to a change Graph may have made, so the outcome is unknown. */
function parse<T>(schema: z.ZodType<T>, raw: unknown, what: string, write = false): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const unknown = write ? "; the outcome is unknown" : "";
    throw new ProviderError("graph", "bad_request", `unexpected ${what} in Graph's answer: ${firstIssue(parsed.error.issues)}${unknown}`);
  }
  return parsed.data;
}

function graphError(err: unknown, what: string, permission: string): unknown {
  if (err instanceof ProviderError) return err;
  if (!(err instanceof GraphError)) return err; // network errors and aborts: classified by withRetry
  const status = err.statusCode;
  if (status <= 0) return err;
  const kind = kindOfStatus(status);
  const code = err.code ?? "";
  const head = `${status}${code ? ` ${code}` : ""} on ${what}`;
  const message = (err.message || "").slice(0, 300);
  return new ProviderError("graph", kind, refusalMessage(head, status, kind, permission, message), {
    httpStatus: status,
    retryAfterSeconds: retryAfterSeconds(err.headers?.get("retry-after")),
  });
}

/** A batch outcome's value carried on, or what reading it threw as that item's failure. */
function then<T, U>(outcome: BatchOutcome<T>, read: (value: T) => U): BatchOutcome<U> {
  if (!outcome.ok) return outcome;
  try {
    return { ok: true, value: read(outcome.value) };
  } catch (err) {
    if (err instanceof ProviderError) return { ok: false, error: err };
    throw err;
  }
}

/** The operations to send, in requests of at most 20, each with at most 4 of one mailbox. */
function chunksOf(indices: number[], ops: BatchOp[]): number[][] {
  const chunks: { items: number[]; perMailbox: Map<string, number> }[] = [];
  for (const i of indices) {
    const mailbox = ops[i]!.mailbox;
    let chunk = chunks.find(
      (c) => c.items.length < GRAPH_BATCH_SIZE && (mailbox === undefined || (c.perMailbox.get(mailbox) ?? 0) < MAILBOX_CONCURRENCY),
    );
    if (!chunk) chunks.push((chunk = { items: [], perMailbox: new Map() }));
    chunk.items.push(i);
    if (mailbox !== undefined) chunk.perMailbox.set(mailbox, (chunk.perMailbox.get(mailbox) ?? 0) + 1);
  }
  return chunks.map((c) => c.items);
}

/** A batch's request as json-batching.md has it: a body always with its Content-Type. */
function subRequest(id: string, op: BatchOp): Record<string, unknown> {
  const request: Record<string, unknown> = { id, method: op.method, url: op.url };
  if (op.body !== undefined) {
    request.body = op.body;
    request.headers = { "Content-Type": "application/json" };
  }
  return request;
}

const SubError = z.object({ error: z.object({ code: z.string().nullish(), message: z.string().nullish() }) });

/** A sub-request's refusal, said as the same call's refusal outside a batch would be. */
function subRequestError(reply: { status: number; headers?: Record<string, string> | null; body?: unknown }, op: BatchOp): ProviderError {
  const status = reply.status;
  const kind = kindOfStatus(status);
  const parsed = SubError.safeParse(reply.body);
  const code = parsed.success ? (parsed.data.error.code ?? "") : "";
  const message = (parsed.success ? (parsed.data.error.message ?? "") : "").slice(0, 300);
  const head = `${status}${code ? ` ${code}` : ""} on ${op.what}`;
  const header = Object.entries(reply.headers ?? {}).find(([k]) => k.toLowerCase() === "retry-after")?.[1];
  return new ProviderError("graph", kind, refusalMessage(head, status, kind, op.permission, message), {
    httpStatus: status,
    retryAfterSeconds: retryAfterSeconds(header),
  });
}
