// Isolation and its release, as the page and the API's documents see them (client-safe).
import { kindFolder } from "@/lib/mdr/kinds/meta";

export const ISOLATE_ENDPOINT = kindFolder(
  {
    type: "isolate_endpoint",
    label: "Isolate endpoint",
    route: {
      path: "/api/v1/mdr/isolate",
      summary: "Isolate an endpoint through Defender for Endpoint",
      body: "IsolateRequest",
      bulk: { schema: "BulkIsolateRequest", field: "hostnames" },
    },
    undo: {
      type: "release_endpoint",
      label: "Release endpoint",
      consequence: "Defender lifts the isolation: the device talks to the network again.",
    },
    contained: { key: "isolated_endpoints" },
  },
  { type: "release_endpoint", label: "Release endpoint" },
);
