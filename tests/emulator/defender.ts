// Microsoft Defender for Endpoint API, served at the emulator's root under /api (the real
// hosts are api.security.microsoft.com / api.securitycenter.microsoft.com, same paths):
//   GET    /api/machines[?$filter=...&$top=&$skip=]   GET /api/machines/{id or computerDnsName}
//   POST   /api/machines/{id}/isolate                   POST /api/machines/{id}/unisolate
//   GET    /api/machineactions[?$filter=...]            GET /api/machineactions/{id}
//   POST   /api/indicators   GET /api/indicators        DELETE /api/indicators/{id}
//   POST   /api/indicators/import (up to 500)           POST /api/indicators/BatchDelete (up to 500 ids)
// Errors use the documented {"error":{"code","message","target"}} shape (common-errors.md).
import ipaddr from "ipaddr.js";
import { checkBearer } from "./auth";
import { type EmulatorCore, guid, hexId, intParam, isoNow, isRecord, type RequestContext, sendEmpty, sendJson } from "./http";
import type { TokenClaims } from "./jwt";
import { evalFilter, ODataError, parseFilter } from "./odata";
import { tokenGrants } from "./permissions";
import { DEFENDER_BATCH_DELETE_WINDOWS, DEFENDER_IMPORT_WINDOWS, DEFENDER_WINDOWS, type Window } from "./throttle";
import type { DeviceState, IndicatorState, MachineActionState, MachineActionStatus, TenantState } from "./types";

const CONTEXT = "https://api.securitycenter.microsoft.com/api/$metadata";
/** The batch APIs under /api/indicators, by their path's last segment (lower case), and their own limits. */
const BATCH_APIS = new Map<string, Window[]>([
  ["import", DEFENDER_IMPORT_WINDOWS],
  ["batchdelete", DEFENDER_BATCH_DELETE_WINDOWS],
]);
const FINAL: readonly MachineActionStatus[] = ["Succeeded", "Failed", "TimeOut", "Cancelled"];
const READ_MACHINES = ["Machine.Read.All", "Machine.ReadWrite.All"];
const ISOLATE = ["Machine.Isolate"];
const INDICATORS = ["Ti.ReadWrite", "Ti.ReadWrite.All"];
const MACHINE_FILTER_FIELDS = [
  "computerDnsName",
  "id",
  "version",
  "deviceValue",
  "aadDeviceId",
  "machineTags",
  "lastSeen",
  "exposureLevel",
  "onboardingStatus",
  "lastIpAddress",
  "healthStatus",
  "osPlatform",
  "riskScore",
  "rbacGroupId",
] as const;
const ACTION_FILTER_FIELDS = ["id", "status", "machineId", "type", "requestor", "creationDateTimeUtc"] as const;
const INDICATOR_FILTER_FIELDS = ["indicatorValue", "indicatorType", "action", "createdBy", "severity", "title"] as const;
const INDICATOR_TYPES = ["FileSha1", "FileSha256", "FileMd5", "CertificateThumbprint", "IpAddress", "DomainName", "Url"];
const INDICATOR_ACTIONS = ["Alert", "Warn", "Block", "Audit", "BlockAndRemediate", "AlertAndBlock", "Allowed"];
const SEVERITIES = ["Informational", "Low", "Medium", "High"];
const ISOLATION_TYPES = ["Full", "Selective", "UnManagedDevice"];
/** Address ranges an IP indicator may not name ("internal" addresses); documentation ranges pass. */
const INTERNAL_RANGES = new Set([
  "unspecified",
  "broadcast",
  "multicast",
  "linkLocal",
  "loopback",
  "private",
  "carrierGradeNat",
  "uniqueLocal",
  "ipv4Mapped",
]);

function error(ctx: RequestContext, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, { error: { code, message, target: ctx.requestId } }, headers);
}

export function machineJson(d: DeviceState): Record<string, unknown> {
  return {
    id: d.id,
    computerDnsName: d.computerDnsName,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    osPlatform: d.osPlatform,
    osVersion: null,
    osProcessor: "x64",
    version: "22H2",
    lastIpAddress: d.lastIpAddress,
    lastExternalIpAddress: d.lastExternalIpAddress,
    agentVersion: "10.8760.22621.1000",
    osBuild: 22621,
    healthStatus: d.healthStatus,
    deviceValue: "Normal",
    rbacGroupId: 0,
    rbacGroupName: null,
    riskScore: "None",
    exposureLevel: "Low",
    isAadJoined: true,
    aadDeviceId: d.aadDeviceId,
    machineTags: d.machineTags,
    onboardingStatus: "Onboarded",
    osArchitecture: "64-bit",
    managedBy: "MicrosoftDefenderForEndpoint",
    managedByStatus: "Success",
    ipAddresses: [],
    vmMetadata: null,
  };
}

export function machineActionJson(a: MachineActionState): Record<string, unknown> {
  return {
    id: a.id,
    type: a.type,
    title: null,
    requestor: a.requestor,
    requestorComment: a.requestorComment,
    status: a.status,
    machineId: a.machineId,
    computerDnsName: a.computerDnsName,
    creationDateTimeUtc: a.creationDateTimeUtc,
    lastUpdateDateTimeUtc: a.lastUpdateDateTimeUtc,
    cancellationRequestor: null,
    cancellationComment: null,
    cancellationDateTimeUtc: null,
    errorHResult: 0,
    scope: a.scope,
    externalId: null,
    requestSource: "PublicApi",
    relatedFileInfo: null,
    commands: [],
    troubleshootInfo: null,
  };
}

function indicatorJson(i: IndicatorState): Record<string, unknown> {
  return { ...i };
}

/** Sets an action's status and applies what a finished isolate/unisolate does to the device. */
export function setActionStatus(tenant: TenantState, action: MachineActionState, status: MachineActionStatus): void {
  if (action.status === status) return;
  action.status = status;
  action.lastUpdateDateTimeUtc = isoNow();
  if (status === "Succeeded") {
    const device = tenant.devices.get(action.machineId);
    if (device) device.isolated = action.type === "Isolate";
  }
}

/** Moves an action along per the configured progress mode (called on every read of it). */
function advance(core: EmulatorCore, tenant: TenantState, action: MachineActionState): void {
  if (FINAL.includes(action.status)) return;
  const device = tenant.devices.get(action.machineId);
  if (!device || device.offline) return;
  const progress = core.options.defender.actionProgress;
  let steps: number;
  if (progress.mode === "manual") return;
  if (progress.mode === "polls") steps = Math.floor(action.polls / Math.max(1, progress.pollsPerStep));
  else steps = Math.floor((Date.now() - Date.parse(action.creationDateTimeUtc)) / Math.max(1, progress.stepMs));
  if (steps >= 2) setActionStatus(tenant, action, device.failActions ? "Failed" : "Succeeded");
  else if (steps === 1) setActionStatus(tenant, action, "InProgress");
}

function authorize(ctx: RequestContext, anyOf: string[]): { claims: TokenClaims; tenant: TenantState } | undefined {
  const check = checkBearer(ctx, ctx.core.options.audiences.defender);
  if (!check.ok) {
    const messages: Record<typeof check.problem, string> = {
      missing: "Authorization header is missing.",
      malformed: "Authorization header is invalid.",
      signature: "Token signature validation failed.",
      expired: "Token has expired.",
      audience: `Token audience '${check.claims?.aud ?? ""}' is not valid for this API.`,
    };
    error(ctx, 401, "Unauthorized", messages[check.problem]);
    return undefined;
  }
  const tenant = ctx.core.state.tenants.get(check.claims.tid.toLowerCase());
  if (!tenant) {
    error(ctx, 401, "Unauthorized", "Tenant is not onboarded to Microsoft Defender for Endpoint.");
    return undefined;
  }
  // Defender reads the permissions from the token only: no roles claim, no access at all.
  if (check.claims.roles === undefined && check.claims.scp === undefined) {
    error(ctx, 401, "Unauthorized", "Either scp or roles claim need to be present in the token.");
    return undefined;
  }
  if (!tokenGrants(check.claims.roles, anyOf)) {
    error(
      ctx,
      403,
      "Forbidden",
      `The application does not have any of the required application permissions (${anyOf.join(", ")}) to access the resource.`,
    );
    return undefined;
  }
  // Each API's own limits, per tenant and app: 100 calls a minute and 1,500 an hour (each API's
  // "Limitations": isolate-machine.md, post-ti-indicator.md, get-machines.md...), but 30 a minute
  // for the indicator import (import-ti-indicators.md) and 30 a minute and 1,500 an hour for the
  // batch delete (batch-delete-ti-indicators.md).
  const [, collection = "", id, verb] = ctx.segments;
  const batch = collection.toLowerCase() === "indicators" && verb === undefined ? BATCH_APIS.get(id?.toLowerCase() ?? "") : undefined;
  const api = batch
    ? `${ctx.method} /api/indicators/${id!.toLowerCase()}`
    : `${ctx.method} /api/${collection.toLowerCase()}${id === undefined ? "" : "/{id}"}${verb === undefined ? "" : `/${verb.toLowerCase()}`}`;
  const throttled = ctx.core.throttle.windows([[`defender|${tenant.tenantId}|${check.claims.appid}|${api}`, batch ?? DEFENDER_WINDOWS]]);
  if (throttled) {
    error(ctx, 429, "TooManyRequests", `API calls quota exceeded! Maximum admitted ${throttled.limit}.`, {
      "Retry-After": String(throttled.retryAfterSeconds),
    });
    return undefined;
  }
  return { claims: check.claims, tenant };
}

/** Applies $filter, $skip and $top; undefined after answering 400 for a bad query. */
function query<T>(
  ctx: RequestContext,
  items: T[],
  fields: readonly string[],
  get: (item: T, field: string) => unknown,
): T[] | undefined {
  let result = items;
  const filter = ctx.query.get("$filter");
  if (filter !== null) {
    try {
      const tree = parseFilter(filter, fields);
      // Defender compares names case-insensitively (DNS names are).
      result = result.filter((item) => evalFilter(tree, (f) => get(item, f), { caseInsensitive: true }));
    } catch (err) {
      if (!(err instanceof ODataError)) throw err;
      error(ctx, 400, "ODataError", `Invalid OData query filter: ${err.message}`);
      return undefined;
    }
  }
  const skip = intParam(ctx.query, "$skip");
  const top = intParam(ctx.query, "$top");
  if (Number.isNaN(skip) || Number.isNaN(top) || (top !== undefined && top > 10000)) {
    error(ctx, 400, "ODataError", "Invalid $top or $skip value. $top must be a whole number up to 10000.");
    return undefined;
  }
  if (skip) result = result.slice(skip);
  if (top !== undefined) result = result.slice(0, top);
  return result;
}

function findDevice(tenant: TenantState, idOrName: string): DeviceState | undefined {
  const byId = tenant.devices.get(idOrName.toLowerCase());
  if (byId) return byId;
  const name = idOrName.toLowerCase();
  return [...tenant.devices.values()].find((d) => d.computerDnsName.toLowerCase() === name);
}

function listMachines(ctx: RequestContext, tenant: TenantState): void {
  const found = query(ctx, [...tenant.devices.values()], MACHINE_FILTER_FIELDS, (d, f) => machineJson(d)[f]);
  if (!found) return;
  if (found.length === 0 && ctx.core.options.defender.emptyListStatus === 404) {
    error(ctx, 404, "NotFound", "No machines found.");
    return;
  }
  sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#Machines`, value: found.map(machineJson) });
}

function machineAction(
  ctx: RequestContext,
  tenant: TenantState,
  claims: TokenClaims,
  device: DeviceState,
  type: "Isolate" | "Unisolate",
): void {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  if (ctx.body.kind === "invalid-json" || (body !== undefined && !isRecord(body))) {
    error(ctx, 400, "InvalidRequestBody", "Request body is incorrect");
    return;
  }
  // Body keys are case-sensitive: "comment" is not "Comment".
  const comment = body?.Comment;
  if (typeof comment !== "string" || comment.trim() === "") {
    error(ctx, 400, "MissingRequiredParameter", "Parameter Comment is missing.");
    return;
  }
  let scope: string | null = null;
  if (type === "Isolate") {
    const isolationType = body?.IsolationType ?? "Full";
    if (typeof isolationType !== "string" || !ISOLATION_TYPES.includes(isolationType)) {
      error(ctx, 400, "InvalidRequestBody", "Request body is incorrect");
      return;
    }
    scope = isolationType;
  }
  for (const a of tenant.machineActions.values()) advance(ctx.core, tenant, a);
  const pending = [...tenant.machineActions.values()].find(
    (a) => a.machineId === device.id && a.type === type && !FINAL.includes(a.status),
  );
  if (pending) {
    if (ctx.core.options.defender.duplicateAction === "returnPending") {
      sendJson(ctx, 201, { "@odata.context": `${CONTEXT}#MachineActions/$entity`, ...machineActionJson(pending) });
    } else {
      error(ctx, 400, "ActiveRequestAlreadyExists", "Action is already in progress");
    }
    return;
  }
  const now = isoNow();
  const action: MachineActionState = {
    id: guid(),
    tenantId: tenant.tenantId,
    type,
    scope,
    status: "Pending",
    machineId: device.id,
    computerDnsName: device.computerDnsName,
    requestor: claims.appid,
    requestorComment: comment,
    creationDateTimeUtc: now,
    lastUpdateDateTimeUtc: now,
    polls: 0,
  };
  tenant.machineActions.set(action.id, action);
  const start = ctx.core.machineActionStarts.shift();
  if (start) setActionStatus(tenant, action, start);
  sendJson(ctx, 201, { "@odata.context": `${CONTEXT}#MachineActions/$entity`, ...machineActionJson(action) });
}

/** Why an indicator was refused: the status and code a single submission answers with. */
interface IndicatorRefusal {
  status: number;
  code: string;
  message: string;
}

/**
 * Submit-or-update of one indicator (post-ti-indicator.md), shared by the single submission and
 * the import: the indicator it created or updated, or why it was refused (nothing changed).
 */
function upsertIndicator(tenant: TenantState, claims: TokenClaims, body: unknown): IndicatorState | IndicatorRefusal {
  const incorrect: IndicatorRefusal = { status: 400, code: "InvalidRequestBody", message: "Request body is incorrect" };
  if (!isRecord(body)) return incorrect;
  for (const name of ["indicatorValue", "indicatorType", "action", "title", "description"]) {
    const v = body[name];
    if (typeof v !== "string" || v.trim() === "") {
      return { status: 400, code: "MissingRequiredParameter", message: `Parameter ${name} is missing.` };
    }
  }
  const value = String(body.indicatorValue).trim();
  const type = String(body.indicatorType);
  const action = String(body.action);
  if (!INDICATOR_TYPES.includes(type) || !INDICATOR_ACTIONS.includes(action)) return incorrect;
  const severity = body.severity ?? "Informational";
  if (typeof severity !== "string" || !SEVERITIES.includes(severity)) return incorrect;
  const expirationTime = body.expirationTime ?? null;
  if (expirationTime !== null && (typeof expirationTime !== "string" || Number.isNaN(Date.parse(expirationTime)))) return incorrect;
  if (type === "IpAddress") {
    // Single public addresses only: no CIDR ranges, no private / reserved ranges.
    const valid = ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value);
    if (!valid || INTERNAL_RANGES.has(ipaddr.parse(value).range())) {
      return { status: 400, code: "InvalidIpAddress", message: `IP address ${value} is invalid.` };
    }
  }
  const now = isoNow();
  const existing = [...tenant.indicators.values()].find(
    (i) => i.indicatorType === type && i.indicatorValue.toLowerCase() === value.toLowerCase(),
  );
  const fields = {
    action,
    severity,
    title: String(body.title),
    description: String(body.description),
    expirationTime,
    recommendedActions: typeof body.recommendedActions === "string" ? body.recommendedActions : null,
    rbacGroupNames: Array.isArray(body.rbacGroupNames) ? body.rbacGroupNames.map(String) : [],
    generateAlert: body.generateAlert === true || body.generateAlert === "true",
  };
  let indicator: IndicatorState;
  if (existing) {
    // Submit-or-update: the same value and type updates the existing indicator, same id.
    Object.assign(existing, fields, { lastUpdateTime: now, lastUpdatedBy: claims.appid });
    indicator = existing;
  } else {
    indicator = {
      id: String(tenant.nextIndicatorId++),
      indicatorValue: value,
      indicatorType: type,
      application: typeof body.application === "string" ? body.application : null,
      source: claims.appid,
      sourceType: "AadApp",
      createdBy: claims.appid,
      createdBySource: "PublicApi",
      creationTimeDateTimeUtc: now,
      lastUpdateTime: now,
      lastUpdatedBy: null,
      ...fields,
    };
    tenant.indicators.set(indicator.id, indicator);
  }
  return indicator;
}

const refused = (r: IndicatorState | IndicatorRefusal): r is IndicatorRefusal => "status" in r && typeof r.status === "number";

function submitIndicator(ctx: RequestContext, tenant: TenantState, claims: TokenClaims): void {
  const result = upsertIndicator(tenant, claims, ctx.body.kind === "json" ? ctx.body.value : undefined);
  if (refused(result)) return error(ctx, result.status, result.code, result.message);
  sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#Indicators/$entity`, ...indicatorJson(result) });
}

/** The most indicators one import takes, and the most ids one batch delete takes. */
export const INDICATOR_BATCH_MAX = 500;

/**
 * `POST /api/indicators/import` (import-ti-indicators.md): `{ "Indicators": [...] }`, at most 500
 * ("Maximum batch size for one API call is 500"); a body otherwise incorrect is a 400. Each
 * indicator is submitted or updated as a single submission would be, and has its own result,
 * `{ id, indicator, isFailed, failureReason }`, in the order given: one refused does not stop
 * the others.
 */
function importIndicators(ctx: RequestContext, tenant: TenantState, claims: TokenClaims): void {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  const list = isRecord(body) ? body.Indicators : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    return error(ctx, 400, "InvalidRequestBody", "Request body is incorrect");
  }
  if (list.length > INDICATOR_BATCH_MAX) {
    return error(ctx, 400, "InvalidRequestBody", `Maximum batch size for one API call is ${INDICATOR_BATCH_MAX}, got ${list.length}.`);
  }
  const value = list.map((item) => {
    const result = upsertIndicator(tenant, claims, item);
    const indicator = isRecord(item) && typeof item.indicatorValue === "string" ? item.indicatorValue : null;
    return refused(result)
      ? { id: null, indicator, isFailed: true, failureReason: `${result.code}: ${result.message}` }
      : { id: result.id, indicator: result.indicatorValue, isFailed: false, failureReason: null };
  });
  sendJson(ctx, 200, { value });
}

/**
 * `POST /api/indicators/BatchDelete` (batch-delete-ti-indicators.md): `{ "IndicatorIds": [...] }`,
 * 1 to 500 ids. 204 when every one existed and was deleted; an empty or too long list, or an
 * invalid id, 400; any id not found, 404, and nothing is deleted.
 */
function batchDeleteIndicators(ctx: RequestContext, tenant: TenantState): void {
  const body = ctx.body.kind === "json" ? ctx.body.value : undefined;
  const ids = isRecord(body) ? body.IndicatorIds : undefined;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > INDICATOR_BATCH_MAX) {
    return error(ctx, 400, "InvalidRequestBody", `IndicatorIds must hold 1 to ${INDICATOR_BATCH_MAX} indicator ids.`);
  }
  const bad = ids.find((id) => !((typeof id === "string" && /^\d+$/.test(id)) || Number.isInteger(id)));
  if (bad !== undefined) return error(ctx, 400, "InvalidRequestBody", `Indicator id ${JSON.stringify(bad)} is invalid.`);
  const missing = ids.map(String).filter((id) => !tenant.indicators.has(id));
  if (missing.length > 0) return error(ctx, 404, "ResourceNotFound", `Indicators ${missing.join(", ")} were not found`);
  for (const id of ids) tenant.indicators.delete(String(id));
  sendEmpty(ctx, 204);
}

export function handleDefender(ctx: RequestContext): void {
  // segments: ["api", collection, id?, verb?]; the API's paths are case-insensitive.
  const [, collectionRaw, id, verbRaw, ...extra] = ctx.segments;
  const collection = collectionRaw?.toLowerCase();
  const verb = verbRaw?.toLowerCase();
  const m = ctx.method;
  const notFound = (): void => error(ctx, 404, "NotFound", `No HTTP resource was found that matches the request URI '${ctx.url.pathname}'.`);
  if (extra.length > 0) return notFound();

  if (collection === "machines") {
    if (m === "GET" && id === undefined) {
      const auth = authorize(ctx, READ_MACHINES);
      if (auth) listMachines(ctx, auth.tenant);
      return;
    }
    if (id === undefined) return notFound();
    if (m === "GET" && verb === undefined) {
      const auth = authorize(ctx, READ_MACHINES);
      if (!auth) return;
      const device = findDevice(auth.tenant, id);
      if (!device) return error(ctx, 404, "ResourceNotFound", `Machine ${id} was not found`);
      sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#Machines/$entity`, ...machineJson(device) });
      return;
    }
    if (m === "POST" && (verb === "isolate" || verb === "unisolate")) {
      const auth = authorize(ctx, ISOLATE);
      if (!auth) return;
      const device = findDevice(auth.tenant, id);
      if (!device) return error(ctx, 404, "ResourceNotFound", `Machine ${id} was not found`);
      machineAction(ctx, auth.tenant, auth.claims, device, verb === "isolate" ? "Isolate" : "Unisolate");
      return;
    }
    return notFound();
  }

  if (collection === "machineactions" && verb === undefined && m === "GET") {
    const auth = authorize(ctx, READ_MACHINES);
    if (!auth) return;
    const { tenant } = auth;
    if (id === undefined) {
      for (const a of tenant.machineActions.values()) advance(ctx.core, tenant, a);
      const found = query(ctx, [...tenant.machineActions.values()], ACTION_FILTER_FIELDS, (a, f) => machineActionJson(a)[f]);
      if (found) sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#MachineActions`, value: found.map(machineActionJson) });
      return;
    }
    const action = tenant.machineActions.get(id.toLowerCase());
    if (!action) return error(ctx, 404, "ResourceNotFound", `MachineAction ${id} was not found`);
    action.polls++;
    advance(ctx.core, tenant, action);
    sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#MachineActions/$entity`, ...machineActionJson(action) });
    return;
  }

  if (collection === "indicators" && verb === undefined) {
    const batch = id?.toLowerCase();
    if (m === "POST" && batch === "import") {
      const auth = authorize(ctx, INDICATORS);
      if (auth) importIndicators(ctx, auth.tenant, auth.claims);
      return;
    }
    if (m === "POST" && batch === "batchdelete") {
      const auth = authorize(ctx, INDICATORS);
      if (auth) batchDeleteIndicators(ctx, auth.tenant);
      return;
    }
    if (m === "POST" && id === undefined) {
      const auth = authorize(ctx, INDICATORS);
      if (auth) submitIndicator(ctx, auth.tenant, auth.claims);
      return;
    }
    if (m === "GET" && id === undefined) {
      const auth = authorize(ctx, [...INDICATORS, "Ti.Read.All"]);
      if (!auth) return;
      const found = query(ctx, [...auth.tenant.indicators.values()], INDICATOR_FILTER_FIELDS, (i, f) => indicatorJson(i)[f]);
      if (found) sendJson(ctx, 200, { "@odata.context": `${CONTEXT}#Indicators`, value: found.map(indicatorJson) });
      return;
    }
    if (m === "DELETE" && id !== undefined) {
      const auth = authorize(ctx, INDICATORS);
      if (!auth) return;
      if (!auth.tenant.indicators.delete(id)) return error(ctx, 404, "ResourceNotFound", `Indicator ${id} was not found`);
      sendEmpty(ctx, 204);
      return;
    }
  }
  notFound();
}

/** A new Defender-style device id (40 hex chars). */
export function newMachineId(): string {
  return hexId(20);
}
