// Microsoft Graph v1.0, served at the emulator's root under /v1.0:
//   GET|PATCH /v1.0/users/{id|upn}          POST /v1.0/users/{id|upn}/revokeSignInSessions
//   GET  /v1.0/users/{id|upn}/messages[?$filter=internetMessageId eq '<...>'&$select=&$top=]
//   GET  /v1.0/users/{id|upn}/mailFolders/{id|wellKnownName}/messages
//   GET  /v1.0/users/{id|upn}/messages/{id}
//   POST /v1.0/users/{id|upn}/messages/{id}/move {destinationId}  -> 201, the message with a NEW id
//   POST /v1.0/users/{id|upn}/messages/{id}/permanentDelete        -> 204
//   GET  /v1.0/organization[?$select=id]
//   POST /v1.0/$batch {requests: [{id, method, url, headers?, body?, dependsOn?}]} -> 200 {responses: [...]}
//        (json-batching.md): at most 20 requests; each runs through the same handlers as a direct
//        call (the batch's token, the same throttling, faults matched on its own path), in dependsOn
//        order; one whose dependency failed is 424; a 429 carries its own Retry-After header.
// Errors: {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkBearer } from "./auth";
import { sendFault } from "./faults";
import { guid, header, intParam, isoNow, isRecord, type ParsedBody, type RequestContext, sendEmpty, sendJson } from "./http";
import type { TokenClaims } from "./jwt";
import { evalFilter, ODataError, parseFilter } from "./odata";
import { tokenGrants } from "./permissions";
import { GRAPH_GLOBAL_WINDOWS, GRAPH_IDENTITY_WINDOWS, GRAPH_IDENTITY_WRITE_WINDOWS, GRAPH_OUTLOOK_WINDOWS, type Window } from "./throttle";
import type { FaultRequestInfo, FaultSpec, MailboxState, MessageState, RecordedRequest, TenantState, UserState, WellKnownFolder } from "./types";

const METADATA = "https://graph.microsoft.com/v1.0/$metadata";
const JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
const USER_READ = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const USER_ENABLE = ["User.EnableDisableAccount.All", "User.ReadWrite.All", "Directory.ReadWrite.All"];
const USER_WRITE = ["User.ReadWrite.All", "Directory.ReadWrite.All"];
const USER_REVOKE = ["User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"];
const MAIL_READ = ["Mail.ReadBasic.All", "Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"];
const MAIL_WRITE = ["Mail.ReadWrite"];
const ORG_READ = ["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const USER_DEFAULT_SELECT = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];
const USER_WRITABLE: Record<string, "boolean" | "string"> = {
  accountEnabled: "boolean",
  displayName: "string",
  givenName: "string",
  surname: "string",
  jobTitle: "string",
  mail: "string",
  officeLocation: "string",
};
export const WELL_KNOWN_FOLDERS: readonly WellKnownFolder[] = [
  "inbox",
  "junkemail",
  "deleteditems",
  "recoverableitemsdeletions",
  "archive",
  "sentitems",
  "drafts",
];
const MESSAGE_FILTER_FIELDS = [
  "internetMessageId",
  "subject",
  "receivedDateTime",
  "isRead",
  "parentFolderId",
  "conversationId",
  "from/emailAddress/address",
];

export function graphError(ctx: RequestContext, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(
    ctx,
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ""),
          "request-id": ctx.requestId,
          "client-request-id": header(ctx, "client-request-id") ?? ctx.requestId,
        },
      },
    },
    { "request-id": ctx.requestId, ...headers },
  );
}

function send(ctx: RequestContext, status: number, body: unknown): void {
  sendJson(ctx, status, body, { "request-id": ctx.requestId, "client-request-id": header(ctx, "client-request-id") ?? ctx.requestId }, JSON_TYPE);
}

/** A Graph/Exchange-looking message id (base64url with padding, as the REST ids are). */
export function newMessageId(): string {
  return `AAMkAD${Buffer.from(guid().replace(/-/g, "") + guid().replace(/-/g, ""), "hex").toString("base64url")}AAA=`;
}

function userJson(u: UserState): Record<string, unknown> {
  return {
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: null,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
    userType: u.userType,
    signInSessionsValidFromDateTime: u.sessionsRevokedAt.at(-1) ?? "2024-01-01T00:00:00Z",
    createdDateTime: "2024-01-01T00:00:00Z",
  };
}

function folderNameOf(mailbox: MailboxState, folderId: string): WellKnownFolder | undefined {
  const lower = folderId.toLowerCase();
  return WELL_KNOWN_FOLDERS.find((f) => f === lower || mailbox.folderIds[f] === folderId);
}

function messageJson(u: UserState, m: MessageState): Record<string, unknown> {
  const mailbox = u.mailbox;
  const changeKey = Buffer.from(m.id).toString("base64").slice(0, 28);
  return {
    "@odata.etag": `W/"${changeKey}"`,
    id: m.id,
    createdDateTime: m.receivedDateTime,
    lastModifiedDateTime: m.receivedDateTime,
    changeKey,
    categories: [],
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.receivedDateTime,
    hasAttachments: false,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    bodyPreview: "",
    importance: "normal",
    parentFolderId: mailbox ? mailbox.folderIds[m.folder] : null,
    conversationId: `AAQkAD${Buffer.from(m.internetMessageId).toString("base64url").slice(0, 40)}=`,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: false,
    isDraft: false,
    inferenceClassification: "focused",
    from: { emailAddress: { name: m.from, address: m.from } },
    sender: { emailAddress: { name: m.from, address: m.from } },
    toRecipients: [{ emailAddress: { name: u.displayName, address: u.mail ?? u.userPrincipalName } }],
    ccRecipients: [],
    bccRecipients: [],
    replyTo: [],
  };
}

function pick(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split("/")) {
    if (!isRecord(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Applies $select (undefined after answering 400 for an unknown property). */
function select(
  ctx: RequestContext,
  obj: Record<string, unknown>,
  allowed: readonly string[],
  always: readonly string[],
  typeName: string,
): Record<string, unknown> | undefined {
  const raw = ctx.query.get("$select");
  if (raw === null) return obj;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const out: Record<string, unknown> = {};
  for (const k of always) if (k in obj) out[k] = obj[k];
  for (const name of names) {
    const key = allowed.find((a) => a.toLowerCase() === name.toLowerCase());
    if (!key) {
      graphError(ctx, 400, "BadRequest", `Could not find a property named '${name}' on type '${typeName}'.`);
      return undefined;
    }
    out[key] = obj[key];
  }
  return out;
}

function authorize(ctx: RequestContext): { claims: TokenClaims; tenant: TenantState } | undefined {
  const check = checkBearer(ctx, ctx.core.options.audiences.graph);
  if (!check.ok) {
    const messages: Record<typeof check.problem, string> = {
      missing: "Access token is empty.",
      malformed: "IDX14100: JWT is not well formed, there are no dots (.).",
      signature: "Access token validation failure.",
      expired: "Lifetime validation failed, the token is expired.",
      audience: "Access token validation failure. Invalid audience.",
    };
    graphError(ctx, 401, "InvalidAuthenticationToken", messages[check.problem], {
      "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
    return undefined;
  }
  const tenant = ctx.core.state.tenants.get(check.claims.tid.toLowerCase());
  if (!tenant) {
    graphError(ctx, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer.");
    return undefined;
  }
  // An app token without application permissions on Graph (Entra leaves `roles` out) is refused
  // before any permission check.
  if (check.claims.roles === undefined && check.claims.scp === undefined) {
    graphError(ctx, 401, "InvalidAuthenticationToken", "Either scp or roles claim need to be present in the token.", {
      "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    });
    return undefined;
  }
  return { claims: check.claims, tenant };
}

/**
 * Graph's limits for this request (answering 429 when one is reached): Outlook's per app and
 * mailbox, identity and access's per app and tenant (writes counted apart too), and the global one
 * per app.
 */
function throttled(ctx: RequestContext, claims: TokenClaims, tenant: TenantState, collection: string | undefined, key: string | undefined, next: string | undefined): boolean {
  const app = claims.appid.toLowerCase();
  const groups: [string, Window[]][] = [[`graph|${app}`, GRAPH_GLOBAL_WINDOWS]];
  const nextLower = next?.toLowerCase();
  if (collection === "users" && key !== undefined && (nextLower === "messages" || nextLower === "mailfolders")) {
    const mailbox = findUser(tenant, key)?.id ?? key.toLowerCase();
    groups.push([`graph|${app}|${tenant.tenantId}|mailbox|${mailbox}`, GRAPH_OUTLOOK_WINDOWS]);
  } else {
    groups.push([`graph|${app}|${tenant.tenantId}|identity`, GRAPH_IDENTITY_WINDOWS]);
    if (ctx.method !== "GET") groups.push([`graph|${app}|${tenant.tenantId}|identity-writes`, GRAPH_IDENTITY_WRITE_WINDOWS]);
  }
  const hit = ctx.core.throttle.windows(groups);
  if (!hit) return false;
  graphError(ctx, 429, "TooManyRequests", "Please retry again later.", { "Retry-After": String(hit.retryAfterSeconds) });
  return true;
}

function findUser(tenant: TenantState, idOrUpn: string): UserState | undefined {
  const lower = idOrUpn.toLowerCase();
  return tenant.users.get(lower) ?? [...tenant.users.values()].find((u) => u.userPrincipalName.toLowerCase() === lower);
}

function userNotFound(ctx: RequestContext, id: string): void {
  graphError(ctx, 404, "Request_ResourceNotFound", `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

function directoryDenied(ctx: RequestContext): void {
  graphError(ctx, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
}

function mailDenied(ctx: RequestContext): void {
  graphError(ctx, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.");
}

function patchUser(ctx: RequestContext, claims: TokenClaims, user: UserState): void {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  if (!isRecord(body)) {
    graphError(ctx, 400, "BadRequest", "Empty Payload. JSON content expected.");
    return;
  }
  for (const [key, value] of Object.entries(body)) {
    const type = USER_WRITABLE[key];
    if (!type) {
      graphError(ctx, 400, "Request_BadRequest", `Property '${key}' does not exist as a declared property or extension property.`);
      return;
    }
    if (typeof value !== type) {
      graphError(ctx, 400, "Request_BadRequest", `Invalid value specified for property '${key}' of resource 'User'.`);
      return;
    }
  }
  const onlyEnable = Object.keys(body).every((k) => k === "accountEnabled");
  if (!tokenGrants(claims.roles, onlyEnable ? USER_ENABLE : USER_WRITE)) return directoryDenied(ctx);
  // An app cannot disable an account that holds a privileged admin role.
  if ("accountEnabled" in body && user.privileged) return directoryDenied(ctx);
  if (typeof body.accountEnabled === "boolean") user.accountEnabled = body.accountEnabled;
  if (typeof body.displayName === "string") user.displayName = body.displayName;
  if (typeof body.givenName === "string") user.givenName = body.givenName;
  if (typeof body.surname === "string") user.surname = body.surname;
  if (typeof body.mail === "string") user.mail = body.mail;
  sendEmpty(ctx, 204, { "request-id": ctx.requestId });
}

function listMessages(ctx: RequestContext, user: UserState, mailbox: MailboxState, folder: WellKnownFolder | undefined): void {
  // /messages spans the mailbox's folders; Recoverable Items is outside that tree.
  let items = [...mailbox.messages.values()].filter((m) =>
    folder ? m.folder === folder : m.folder !== "recoverableitemsdeletions",
  );
  items.sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
  const filter = ctx.query.get("$filter");
  if (filter !== null) {
    try {
      const tree = parseFilter(filter, MESSAGE_FILTER_FIELDS);
      items = items.filter((m) => evalFilter(tree, (f) => pick(messageJson(user, m), f), { caseInsensitive: true }));
    } catch (err) {
      if (!(err instanceof ODataError)) throw err;
      graphError(ctx, 400, "BadRequest", `Invalid filter clause: ${err.message}`);
      return;
    }
  }
  const top = intParam(ctx.query, "$top") ?? 10;
  const skip = intParam(ctx.query, "$skip") ?? 0;
  if (Number.isNaN(top) || Number.isNaN(skip) || top > 1000) {
    graphError(ctx, 400, "BadRequest", "Invalid value for $top or $skip.");
    return;
  }
  const page = items.slice(skip, skip + top);
  const allowed = Object.keys(messageJson(user, { id: "", internetMessageId: "", subject: "", from: "", receivedDateTime: "", folder: "inbox", previousIds: [] }));
  const value: Record<string, unknown>[] = [];
  for (const m of page) {
    const selected = select(ctx, messageJson(user, m), allowed, ["@odata.etag", "id"], "Microsoft.OutlookServices.Message");
    if (!selected) return;
    value.push(selected);
  }
  const body: Record<string, unknown> = { "@odata.context": `${METADATA}#users('${encodeURIComponent(user.userPrincipalName)}')/messages`, value };
  if (skip + top < items.length) {
    const next = new URL(ctx.url.toString());
    next.searchParams.set("$skip", String(skip + top));
    body["@odata.nextLink"] = `${ctx.core.baseUrl}${next.pathname}${next.search}`;
  }
  send(ctx, 200, body);
}

function findMessage(mailbox: MailboxState, id: string): MessageState | undefined {
  return mailbox.messages.get(id);
}

function moveMessage(ctx: RequestContext, user: UserState, mailbox: MailboxState, message: MessageState): void {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  if (!isRecord(body)) {
    graphError(ctx, 400, "BadRequest", "Empty Payload. JSON content expected.");
    return;
  }
  // Action parameters are matched case-insensitively (older docs wrote "DestinationId").
  const key = Object.keys(body).find((k) => k.toLowerCase() === "destinationid");
  const destination = key ? body[key] : undefined;
  if (typeof destination !== "string" || destination === "") {
    graphError(ctx, 400, "ErrorInvalidParameter", "The value of the parameter 'DestinationId' is empty.");
    return;
  }
  const folder = folderNameOf(mailbox, destination);
  if (!folder) {
    graphError(ctx, 400, "ErrorInvalidIdMalformed", "Id is malformed.");
    return;
  }
  mailbox.messages.delete(message.id);
  message.previousIds.push(message.id);
  message.id = newMessageId();
  message.folder = folder;
  mailbox.messages.set(message.id, message);
  send(ctx, 201, { "@odata.context": `${METADATA}#users('${encodeURIComponent(user.userPrincipalName)}')/messages/$entity`, ...messageJson(user, message) });
}

function handleMail(ctx: RequestContext, claims: TokenClaims, user: UserState, rest: string[]): void {
  const mailbox = user.mailbox;
  const [kind, id, verbRaw, sub, ...extra] = rest;
  const verb = verbRaw?.toLowerCase();
  const write = ctx.method === "POST";
  if (!tokenGrants(claims.roles, write ? MAIL_WRITE : MAIL_READ)) return mailDenied(ctx);
  if (!mailbox) {
    graphError(ctx, 404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.");
    return;
  }
  const notFound = (): void => graphError(ctx, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
  if (kind === "mailfolders") {
    if (!id || verb !== "messages" || sub !== undefined || ctx.method !== "GET") return notFound();
    const folder = folderNameOf(mailbox, id);
    if (!folder) return notFound();
    listMessages(ctx, user, mailbox, folder);
    return;
  }
  if (extra.length > 0 || sub !== undefined) return notFound();
  if (id === undefined) {
    if (ctx.method !== "GET") return graphError(ctx, 405, "ErrorInvalidRequest", "The OData request is not supported.");
    listMessages(ctx, user, mailbox, undefined);
    return;
  }
  const message = findMessage(mailbox, id);
  if (!message) return notFound();
  if (verb === undefined && ctx.method === "GET") {
    const allowed = Object.keys(messageJson(user, message));
    const selected = select(ctx, messageJson(user, message), allowed, ["@odata.etag", "id"], "Microsoft.OutlookServices.Message");
    if (selected) send(ctx, 200, { "@odata.context": `${METADATA}#users('${encodeURIComponent(user.userPrincipalName)}')/messages/$entity`, ...selected });
    return;
  }
  if (verb === "move" && ctx.method === "POST") return moveMessage(ctx, user, mailbox, message);
  if (verb === "permanentdelete" && ctx.method === "POST") {
    if (!ctx.core.options.graph.permanentDelete) {
      return graphError(ctx, 400, "BadRequest", "Resource not found for the segment 'permanentDelete'.");
    }
    mailbox.messages.delete(message.id);
    mailbox.purged.push(message);
    sendEmpty(ctx, 204, { "request-id": ctx.requestId });
    return;
  }
  graphError(ctx, 400, "BadRequest", `Unsupported request: ${ctx.method} ${ctx.url.pathname}`);
}

export function handleGraph(ctx: RequestContext): void {
  const [version, collectionRaw, key, ...rest] = ctx.segments;
  if (version !== "v1.0") {
    graphError(ctx, 400, "BadRequest", `Invalid version: ${version ?? ""}`);
    return;
  }
  const auth = authorize(ctx);
  if (!auth) return;
  const { claims, tenant } = auth;
  const collection = collectionRaw?.toLowerCase();
  if (throttled(ctx, claims, tenant, collection, key, rest[0])) return;

  if (collection === "organization" && key === undefined && ctx.method === "GET") {
    if (!tokenGrants(claims.roles, ORG_READ)) return directoryDenied(ctx);
    const org = { id: tenant.tenantId, displayName: tenant.displayName, tenantType: "AAD", verifiedDomains: [] };
    const selected = select(ctx, org, Object.keys(org), [], "microsoft.graph.organization");
    if (!selected) return;
    const selectClause = ctx.query.get("$select");
    send(ctx, 200, { "@odata.context": `${METADATA}#organization${selectClause ? `(${selectClause})` : ""}`, value: [selected] });
    return;
  }

  if (collection === "users" && key !== undefined) {
    const user = findUser(tenant, key);
    const [next, ...after] = rest;
    const nextLower = next?.toLowerCase();
    if (nextLower === "messages" || nextLower === "mailfolders") {
      if (!user) {
        if (!tokenGrants(claims.roles, ctx.method === "POST" ? MAIL_WRITE : MAIL_READ)) return mailDenied(ctx);
        graphError(ctx, 404, "ErrorInvalidUser", `The requested user '${key}' is invalid.`);
        return;
      }
      handleMail(ctx, claims, user, [nextLower, ...after]);
      return;
    }
    if (next === undefined && ctx.method === "GET") {
      if (!tokenGrants(claims.roles, USER_READ)) return directoryDenied(ctx);
      if (!user) return userNotFound(ctx, key);
      const full = userJson(user);
      const selected = ctx.query.get("$select") === null
        ? Object.fromEntries(USER_DEFAULT_SELECT.map((k) => [k, full[k]]))
        : select(ctx, full, Object.keys(full), [], "microsoft.graph.user");
      if (selected) send(ctx, 200, { "@odata.context": `${METADATA}#users/$entity`, ...selected });
      return;
    }
    if (next === undefined && ctx.method === "PATCH") {
      if (!user) {
        if (!tokenGrants(claims.roles, USER_ENABLE)) return directoryDenied(ctx);
        return userNotFound(ctx, key);
      }
      patchUser(ctx, claims, user);
      return;
    }
    if (nextLower === "revokesigninsessions" && after.length === 0 && ctx.method === "POST") {
      if (!tokenGrants(claims.roles, USER_REVOKE)) return directoryDenied(ctx);
      if (!user) return userNotFound(ctx, key);
      user.sessionsRevokedAt.push(isoNow());
      send(ctx, 200, { "@odata.context": `${METADATA}#Edm.Boolean`, value: true });
      return;
    }
  }
  graphError(ctx, 400, "BadRequest", `Resource not found for the segment '${collectionRaw ?? ""}'.`);
}

/** "JSON batch requests are currently limited to 20 individual requests" (json-batching.md). */
export const GRAPH_BATCH_LIMIT = 20;
/** Outlook: 4 concurrent requests per app and mailbox (throttling-limits.md); a parallel batch's run at once. */
export const MAILBOX_CONCURRENCY = 4;

/** What the server gives the batch handler: where sub-requests are recorded, and the armed faults. */
export interface BatchHooks {
  /** Records an operation of the batch (numbered after the batch's record) and returns its record. */
  record(sub: Omit<RecordedRequest, "seq">): RecordedRequest;
  /** The armed fault for the operation, counted as used (matched on its own method and path). */
  fault(info: FaultRequestInfo): FaultSpec | undefined;
}

interface SubRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

interface SubResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** The batch's requests, or why the batch is malformed (the whole batch is then 400). */
function parseBatch(body: unknown): SubRequest[] | string {
  if (!isRecord(body) || !Array.isArray(body.requests)) return "Invalid batch payload format.";
  const list: SubRequest[] = [];
  for (const raw of body.requests as unknown[]) {
    if (!isRecord(raw)) return "Invalid batch payload format.";
    const { id, method, url, headers, dependsOn } = raw;
    if (typeof id !== "string" || id === "") return "Value cannot be null.\r\nParameter name: id";
    if (typeof method !== "string" || !/^(GET|POST|PATCH|PUT|DELETE)$/i.test(method)) return `Invalid method for request id '${id}'.`;
    if (typeof url !== "string" || url === "") return `Invalid url for request id '${id}'.`;
    if (headers !== undefined && !isRecord(headers)) return `Invalid headers for request id '${id}'.`;
    if (dependsOn !== undefined && !(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === "string"))) {
      return `Invalid dependsOn for request id '${id}'.`;
    }
    if (list.some((r) => r.id === id)) return `Request id '${id}' is duplicated: ids must be unique in the batch.`;
    list.push({
      id,
      method: method.toUpperCase(),
      url,
      headers: Object.fromEntries(Object.entries((headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)])),
      body: raw.body,
      dependsOn: (dependsOn ?? []) as string[],
    });
  }
  for (const r of list) {
    for (const d of r.dependsOn) if (!list.some((x) => x.id === d)) return `Request id '${r.id}' depends on '${d}', which is not in the batch.`;
  }
  return list;
}

/** The requests in an order where each comes after what it depends on; undefined on a cycle. */
function dependencyOrder(list: SubRequest[]): SubRequest[] | undefined {
  const done = new Set<string>();
  const order: SubRequest[] = [];
  while (order.length < list.length) {
    const next = list.find((r) => !done.has(r.id) && r.dependsOn.every((d) => done.has(d)));
    if (!next) return undefined;
    done.add(next.id);
    order.push(next);
  }
  return order;
}

/** The mailbox a sub-request's path reaches (users/{x}/messages|mailFolders), if any. */
function mailboxOf(ctx: RequestContext, segments: string[]): string | undefined {
  const [, collection, key, next] = segments;
  if (collection?.toLowerCase() !== "users" || key === undefined) return undefined;
  if (!/^(messages|mailfolders)$/i.test(next ?? "")) return undefined;
  const tenantId = ctx.record.auth.kind === "bearer" ? ctx.record.auth.tenantId : undefined;
  const tenant = tenantId ? ctx.core.state.tenants.get(tenantId.toLowerCase()) : undefined;
  return (tenant && findUser(tenant, key)?.id) ?? key.toLowerCase();
}

/** One operation run through the same handlers as a direct call, its answer captured. */
function runSub(ctx: RequestContext, sub: SubRequest, hooks: BatchHooks, outcome: (segments: string[], path: string) => FaultSpec | "mailbox" | undefined): SubResponse {
  const url = new URL(`${ctx.core.baseUrl}/v1.0${sub.url.startsWith("/") ? "" : "/"}${sub.url}`);
  let segments: string[];
  try {
    segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    segments = url.pathname.split("/").filter(Boolean);
  }
  const headers: Record<string, string> = { ...sub.headers };
  const authorization = header(ctx, "authorization");
  const record = hooks.record({
    at: new Date().toISOString(),
    service: "graph",
    method: sub.method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    auth: ctx.record.auth,
    body: sub.body,
    batch: { seq: ctx.record.seq, id: sub.id },
  });
  const captured: { status: number; headers: Record<string, string>; text: string } = { status: 0, headers: {}, text: "" };
  const res = {
    headersSent: false,
    destroyed: false,
    writeHead(status: number, h: Record<string, string>) {
      captured.status = status;
      captured.headers = h;
      this.headersSent = true;
      return this;
    },
    end(text?: string) {
      captured.text = text ?? "";
    },
  };
  const req = { headers: { ...headers, ...(authorization ? { authorization } : {}) }, socket: { destroy() {} } };
  let body: ParsedBody = { kind: "none" };
  if (sub.body !== undefined) body = { kind: "json", value: sub.body };
  const subCtx: RequestContext = {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    method: sub.method,
    url,
    segments,
    query: url.searchParams,
    body,
    rawBody: Buffer.from(sub.body === undefined ? "" : JSON.stringify(sub.body)),
    record,
    requestId: guid(),
    core: ctx.core,
  };
  const decided = outcome(segments, url.pathname);
  if (segments[1] === "$batch") {
    graphError(subCtx, 400, "BadRequest", "A batch cannot contain another batch.");
  } else if (sub.body !== undefined && !("content-type" in sub.headers)) {
    // json-batching.md: "When a body is included with the request, the headers object must contain a value for Content-Type."
    graphError(subCtx, 400, "BadRequest", "Content-Type header is required when a body is present.");
  } else if (decided === "mailbox") {
    graphError(subCtx, 429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", { "Retry-After": "1" });
  } else if (decided) {
    record.fault = true;
    if (decided.status !== undefined) sendFault(subCtx, decided);
    else handleGraph(subCtx);
  } else {
    handleGraph(subCtx);
  }
  const out: SubResponse = { id: sub.id, status: captured.status, headers: Object.fromEntries(Object.entries(captured.headers).filter(([k]) => k.toLowerCase() !== "content-length")) };
  if (captured.text !== "") out.body = JSON.parse(captured.text) as unknown;
  return out;
}

/**
 * POST /v1.0/$batch. The batch itself is authenticated and parsed (malformed, or more than 20
 * requests: 400 for the whole); each request then runs as a direct call would, with the batch's
 * token. A parallel batch (no dependsOn) runs its requests at once: more than 4 of one mailbox
 * get 429 `ApplicationThrottled` (Outlook's MailboxConcurrency). Responses come in another order
 * than the requests (reversed here), as Graph allows: clients match them by id.
 */
export function handleGraphBatch(ctx: RequestContext, hooks: BatchHooks): void {
  if (ctx.method !== "POST") {
    graphError(ctx, 405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.");
    return;
  }
  if (!authorize(ctx)) return;
  const list = parseBatch(ctx.body.kind === "json" ? ctx.body.value : undefined);
  if (typeof list === "string") {
    graphError(ctx, 400, "BadRequest", list);
    return;
  }
  if (list.length === 0) {
    graphError(ctx, 400, "BadRequest", "Invalid batch payload format: no requests.");
    return;
  }
  if (list.length > GRAPH_BATCH_LIMIT) {
    graphError(ctx, 400, "BadRequest", `Number of batch requests ${list.length} exceeds the limit of ${GRAPH_BATCH_LIMIT}.`);
    return;
  }
  const order = dependencyOrder(list);
  if (!order) {
    graphError(ctx, 400, "BadRequest", "The dependsOn of the batch's requests form a cycle.");
    return;
  }
  const parallel = list.every((r) => r.dependsOn.length === 0);
  const perMailbox = new Map<string, number>();
  const statuses = new Map<string, number>();
  const responses: SubResponse[] = [];
  for (const sub of order) {
    const failed = sub.dependsOn.find((d) => (statuses.get(d) ?? 0) >= 400);
    if (failed !== undefined) {
      // "If an individual request fails, any request that depends on that request fails with status code 424."
      const failedDependency: SubResponse = {
        id: sub.id,
        status: 424,
        headers: { "Content-Type": "application/json" },
        body: { error: { code: "BadRequest", message: `Failed dependency: request ${failed} failed.` } },
      };
      hooks.record({
        at: new Date().toISOString(),
        service: "graph",
        method: sub.method,
        path: new URL(`${ctx.core.baseUrl}/v1.0${sub.url.startsWith("/") ? "" : "/"}${sub.url}`).pathname,
        query: {},
        headers: sub.headers,
        auth: ctx.record.auth,
        body: sub.body,
        batch: { seq: ctx.record.seq, id: sub.id },
      }).status = 424;
      statuses.set(sub.id, 424);
      responses.push(failedDependency);
      continue;
    }
    const response = runSub(ctx, sub, hooks, (segments, path) => {
      const mailbox = parallel ? mailboxOf(ctx, segments) : undefined;
      if (mailbox !== undefined) {
        const n = (perMailbox.get(mailbox) ?? 0) + 1;
        perMailbox.set(mailbox, n);
        if (n > MAILBOX_CONCURRENCY) return "mailbox";
      }
      return hooks.fault({ service: "graph", method: sub.method, path });
    });
    statuses.set(sub.id, response.status);
    responses.push(response);
  }
  send(ctx, 200, { responses: responses.reverse() });
}
