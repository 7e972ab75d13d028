/**
 * The ids of a maildrop packed into one byte array, made unique on the way
 * in by the rule of `uniqueIds`, without a string or an object per id.
 *
 * @module
 */

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Characters of an id that `uniqueIds` keeps in front of a ".n" suffix. */
const SUFFIX_KEEP = 60;
/** Longest id a record carries: a trace id (RFC 1939 §7 caps UIDL at 70). */
export const MAX_ID = 70;
/**
 * Most of the hash set's slots in use: high enough that it costs 5 to 10
 * octets per id (it is the largest part of a login's passing memory), low
 * enough for short probes.
 */
const MAX_LOAD = 0.8;
/** FNV-1a's 32-bit parameters. */
const OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Record ids in file order, ASCII (as trace and fallback ids are), held as
 * one growing byte array and the end of each id. A hash set over those
 * bytes applies `uniqueIds` while ids are added; `seal` drops it.
 */
export class PackedIds {
  #bytes: Uint8Array;
  #used = 0;
  /** End of id `i` in `#bytes`; id 0 starts at 0. */
  #ends: Uint32Array;
  #count = 0;
  /** Open-addressing hash set: 0 is empty, else id index + 1. `null` once sealed. */
  #slots: Int32Array | null;

  /**
   * @param capacity The expected number of ids (it grows as needed).
   * @param byteCapacity Their expected octets in all (they grow as needed).
   */
  constructor(capacity = 16, byteCapacity = capacity * 24) {
    const ids = Math.max(16, capacity);
    this.#bytes = new Uint8Array(Math.max(16, byteCapacity));
    this.#ends = new Uint32Array(ids);
    this.#slots = new Int32Array(tableSize(ids));
  }

  /** Number of ids. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds the next id, given as `bytes[start, end)`. Like `uniqueIds`, an id
   * seen before gets the suffix ".2", ".3", … after its first 60
   * characters, until it is new.
   *
   * @param bytes Holds the id the record carries; it is copied.
   * @returns Whether it was added: not when it is not an id a record can
   *   carry, 1 to 70 of `[\x21-\x3a\x3c-\x7e]` (a trace or fallback id).
   * @throws {Error} When the set has been sealed.
   */
  add(bytes: Uint8Array, start: number, end: number): boolean {
    const length = end - start;
    if (length < 1 || length > MAX_ID) return false;
    // The candidate is checked, copied where it would be stored and hashed in one pass.
    this.#reserve(length);
    const buf = this.#bytes;
    const at = this.#used;
    let h = OFFSET_BASIS;
    for (let k = 0; k < length; k++) {
      const byte = bytes[start + k];
      if (byte < 0x21 || byte > 0x7e || byte === 0x3b) return false;
      buf[at + k] = byte;
      h = Math.imul(h ^ byte, FNV_PRIME);
    }
    if (this.#claim(h >>> 0, length)) return true;
    const keep = Math.min(length, SUFFIX_KEEP);
    for (let n = 2;; n++) {
      const suffix = encoder.encode(`.${n}`);
      this.#reserve(keep + suffix.length);
      this.#bytes.set(suffix, at + keep);
      if (this.#claim(hash(this.#bytes, at, at + keep + suffix.length), keep + suffix.length)) return true;
    }
  }

  /** The id at `index` (0-based, below `count`), decoded afresh: ids are kept as bytes only. */
  get(index: number): string {
    const start = index === 0 ? 0 : this.#ends[index - 1];
    return decoder.decode(this.#bytes.subarray(start, this.#ends[index]));
  }

  /** Drops the hash set: no id can be added afterwards. */
  seal(): void {
    if (this.#slots !== null) freeNow(this.#slots);
    this.#slots = null;
  }

  /** Seals and frees the arrays now, not at the next garbage collection: no ids are left. */
  release(): void {
    this.seal();
    freeNow(this.#bytes);
    freeNow(this.#ends);
    this.#count = 0;
    this.#used = 0;
  }

  /**
   * Stores the candidate, the `length` bytes after the last id, as the next
   * id unless an equal id is present.
   *
   * @param h The candidate's hash.
   * @returns Whether it was stored.
   */
  #claim(h: number, length: number): boolean {
    const slots = this.#live();
    const mask = slots.length - 1;
    let slot = h & mask;
    for (let entry = slots[slot]; entry !== 0; entry = slots[slot]) {
      if (this.#equals(entry - 1, this.#used, length)) return false;
      slot = (slot + 1) & mask;
    }
    if (this.#count === this.#ends.length) this.#ends = grown(this.#ends, this.#count + 1);
    this.#used += length;
    this.#ends[this.#count++] = this.#used;
    slots[slot] = this.#count;
    if (this.#count > slots.length * MAX_LOAD) this.#rehash();
    return true;
  }

  /** Whether id `index` equals the `length` stored bytes at `from`. */
  #equals(index: number, from: number, length: number): boolean {
    const start = index === 0 ? 0 : this.#ends[index - 1];
    if (this.#ends[index] - start !== length) return false;
    for (let k = 0; k < length; k++) {
      if (this.#bytes[start + k] !== this.#bytes[from + k]) return false;
    }
    return true;
  }

  /** Makes room for `length` bytes after the last id. */
  #reserve(length: number): void {
    if (this.#used + length > this.#bytes.length) this.#bytes = grown(this.#bytes, this.#used + length);
  }

  /** Rebuilds the hash set at twice the size. */
  #rehash(): void {
    const slots = new Int32Array(tableSize(this.#count * 2));
    const mask = slots.length - 1;
    for (let i = 0, start = 0; i < this.#count; start = this.#ends[i++]) {
      let slot = hash(this.#bytes, start, this.#ends[i]) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = i + 1;
    }
    this.#slots = slots;
  }

  /** The hash set, which must not be sealed. */
  #live(): Int32Array {
    if (this.#slots === null) throw new Error("Cannot add an id: the id set is sealed");
    return this.#slots;
  }
}

/** A power of two large enough for `ids` at most `MAX_LOAD`. */
function tableSize(ids: number): number {
  let size = 32;
  while (size * MAX_LOAD < ids) size *= 2;
  return size;
}

/** FNV-1a over `bytes[start, end)`. */
function hash(bytes: Uint8Array, start: number, end: number): number {
  let h = OFFSET_BASIS;
  for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k], FNV_PRIME);
  return h >>> 0;
}

/** A copy of `array` with room for at least `needed` elements (doubling). */
export function grown<T extends Uint8Array | Uint32Array | Float64Array>(array: T, needed: number): T {
  let length = Math.max(16, array.length * 2);
  while (length < needed) length *= 2;
  const bigger = new (array.constructor as new (length: number) => T)(length);
  bigger.set(array);
  return bigger;
}

/**
 * Frees an array's memory at once, not at the next garbage collection (the
 * array is empty afterwards): a big listing's arrays, left to the collector,
 * may outlive the next session's.
 */
export function freeNow(array: Uint8Array | Int32Array | Uint32Array | Float64Array): void {
  (array.buffer as ArrayBuffer).transfer(0);
}
