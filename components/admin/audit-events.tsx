"use client";

// The security audit log, newest first: sign-ins (and failures), tokens, users, protected assets.
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { ApiError } from "@/components/mdr/api";
import type { AuditEvent } from "@/lib/auth/enums";
import { AUDIT_LIMIT } from "./api";
import { ADMIN_REFRESH_MS, useAudit } from "./hooks";
import { AdminSection, EmptyRow, When } from "./parts";
import { useAdminTenants } from "./tenants";

const EVENT_LABELS: Record<AuditEvent, { label: string; tone: "success" | "warning" | "danger" | "info" | "neutral" }> = {
  sign_in: { label: "Signed in", tone: "success" },
  sign_in_failed: { label: "Sign-in failed", tone: "danger" },
  sign_in_throttled: { label: "Sign-in held back", tone: "warning" },
  password_changed: { label: "Password changed", tone: "info" },
  sign_out: { label: "Signed out", tone: "neutral" },
  tenant_refused: { label: "Tenant refused", tone: "danger" },
  user_created: { label: "User created", tone: "info" },
  user_updated: { label: "User changed", tone: "info" },
  token_created: { label: "Token created", tone: "info" },
  token_revoked: { label: "Token revoked", tone: "warning" },
  protected_asset_added: { label: "Asset protected", tone: "info" },
  protected_asset_removed: { label: "Protection removed", tone: "warning" },
  audit_pruned: { label: "Audit log pruned", tone: "neutral" },
};

function detailText(detail: Record<string, unknown> | null): string {
  if (!detail || Object.keys(detail).length === 0) return "—";
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

/** The audit chain's checkpoint key and its last verification (`npm run mdr -- audit verify`, GET /admin/audit/verify). */
export interface AuditIntegrity {
  keyId: string;
  publicKey: string;
  last: { at: string; ok: boolean; records: number; checkpoints: number; seconds: number; problem: string | null } | null;
}

function IntegrityLine({ integrity }: { integrity: AuditIntegrity }) {
  const { last } = integrity;
  return (
    <p data-testid="audit-verification" data-ok={last ? String(last.ok) : undefined} className="px-4 py-2 text-xs text-muted-foreground">
      {last === null ? (
        "The audit log's hash chain has not been verified yet."
      ) : last.ok ? (
        <>
          Last verification <When iso={last.at} />: <Badge variant="success">verified</Badge> {last.records} records,{" "}
          {last.checkpoints} checkpoints, {last.seconds.toFixed(2)} s.
        </>
      ) : (
        <>
          Last verification <When iso={last.at} />: <Badge variant="danger">does not verify</Badge>{" "}
          <span className="font-mono">{last.problem}</span>
        </>
      )}{" "}
      Checkpoints are signed by Ed25519 key{" "}
      <span className="font-mono" title={integrity.publicKey}>
        {integrity.keyId}
      </span>
      .
    </p>
  );
}

export function AuditEvents({ integrity }: { integrity?: AuditIntegrity }) {
  const { allTenants } = useAdminTenants();
  const { data, error } = useAudit(allTenants);
  const events = data?.events ?? [];
  const description = `The last ${AUDIT_LIMIT} events, newest first, every ${ADMIN_REFRESH_MS / 1000} s. Actions have their own log on the response actions page.`;
  if (!data) {
    // An admin of some tenants only: the API's 403 says why (the log concerns every tenant).
    const why =
      error instanceof ApiError
        ? error.status === 403
          ? (error.problem?.detail ?? error.message)
          : `Could not read the security audit log: ${error.message}`
        : allTenants
          ? null
          : "Reading the security audit log…";
    if (why !== null) {
      return (
        <AdminSection id="audit-events" testId="audit-events" title="Security audit log" description={description}>
          <p data-testid="audit-refused" role="status" className="px-4 py-6 text-sm text-muted-foreground">
            {why}
          </p>
        </AdminSection>
      );
    }
  }
  return (
    <AdminSection
      id="audit-events"
      testId="audit-events"
      title="Security audit log"
      description={description}
    >
      {integrity && <IntegrityLine integrity={integrity} />}
      <Table data-testid="audit-table" aria-labelledby="audit-events-title">
        <TableHeader className="bg-muted/50">
          <TableRow className="hover:bg-transparent">
            <TableHead className="w-20 pl-4">Time</TableHead>
            <TableHead>Event</TableHead>
            <TableHead>Actor</TableHead>
            <TableHead>Subject</TableHead>
            <TableHead>IP</TableHead>
            <TableHead className="pr-4">Detail</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {events.length === 0 ? (
            <EmptyRow columns={6}>No security events yet.</EmptyRow>
          ) : (
            events.map((e) => {
              const label = EVENT_LABELS[e.event] ?? { label: e.event, tone: "neutral" as const };
              const detail = detailText(e.detail);
              return (
                <TableRow key={e.id} data-testid="audit-row" data-event={e.event}>
                  <TableCell className="pl-4">
                    <When iso={e.at} />
                  </TableCell>
                  <TableCell>
                    <Badge variant={label.tone}>{label.label}</Badge>
                  </TableCell>
                  <TableCell className="text-xs whitespace-nowrap">{e.actor}</TableCell>
                  <TableCell className="font-mono text-xs whitespace-nowrap">{e.subject ?? "—"}</TableCell>
                  <TableCell className="font-mono text-xs whitespace-nowrap">{e.ip ?? "—"}</TableCell>
                  <TableCell className="max-w-96 pr-4">
                    <span className="block truncate font-mono text-xs text-muted-foreground" title={detail}>
                      {detail}
                    </span>
                  </TableCell>
                </TableRow>
              );
            })
          )}
        </TableBody>
      </Table>
    </AdminSection>
  );
}
