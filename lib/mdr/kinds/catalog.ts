// The kinds of action, as the page, the API's lists, the OpenAPI document and the metrics know
// them: gathered from each kind's folder (its meta.ts), free of server code. The server's half of
// the registry, with the verbs, is KINDS (index.ts); tests/unit/kinds.test.ts checks both agree.
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { DISABLE_USER } from "@/lib/mdr/kinds/disable-user/meta";
import { ISOLATE_ENDPOINT } from "@/lib/mdr/kinds/isolate-endpoint/meta";
import type { KindMeta, KindRoute } from "@/lib/mdr/kinds/meta";
import { QUARANTINE_EMAIL } from "@/lib/mdr/kinds/quarantine-email/meta";

const FOLDERS = [ISOLATE_ENDPOINT, BLOCK_IP, DISABLE_USER, QUARANTINE_EMAIL] as const;

export const ACTION_TYPES = [
  ...ISOLATE_ENDPOINT.types,
  ...BLOCK_IP.types,
  ...DISABLE_USER.types,
  ...QUARANTINE_EMAIL.types,
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** Every kind's meta, by its type. */
export const KIND_META = Object.fromEntries(
  FOLDERS.flatMap((f) => f.kinds as readonly KindMeta[]).map((k) => [k.type, k]),
) as Record<ActionType, KindMeta<ActionType>>;

/** What the page calls each kind. */
export const TYPE_LABELS = Object.fromEntries(ACTION_TYPES.map((t) => [t, KIND_META[t].label])) as Record<ActionType, string>;

/** The action that undoes each kind; reverse actions themselves are undone by acting again. */
export const REVERSE_OF: Partial<Record<ActionType, ActionType>> = Object.fromEntries(
  ACTION_TYPES.flatMap((t) => (KIND_META[t].undo ? [[t, KIND_META[t].undo.type]] : [])),
);

/** The routes forward kinds are asked through, in the order of the kinds. */
export const KIND_ROUTES: KindRoute[] = ACTION_TYPES.flatMap((t) => KIND_META[t].route ?? []);
