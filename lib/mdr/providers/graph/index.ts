import { graph } from "./facts";
import { createDirectory } from "./simulated";
import type { ProviderModule } from "../index";

export const graphModule = {
  facts: graph,
  simulated: (rt) => createDirectory(rt),
} satisfies ProviderModule;
