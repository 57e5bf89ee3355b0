import { awsWaf } from "./facts";
import { SimulatedAwsWaf } from "./simulated";
import type { ProviderModule } from "../index";

export const awsWafModule = {
  facts: awsWaf,
  simulated: (rt) => ({ firewall: new SimulatedAwsWaf(rt) }),
} satisfies ProviderModule;
