import type { LiveModule } from "@/lib/mdr/providers/live";
import { GraphProvider } from "./client";
import { NO_PERMANENT_DELETE } from "./facts";

export const graphLive: LiveModule = ({ live, tokens, retry, gate }) => {
  const cloud = NO_PERMANENT_DELETE[live.cloud];
  const graph = new GraphProvider({
    baseUrl: live.endpoints.graphApiUrl,
    resource: live.endpoints.graphResource,
    tokens,
    retry,
    gate,
    ...(cloud ? { permanentDeleteUnavailable: `Microsoft Graph has no permanentDelete in ${cloud}` } : {}),
  });
  return { identity: graph, mail: graph, probe: (t) => graph.probe(t) };
};
