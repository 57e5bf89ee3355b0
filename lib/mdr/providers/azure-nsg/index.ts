import { azureNsg } from "./facts";
import { SimulatedAzureNsg } from "./simulated";
import type { ProviderModule } from "../index";

export const azureNsgModule = {
  facts: azureNsg,
  simulated: (rt, settings) => ({ firewall: new SimulatedAzureNsg(rt, settings.nsgPriorityRange) }),
} satisfies ProviderModule;
