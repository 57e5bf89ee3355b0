// What the page, the API's lists, the OpenAPI document and the metrics know of a kind of action:
// plain data and pure functions, free of server code, so the page's client components can use it.
// Each kind's folder has its own (meta.ts); the catalog (catalog.ts) gathers them.

/** The fields of an action (row or API shape) an undo decision reads. */
export interface RevertibleFacts {
  type: string;
  status: string;
  active: boolean;
  revertedBy: string | null;
  parameters: Record<string, unknown>;
  result: Record<string, unknown> | null;
}

/** The route a forward kind is asked through, for the OpenAPI document. */
export interface KindRoute {
  path: string;
  summary: string;
  /** The name of its request body's schema among the document's components. */
  body: string;
  /** A list of targets in place of the single one: its schema's name and its field. */
  bulk?: { schema: string; field: string };
}

/** Undoing a forward kind: the reverse kind's type, and what the page's Undo button says. */
export interface KindUndo<T extends string = string> {
  type: T;
  label: string;
  consequence: string;
  /** Why this action can never be undone (checked before its state), or null. */
  refuses?: (action: RevertibleFacts) => string | null;
  /** Why this action, although in effect, cannot be undone, or null. */
  refusesInEffect?: (action: RevertibleFacts) => string | null;
}

/** One kind of action as the page and the API's documents see it. */
export interface KindMeta<T extends string = string> {
  type: T;
  /** What the page calls it. */
  label: string;
  /** Forward kinds: the route they are asked through. Reverse kinds are asked through the revert route. */
  route?: KindRoute;
  /** How it is undone; reverse kinds are undone by running their forward kind again. */
  undo?: KindUndo;
  /** Why a kind that is neither undone nor an undo cannot be reverted. */
  notUndoable?: string;
  /** The metrics' count of targets it holds now (contained_now), and whether only unexpired ones count. */
  contained?: { key: "isolated_endpoints" | "active_ip_blocks" | "disabled_users"; unexpired?: boolean };
}

/** The type names of a folder's kinds, as a tuple of literal types. */
export type TypesOf<K extends readonly KindMeta[]> = { readonly [I in keyof K]: K[I]["type"] };

/**
 * The kinds of one folder (a forward kind, the kind that undoes it, ...), their type names kept as
 * literal types so that the catalog can make the union of action types from them.
 */
export function kindFolder<const K extends readonly KindMeta[]>(...kinds: K): { kinds: K; types: TypesOf<K> } {
  return { kinds, types: kinds.map((k) => k.type) as unknown as TypesOf<K> };
}
