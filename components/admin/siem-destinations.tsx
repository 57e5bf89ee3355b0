"use client";

// SIEM forwarding: each configured destination's last delivery, backlog and last error, as the
// server read them when the page was made (GET /api/v1/mdr/status has them live).
import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { SiemDestinationState } from "@/lib/mdr/siem/forwarder";
import { AdminSection, EmptyRow, When } from "./parts";

const LABELS: Record<SiemDestinationState["name"], string> = { syslog: "Syslog", hec: "Splunk HEC" };

export function SiemDestinations({ destinations }: { destinations: SiemDestinationState[] }) {
  return (
    <AdminSection
      id="siem-forwarding"
      testId="siem-forwarding"
      title="SIEM forwarding"
      description="Every audit record goes to each destination through an outbox, in order, retried until delivered. Set with MDR_SIEM_SYSLOG_URL and MDR_SIEM_HEC_URL."
    >
      <Table data-testid="siem-table" aria-labelledby="siem-forwarding-title">
        <TableHeader className="bg-muted/50">
          <TableRow className="hover:bg-transparent">
            <TableHead className="pl-4">Destination</TableHead>
            <TableHead>State</TableHead>
            <TableHead>Last delivered</TableHead>
            <TableHead>Backlog</TableHead>
            <TableHead className="pr-4">Last error</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {destinations.length === 0 ? (
            <EmptyRow columns={5}>No destination configured: audit records stay in this server only.</EmptyRow>
          ) : (
            destinations.map((d) => (
              <TableRow key={d.name} data-testid="siem-row" data-destination={d.name}>
                <TableCell className="pl-4">
                  <div className="text-sm font-medium">{LABELS[d.name]}</div>
                  <div className="font-mono text-xs text-muted-foreground">{d.url}</div>
                </TableCell>
                <TableCell>
                  {d.failures > 0 ? (
                    <Badge variant="danger">Failing ({d.failures})</Badge>
                  ) : (
                    <Badge variant="success">Delivering</Badge>
                  )}
                </TableCell>
                <TableCell>
                  <When iso={d.last_delivered?.at ?? null} none="nothing yet" />
                  {d.last_delivered && <div className="font-mono text-xs text-muted-foreground">{d.last_delivered.record}</div>}
                </TableCell>
                <TableCell className="font-mono text-xs" data-testid="siem-backlog">
                  {d.backlog}
                </TableCell>
                <TableCell className="max-w-96 pr-4">
                  {d.last_error ? (
                    <>
                      <When iso={d.last_error.at} />
                      <span className="block truncate font-mono text-xs text-muted-foreground" title={d.last_error.message}>
                        {d.last_error.message}
                      </span>
                    </>
                  ) : (
                    <span className="text-xs text-muted-foreground">—</span>
                  )}
                </TableCell>
              </TableRow>
            ))
          )}
        </TableBody>
      </Table>
    </AdminSection>
  );
}
