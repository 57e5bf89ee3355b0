import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

const ENDPOINTS = [
  ["POST", "/api/v1/mdr/isolate", "Isolate an endpoint (Defender for Endpoint)"],
  ["POST", "/api/v1/mdr/block-ip", "Block an IP on Azure NSG, AWS or Defender"],
  ["POST", "/api/v1/mdr/disable-user", "Disable a user and revoke sessions (Graph)"],
  ["POST", "/api/v1/mdr/quarantine-email", "Quarantine an email (Microsoft 365)"],
  ["GET", "/api/v1/mdr/actions", "The audit log"],
  ["GET", "/api/v1/mdr/status", "Service health"],
  ["GET", "/api/v1/mdr/metrics", "Response metrics"],
  ["GET", "/api/v1/openapi.json", "OpenAPI 3.1 document"],
] as const;

export default function Home() {
  const mode = config().mode;
  return (
    <main>
      <h1>MDR Response Actions</h1>
      {mode === "simulation" && (
        <p role="status">
          <strong>Simulation mode:</strong> actions run against a simulated tenant; no real system is touched.
        </p>
      )}
      <h2>API</h2>
      <ul>
        {ENDPOINTS.map(([method, path, what]) => (
          <li key={path}>
            <code>
              {method} {method === "GET" ? <a href={path}>{path}</a> : path}
            </code>{" "}
            — {what}
          </li>
        ))}
      </ul>
    </main>
  );
}
