// The rule numbers and priorities a firewall hands out: the lowest free one in a range.

export interface NumberRange {
  min: number;
  max: number;
}

/** The lowest number of `range` that `taken` does not hold; undefined when every one is taken. */
export function lowestFree(range: NumberRange, taken: { has(n: number): boolean }): number | undefined {
  for (let n = range.min; n <= range.max; n++) {
    if (!taken.has(n)) return n;
  }
  return undefined;
}
