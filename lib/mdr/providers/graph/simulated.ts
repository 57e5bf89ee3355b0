// Simulated Microsoft Graph: the directory's users and their mailboxes.
import {
  type BatchOutcome,
  type DirectoryUser,
  type IdentityProvider,
  MAIL_FOLDERS,
  type MailFolder,
  type MailMessage,
  type MailProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { newGraphMessageId } from "@/lib/mdr/providers/simulation/ids";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import type { SimOperation } from "@/lib/mdr/providers/simulation/faults";

/** Graph's JSON batch: 20 operations a request. */
const BATCH_SIZE = 20;

/**
 * A batch form as Graph's `$batch` behaves: one request (one turn under the rate limit) per 20
 * operations, each operation answered on its own. A refusal of the whole request before it was
 * sent (our gate, an open circuit) is thrown; the service's answer to a request (an injected
 * status, an outage) is each of its operations' outcome.
 */
async function batched<I, T>(
  rt: SimRuntime,
  tenantId: string,
  operation: SimOperation,
  mutating: boolean,
  items: I[],
  each: (item: I) => T,
): Promise<BatchOutcome<T>[]> {
  const outcomes: BatchOutcome<T>[] = [];
  for (let at = 0; at < items.length; at += BATCH_SIZE) {
    const chunk = items.slice(at, at + BATCH_SIZE);
    let refused: ProviderError | undefined;
    try {
      await rt.enter("graph", operation, tenantId, { mutating });
    } catch (err) {
      if (!(err instanceof ProviderError) || err.local) throw err;
      refused = err;
    }
    for (const item of chunk) {
      if (refused) {
        outcomes.push({ ok: false, error: refused });
        continue;
      }
      try {
        outcomes.push({ ok: true, value: each(item) });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        outcomes.push({ ok: false, error: err });
      }
    }
  }
  return outcomes;
}
import { SIM_MAILBOXES, SIM_USERS } from "@/lib/mdr/providers/simulation/seed";

/** Users by lower-case UPN; Graph also accepts the object id, so both resolve. */
class Directory {
  readonly users: Map<string, DirectoryUser>;

  constructor() {
    this.users = new Map(SIM_USERS.map((u) => [u.userPrincipalName.toLowerCase(), { ...u }]));
  }

  find(idOrUpn: string): DirectoryUser | undefined {
    const key = idOrUpn.trim().toLowerCase();
    return this.users.get(key) ?? [...this.users.values()].find((u) => u.id === key);
  }
}

export class SimulatedIdentity implements IdentityProvider {
  constructor(
    private readonly rt: SimRuntime,
    private readonly directory: Directory,
  ) {}

  async getUser(tenantId: string, upn: string): Promise<DirectoryUser> {
    await this.rt.enter("graph", "graph.getUser", tenantId, { mutating: false });
    return { ...this.user(upn) };
  }

  async setAccountEnabled(tenantId: string, upn: string, enabled: boolean): Promise<void> {
    await this.rt.enter("graph", enabled ? "graph.enableUser" : "graph.disableUser", tenantId, { mutating: true });
    // Graph's PATCH answers 204 whether or not the value changes.
    this.user(upn).accountEnabled = enabled;
  }

  async revokeSignInSessions(tenantId: string, upn: string): Promise<void> {
    await this.rt.enter("graph", "graph.revokeSessions", tenantId, { mutating: true });
    // Nothing here reads sessions, so revoking only has to find the user, as Graph does.
    this.user(upn);
  }

  readonly batchSize = BATCH_SIZE;

  getUsers(tenantId: string, upns: string[]): Promise<BatchOutcome<DirectoryUser>[]> {
    return batched(this.rt, tenantId, "graph.getUser", false, upns, (upn) => ({ ...this.user(upn) }));
  }

  setAccountEnabledMany(tenantId: string, upns: string[], enabled: boolean): Promise<BatchOutcome<void>[]> {
    return batched(this.rt, tenantId, enabled ? "graph.enableUser" : "graph.disableUser", true, upns, (upn) => {
      this.user(upn).accountEnabled = enabled;
    });
  }

  revokeSignInSessionsMany(tenantId: string, upns: string[]): Promise<BatchOutcome<void>[]> {
    return batched(this.rt, tenantId, "graph.revokeSessions", true, upns, (upn) => {
      this.user(upn);
    });
  }

  private user(upn: string): DirectoryUser {
    const user = this.directory.find(upn);
    if (!user) {
      throw new ProviderError(
        "graph",
        "not_found",
        `Request_ResourceNotFound: Resource '${upn}' does not exist or one of its queried reference-property objects are not present.`,
        { httpStatus: 404 },
      );
    }
    return user;
  }
}

export class SimulatedMail implements MailProvider {
  /** Messages by mailbox (lower-case UPN), keyed by Graph message id. */
  private readonly mailboxes: Map<string, Map<string, MailMessage>>;

  constructor(
    private readonly rt: SimRuntime,
    private readonly directory: Directory,
  ) {
    const createdAt = rt.now();
    this.mailboxes = new Map(
      Object.entries(SIM_MAILBOXES).map(([mailbox, seeds]) => [
        mailbox,
        new Map(
          seeds.map((m) => [
            m.id,
            {
              id: m.id,
              internetMessageId: m.internetMessageId,
              subject: m.subject,
              from: m.from,
              receivedDateTime: graphTime(createdAt - m.receivedMinutesAgo * 60_000),
              parentFolderId: m.parentFolderId,
            },
          ]),
        ),
      ]),
    );
  }

  readonly batchSize = BATCH_SIZE;

  findMessagesMany(tenantId: string, items: { mailbox: string; messageId: string }[]): Promise<BatchOutcome<MailMessage[]>[]> {
    return batched(this.rt, tenantId, "graph.findMessages", false, items, ({ mailbox, messageId }) => this.found(mailbox, messageId));
  }

  moveMany(tenantId: string, items: { mailbox: string; id: string; destination: MailFolder }[]): Promise<BatchOutcome<MailMessage>[]> {
    return batched(this.rt, tenantId, "graph.move", true, items, ({ mailbox, id, destination }) => this.moved(mailbox, id, destination));
  }

  permanentDeleteMany(tenantId: string, items: { mailbox: string; id: string }[]): Promise<BatchOutcome<void>[]> {
    return batched(this.rt, tenantId, "graph.permanentDelete", true, items, ({ mailbox, id }) => {
      const box = this.mailbox(mailbox);
      box.delete(this.message(box, id).id);
    });
  }

  async findMessages(tenantId: string, mailbox: string, messageId: string): Promise<MailMessage[]> {
    await this.rt.enter("graph", "graph.findMessages", tenantId, { mutating: false });
    return this.found(mailbox, messageId);
  }

  private found(mailbox: string, messageId: string): MailMessage[] {
    const messages = [...this.mailbox(mailbox).values()];
    const byInternetId = messageId.startsWith("<");
    return messages
      .filter((m) => (byInternetId ? m.internetMessageId === messageId : m.id === messageId))
      .map((m) => ({ ...m }));
  }

  async findMessagesIn(tenantId: string, mailbox: string, internetMessageId: string, folder: MailFolder): Promise<MailMessage[]> {
    await this.rt.enter("graph", "graph.findMessages", tenantId, { mutating: false });
    return [...this.mailbox(mailbox).values()]
      .filter((m) => m.internetMessageId === internetMessageId && m.parentFolderId === folder)
      .map((m) => ({ ...m }));
  }

  async move(tenantId: string, mailbox: string, id: string, destination: MailFolder): Promise<MailMessage> {
    await this.rt.enter("graph", "graph.move", tenantId, { mutating: true });
    return this.moved(mailbox, id, destination);
  }

  private moved(mailbox: string, id: string, destination: MailFolder): MailMessage {
    const box = this.mailbox(mailbox);
    if (!(MAIL_FOLDERS as readonly string[]).includes(destination)) {
      throw new ProviderError("graph", "bad_request", `ErrorInvalidIdMalformed: '${destination}' is not a folder`, {
        httpStatus: 400,
      });
    }
    const message = this.message(box, id);
    // Exchange re-keys a moved item: the old id stops working.
    box.delete(message.id);
    const moved: MailMessage = { ...message, id: newGraphMessageId(mailbox), parentFolderId: destination };
    box.set(moved.id, moved);
    return { ...moved };
  }

  async permanentDelete(tenantId: string, mailbox: string, id: string): Promise<void> {
    await this.rt.enter("graph", "graph.permanentDelete", tenantId, { mutating: true });
    const box = this.mailbox(mailbox);
    box.delete(this.message(box, id).id);
  }

  private mailbox(mailbox: string): Map<string, MailMessage> {
    const user = this.directory.find(mailbox);
    const box = user && this.mailboxes.get(user.userPrincipalName.toLowerCase());
    if (!box) {
      throw new ProviderError("graph", "not_found", `ErrorInvalidUser: The requested user '${mailbox}' is invalid.`, {
        httpStatus: 404,
      });
    }
    return box;
  }

  private message(box: Map<string, MailMessage>, id: string): MailMessage {
    const message = box.get(id);
    if (!message) {
      throw new ProviderError(
        "graph",
        "not_found",
        "ErrorItemNotFound: The specified object was not found in the store.",
        { httpStatus: 404 },
      );
    }
    return message;
  }
}

/** Graph writes message times to the second. */
function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function createDirectory(rt: SimRuntime): { identity: SimulatedIdentity; mail: SimulatedMail } {
  const directory = new Directory();
  return { identity: new SimulatedIdentity(rt, directory), mail: new SimulatedMail(rt, directory) };
}
