import { aws } from "./facts";
import { SimulatedAwsNacl } from "./simulated";
import type { ProviderModule } from "../index";

export const awsModule = {
  facts: aws,
  simulated: (rt, settings) => ({ firewall: new SimulatedAwsNacl(rt, settings.naclRuleRange) }),
} satisfies ProviderModule;
