// Microsoft Graph through the official client: users (disable, enable, revoke sessions) and mail
// (find by Message-ID, move, permanently delete).
import { Client, GraphError, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { z } from "zod";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { type RetryPolicy, firstIssue, kindOfStatus, refusalMessage, retryAfterSeconds, withRetry } from "@/lib/mdr/providers/live/retry";
import { type TokenSource, defaultScope } from "@/lib/mdr/providers/live/tokens";
import {
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
