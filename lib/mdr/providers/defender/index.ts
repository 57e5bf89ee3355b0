import { defender } from "./facts";
import { SimulatedEndpoint } from "./simulated";
import { SimulatedDefenderIndicators } from "./simulated-indicators";
import type { ProviderModule } from "../index";

export const defenderModule = {
  facts: defender,
  simulated: (rt, settings) => ({
    endpoint: new SimulatedEndpoint(rt, settings.extraDevices),
    firewall: new SimulatedDefenderIndicators(rt, settings.maxIndicators),
  }),
} satisfies ProviderModule;
