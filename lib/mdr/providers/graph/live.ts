import type { LiveModule } from "@/lib/mdr/providers/live";
import { GraphProvider } from "./client";

export const graphLive: LiveModule = ({ live, tokens, retry, gate }) => {
  const graph = new GraphProvider({ baseUrl: live.endpoints.graphApiUrl, resource: live.endpoints.graphResource, tokens, retry, gate });
  return { identity: graph, mail: graph, probe: (t) => graph.probe(t) };
};
