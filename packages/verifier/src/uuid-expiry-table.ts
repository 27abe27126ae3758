/**
 * A set of UUIDs, each with an expiry in whole seconds, in flat typed arrays: 20 bytes a slot
 * (four 32-bit words of the id and one of the expiry), open addressing with linear probing,
 * kept at most half full. A million ids cost ~40 MB (a Map of UUID strings to doubles cost
 * ~500 MB), and a lookup parses the id's hex digits in place: no allocation, O(1).
 *
 * The full 128 bits are stored, so two different ids never collide into one entry. Ids that
 * are not UUIDs (a verifier fed by a non-Gatehouse issuer) live in an ordinary Map beside it.
 */
export class UuidExpiryTable {
  private words: Uint32Array;
  /** Expiry in seconds since the epoch; 0 marks an empty slot. */
  private expiries: Uint32Array;
  private mask: number;
  private count = 0;
  private readonly others = new Map<string, number>();
  // The id being looked up, parsed once per call (instance scratch: no allocation per call).
  private readonly scratch = new Uint32Array(4);

  constructor(initialCapacity = 1024) {
    const capacity = powerOfTwoAtLeast(Math.max(16, initialCapacity));
    this.words = new Uint32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count + this.others.size;
  }

  /** Bytes held by the table's arrays (the ~all of its memory; the Map of non-UUIDs aside). */
  get byteLength(): number {
    return this.words.byteLength + this.expiries.byteLength;
  }

  /** Remembers `id` until `expiresAtSeconds`; a later expiry extends, an earlier never shortens. */
  set(id: string, expiresAtSeconds: number): void {
    const expiry = Math.min(0xffff_ffff, Math.max(1, Math.ceil(expiresAtSeconds)));
    if (!parseUuid(id, this.scratch)) {
      this.others.set(id, Math.max(expiry, this.others.get(id) ?? 0));
      return;
    }
    if ((this.count + 1) * 2 > this.expiries.length) this.resize(this.expiries.length * 2);
    const slot = this.find(this.scratch);
    if (this.expiries[slot] === 0) {
      this.store(slot, this.scratch, expiry);
      this.count++;
    } else if (expiry > this.expiries[slot]) {
      this.expiries[slot] = expiry;
    }
  }

  /** True if `id` is in the table (expired entries stay until prune; callers prune). */
  has(id: string): boolean {
    if (!parseUuid(id, this.scratch)) return this.others.has(id);
    return this.expiries[this.find(this.scratch)] !== 0;
  }

  /** Forgets every entry whose expiry is at or before `nowSeconds`. Returns how many. */
  prune(nowSeconds: number): number {
    let removed = 0;
    for (const [id, expiry] of this.others) if (expiry <= nowSeconds && this.others.delete(id)) removed++;
    let live = 0;
    for (let slot = 0; slot < this.expiries.length; slot++) {
      const expiry = this.expiries[slot];
      if (expiry === 0) continue;
      if (expiry <= nowSeconds) removed++;
      else live++;
    }
    if (live === this.count) return removed;
    // Rebuilding is the simplest deletion that keeps every probe chain intact (no tombstones),
    // and it shrinks the arrays after a burst. It runs off the hot path, every few seconds.
    const oldWords = this.words;
    const oldExpiries = this.expiries;
    const capacity = powerOfTwoAtLeast(Math.max(16, live * 2 + 2));
    this.words = new Uint32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
    this.reinsert(oldWords, oldExpiries, nowSeconds);
    return removed;
  }

  private resize(capacity: number): void {
    const oldWords = this.words;
    const oldExpiries = this.expiries;
    this.words = new Uint32Array(capacity * 4);
    this.expiries = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.count = 0;
    this.reinsert(oldWords, oldExpiries, 0);
  }

  private reinsert(oldWords: Uint32Array, oldExpiries: Uint32Array, nowSeconds: number): void {
    const key = new Uint32Array(4);
    for (let slot = 0; slot < oldExpiries.length; slot++) {
      const expiry = oldExpiries[slot];
      if (expiry === 0 || expiry <= nowSeconds) continue;
      key.set(oldWords.subarray(slot * 4, slot * 4 + 4));
      this.store(this.find(key), key, expiry);
      this.count++;
    }
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: Uint32Array): number {
    const a = key[0];
    const b = key[1];
    const c = key[2];
    const d = key[3];
    let slot = mix(a, b, c, d) & this.mask;
    for (;;) {
      if (this.expiries[slot] === 0) return slot;
      const base = slot * 4;
      if (this.words[base] === a && this.words[base + 1] === b && this.words[base + 2] === c && this.words[base + 3] === d) {
        return slot;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  private store(slot: number, key: Uint32Array, expiry: number): void {
    this.words.set(key, slot * 4);
    this.expiries[slot] = expiry;
  }
}

/** A 32-bit mix of all 128 bits (murmur3's finaliser over a combination of the words). */
function mix(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(c ^ (d >>> 7), 0xc2b2ae35) ^ d;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function powerOfTwoAtLeast(n: number): number {
  let capacity = 1;
  while (capacity < n) capacity *= 2;
  return capacity;
}

/**
 * Parses the canonical 8-4-4-4-12 form (either case) into four words. False for anything else.
 * Hex digits are read one char code at a time: no substring, no regex, no allocation.
 */
function parseUuid(id: string, out: Uint32Array): boolean {
  if (id.length !== 36) return false;
  if (id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
  let position = 0;
  for (let word = 0; word < 4; word++) {
    let value = 0;
    for (let digit = 0; digit < 8; digit++) {
      if (position === 8 || position === 13 || position === 18 || position === 23) position++;
      const nibble = hexValue(id.charCodeAt(position++));
      if (nibble < 0) return false;
      value = (value << 4) | nibble;
    }
    out[word] = value >>> 0;
  }
  return true;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87; // a-f, A-F
  return -1;
}
