// Names of the security rules MDR writes, shared by the live adapter and its simulated double.
import { azureNsg } from "./facts";

/** The rule a single block creates is named after its action, so it can be found and removed exactly. */
export function nsgRuleName(actionId: string): string {
  return `mdr-block-${actionId}`.slice(0, azureNsg.rules.nameMax);
}

/** The n-th rule of a bulk whose first action is `actionId` (`mdr-bulk-<id>-<n>`). */
export function nsgBulkRuleName(actionId: string, n: number): string {
  const suffix = `-${n}`;
  return `mdr-bulk-${actionId}`.slice(0, azureNsg.rules.nameMax - suffix.length) + suffix;
}
