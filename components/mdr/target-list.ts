// A target field that takes one target or a pasted list: what it holds, how the page names a count
// of them, and the API's list errors ("ips.3", "repeats ips.0 (...)") turned into the items' own words.
/** The items of a target field: one per line, or separated by commas or spaces (blanks dropped). */
export function splitTargets(text: string): string[] {
  return text.split(/[\s,;]+/).filter((t) => t !== "");
}

/** How a card counts its targets: "1 address", "12 addresses". */
export interface Noun {
  one: string;
  many: string;
}

export const countOf = (n: number, noun: Noun) => `${n} ${n === 1 ? noun.one : noun.many}`;

/** One item of the list the schema (or the server) refused, with the reason in the page's words. */
export interface ItemError {
  /** Position in the list, 0-based. */
  index: number;
  item: string;
  message: string;
}

/**
 * The error of item `index` of the list field `listField` (`ips`), with its message about other
 * items ("repeats ips.0 (185.1.2.3); each target once") said by position in the list.
 */
export function itemError(
  listField: string,
  index: number,
  items: readonly string[],
  message: string,
  /** Where an index of the list that was checked is in `items` (when some items were left out of it). */
  original: (checked: number) => number = (i) => i,
): ItemError {
  const repeat = new RegExp(`^repeats ${listField}\\.(\\d+) \\(.*\\); each target once$`).exec(message);
  const text = repeat ? `repeats item ${original(Number(repeat[1])) + 1}; each target once` : message;
  const at = original(index);
  return { index: at, item: items[at] ?? `item ${at + 1}`, message: text };
}
