// Identifiers shaped like the real ones, so the UI, logs and schema validation see what they
// would see against a real tenant.

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Deterministic bytes from a string (FNV-1a seeded xorshift): seed ids must not change between runs. */
function seededBytes(seed: string, length: number): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    h ^= h << 13;
    h ^= h >>> 17;
    h ^= h << 5;
    h >>>= 0;
    out[i] = h & 0xff;
  }
  return out;
}

/** A stable lower-case hex id (a Defender machine id is 40 hex digits) for a generated device. */
export function seededHexId(seed: string, bytes = 20): string {
  return Array.from(seededBytes(seed, bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

// Real Exchange ids share a long per-mailbox prefix and end in a short per-item part; keeping that
// shape makes two copies of one email in different mailboxes visibly different ids.
function messageId(mailboxPart: Uint8Array, itemPart: Uint8Array): string {
  return `AAMkA${base64url(mailboxPart)}BGAAAAAA${base64url(itemPart)}AAA=`;
}

/** A stable Graph message id for seeded mail. */
export function seededGraphMessageId(mailbox: string, item: string): string {
  return messageId(seededBytes(`mailbox:${mailbox.toLowerCase()}`, 36), seededBytes(`item:${mailbox}:${item}`, 45));
}

/** A fresh Graph message id in the same mailbox (Graph gives a moved message a new id). */
export function newGraphMessageId(mailbox: string): string {
  return messageId(seededBytes(`mailbox:${mailbox.toLowerCase()}`, 36), randomBytes(45));
}

export function newGuid(): string {
  return crypto.randomUUID();
}
