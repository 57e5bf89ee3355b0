// Application permissions (app roles) as Entra puts them in a client-credentials token: the
// `roles` claim lists the permissions the app was granted *on the resource the token is for*
// (Defender's WindowsDefenderATP app or Microsoft Graph), and is left out when it holds none
// there. Defender and Graph read only the token; ARM authorizes by RBAC role assignments,
// which it looks up at request time (its tokens carry no roles).
import type { ResolvedOptions } from "./http";
import type { ClientState } from "./types";

/** Application permissions of the WindowsDefenderATP app (Defender for Endpoint's API). */
export const DEFENDER_PERMISSIONS = [
  "AdvancedQuery.Read.All",
  "Alert.Read.All",
  "Alert.ReadWrite.All",
  "Event.Write",
  "File.Read.All",
  "Ip.Read.All",
  "Library.Manage",
  "Machine.CollectForensics",
  "Machine.Isolate",
  "Machine.LiveResponse",
  "Machine.Offboard",
  "Machine.Read.All",
  "Machine.ReadWrite.All",
  "Machine.RestrictExecution",
  "Machine.Scan",
  "Machine.StopAndQuarantine",
  "RemediationTasks.Read.All",
  "Score.Read.All",
  "SecurityBaselinesAssessment.Read.All",
  "SecurityConfiguration.Read.All",
  "SecurityConfiguration.ReadWrite.All",
  "SecurityRecommendation.Read.All",
  "Software.Read.All",
  "Ti.Read.All",
  "Ti.ReadWrite",
  "Ti.ReadWrite.All",
  "Url.Read.All",
  "User.Read.All",
  "Vulnerability.Read.All",
] as const;

/** Application permissions of Microsoft Graph the emulated endpoints (and their neighbours) use. */
export const GRAPH_PERMISSIONS = [
  "Directory.Read.All",
  "Directory.ReadWrite.All",
  "IdentityRiskyUser.Read.All",
  "IdentityRiskyUser.ReadWrite.All",
  "Mail.Read",
  "Mail.ReadBasic",
  "Mail.ReadBasic.All",
  "Mail.ReadWrite",
  "Mail.Send",
  "Organization.Read.All",
  "Organization.ReadWrite.All",
  "SecurityAnalyzedMessage.ReadWrite.All",
  "User.EnableDisableAccount.All",
  "User.Read.All",
  "User.ReadWrite.All",
  "User.RevokeSessions.All",
] as const;

/** Resource ids (besides the configured audiences) that are Defender's or Graph's in other clouds. */
const DEFENDER_RESOURCES = [
  "https://api.securitycenter.microsoft.com",
  "https://securitycenter.onmicrosoft.com/windowsatpservice",
  "https://api.security.microsoft.com",
  "https://api-gcc.securitycenter.microsoft.us",
  "https://api-gov.securitycenter.microsoft.us",
  "https://securitycenter.onmicrosoft.us",
];
const GRAPH_RESOURCES = [
  "https://graph.microsoft.com",
  "00000003-0000-0000-c000-000000000000",
  "https://graph.microsoft.us",
  "https://dod-graph.microsoft.us",
  "https://microsoftgraph.chinacloudapi.cn",
];

const norm = (resource: string): string => resource.replace(/\/+$/, "").toLowerCase();

/** Whose app roles a token for `resource` carries: Defender's, Graph's, or none (ARM and the rest). */
export function resourceKind(options: Pick<ResolvedOptions, "audiences">, resource: string): "defender" | "graph" | undefined {
  const r = norm(resource);
  if ([...DEFENDER_RESOURCES, ...options.audiences.defender].some((x) => norm(x) === r)) return "defender";
  if ([...GRAPH_RESOURCES, ...options.audiences.graph].some((x) => norm(x) === r)) return "graph";
  return undefined;
}

/**
 * The `roles` claim of a token for `resource`: the app's permissions on that resource ("all":
 * every one of them), or undefined (claim left out) when it holds none there.
 */
export function rolesFor(options: Pick<ResolvedOptions, "audiences">, client: Pick<ClientState, "permissions">, resource: string): string[] | undefined {
  const kind = resourceKind(options, resource);
  if (!kind) return undefined;
  const catalog: readonly string[] = kind === "defender" ? DEFENDER_PERMISSIONS : GRAPH_PERMISSIONS;
  const granted = client.permissions === "all" ? [...catalog] : catalog.filter((p) => client.permissions.includes(p));
  return granted.length > 0 ? granted : undefined;
}

/** Throws on a permission no emulated resource knows (a typo would otherwise read as "not granted"). */
export function checkPermissionNames(permissions: readonly string[]): void {
  for (const p of permissions) {
    const known =
      (DEFENDER_PERMISSIONS as readonly string[]).includes(p) ||
      (GRAPH_PERMISSIONS as readonly string[]).includes(p) ||
      p === "*" ||
      p.startsWith("Microsoft.");
    if (!known) throw new Error(`emulator: unknown permission ${p} (not a Defender or Graph application permission, nor an ARM action)`);
  }
}

/** True when the token's roles hold any of `anyOf` (Defender and Graph: the token is all they read). */
export function tokenGrants(roles: readonly string[] | undefined, anyOf: readonly string[]): boolean {
  return (roles ?? []).some((r) => anyOf.some((needed) => r.toLowerCase() === needed.toLowerCase()));
}
