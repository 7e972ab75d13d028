/**
 * The unique ids of a maildrop's records, made unique on the way in by the
 * rule of `uniqueIds`, without a string or an object per id.
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
 * Most of the hash set's slots in use: high enough that it costs 10 to 20
 * octets per id (it is the largest part of a login's passing memory), low
 * enough for short probes.
 */
const MAX_LOAD = 0.8;
/** Octets read at once from an index file when an id there is wanted: UIDL reads them in order. */
const WINDOW = 16 * 1024;
/** FNV-1a's 32-bit parameters. */
const OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Reads up to `buf.length` octets from `position` into `buf`; returns how
 * many, 0 at the end.
 */
export type ReadAt = (buf: Uint8Array, position: number) => number;

/**
 * Record ids in file order, ASCII (as trace and fallback ids are). Ids
 * added with `addFiled` stay in the index file they were read from: only
 * where each starts there and its length are kept, 5 octets per id instead
 * of its 20 or so, and an id is read back (through a small window, which a
 * UIDL listing's reads in order mostly hit) when asked for. Ids added with
 * `add`, and ids that needed a suffix, are kept in memory. A hash set,
 * dropped by `seal`, applies `uniqueIds` while ids are added.
 */
export class RecordIds {
  #count = 0;
  /** Ids before this one are in the index file, unless in `#suffixed`. */
  #filed = 0;
  /** Length of each id. */
  #lengths: Uint8Array;
  /** Where each id starts: in the index file for filed ids, else in `#memory`. */
  #starts: Uint32Array | Float64Array;
  /** Where in `#memory` each filed id that needed a suffix starts. */
  #suffixed = new Map<number, number>();
  #memory = new Uint8Array(64);
  #memoryUsed = 0;
  /** Open-addressing hash set: 0 is empty, else id index + 1; `null` once sealed. */
  #slots: Int32Array | null;
  /** The hash of the id in each slot, compared before the ids themselves. */
  #slotHashes: Uint32Array | null;
  readonly #read: ReadAt | undefined;
  #window = new Uint8Array(0);
  #windowStart = 0;
  #windowEnd = 0;
  /** A candidate id with a suffix, while it is checked. */
  readonly #scratch = new Uint8Array(MAX_ID + 24);

  /**
   * @param capacity The expected number of ids (it grows as needed).
   * @param index Reads the index file that `addFiled` ids come from, and
   *   its length; none when all ids are added with `add`.
   */
  constructor(capacity = 16, index?: { read: ReadAt; length: number }) {
    const ids = Math.max(16, capacity);
    this.#read = index?.read;
    this.#lengths = new Uint8Array(ids);
    this.#starts = (index?.length ?? 0) < 2 ** 32 ? new Uint32Array(ids) : new Float64Array(ids);
    this.#slots = new Int32Array(tableSize(ids));
    this.#slotHashes = new Uint32Array(this.#slots.length);
  }

  /** Number of ids. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds the next id, found at `bytes[start, end)` of the index file,
   * where `bytes[start]` is at offset `position`: only its place is kept.
   * All ids from the index come before any added with `add`.
   *
   * @returns Whether it was added: see `add`.
   * @throws {Error} When an id was added with `add` before, or the set is sealed.
   */
  addFiled(bytes: Uint8Array, start: number, end: number, position: number): boolean {
    if (this.#filed !== this.#count) throw new Error("Cannot add an id from the index after other ids");
    if (this.#read === undefined) throw new Error("Cannot add an id from the index: no index was given");
    const h = checkedHash(bytes, start, end);
    if (h === null) return false;
    const i = this.#reserve();
    if (!this.#isTaken(h, bytes, start, end)) {
      this.#starts[i] = position;
      this.#lengths[i] = end - start;
      this.#filed++;
      this.#insert(h);
      return true;
    }
    this.#filed++;
    this.#suffixed.set(i, this.#addSuffixed(bytes, start, end, i));
    return true;
  }

  /**
   * Adds the next id, given as `bytes[start, end)`, which is copied. Like
   * `uniqueIds`, an id seen before gets the suffix ".2", ".3", … after its
   * first 60 characters, until it is new.
   *
   * @returns Whether it was added: not when it is not an id a record can
   *   carry, 1 to 70 of `[\x21-\x3a\x3c-\x7e]` (a trace or fallback id).
   * @throws {Error} When the set has been sealed.
   */
  add(bytes: Uint8Array, start: number, end: number): boolean {
    const h = checkedHash(bytes, start, end);
    if (h === null) return false;
    const i = this.#reserve();
    if (!this.#isTaken(h, bytes, start, end)) {
      this.#starts[i] = this.#remember(bytes.subarray(start, end));
      this.#lengths[i] = end - start;
      this.#insert(h);
      return true;
    }
    this.#starts[i] = this.#addSuffixed(bytes, start, end, i);
    return true;
  }

  /**
   * The id at `index` (0-based, below `count`).
   *
   * @throws {Error} When an id read back from the index is no longer one a
   *   record can carry: the index was changed in place, which writers never
   *   do (they append, or replace the file by renaming a new one over it).
   */
  get(index: number): string {
    const bytes = this.#bytesOf(index);
    if (checkedHash(bytes, 0, bytes.length) === null) {
      throw new Error(`Cannot read id ${index + 1}: the index changed under the maildrop`);
    }
    return decoder.decode(bytes);
  }

  /** Drops the hash set: no id can be added afterwards. */
  seal(): void {
    if (this.#slots !== null) freeNow(this.#slots);
    if (this.#slotHashes !== null) freeNow(this.#slotHashes);
    this.#slots = null;
    this.#slotHashes = null;
  }

  /** Seals and frees the arrays now, not at the next garbage collection: no ids are left. */
  release(): void {
    this.seal();
    for (const array of [this.#lengths, this.#starts, this.#memory, this.#window]) freeNow(array);
    this.#suffixed.clear();
    this.#count = 0;
    this.#filed = 0;
  }

  /** The bytes of id `i`, valid until the next call. */
  #bytesOf(i: number): Uint8Array {
    const length = this.#lengths[i];
    const inMemory = i < this.#filed ? this.#suffixed.get(i) : this.#starts[i];
    if (inMemory !== undefined) return this.#memory.subarray(inMemory, inMemory + length);
    return this.#fromIndex(this.#starts[i], length);
  }

  /** `length` octets of the index file at `position`, read through the window. */
  #fromIndex(position: number, length: number): Uint8Array {
    if (position < this.#windowStart || position + length > this.#windowEnd) {
      if (this.#window.length === 0) this.#window = new Uint8Array(WINDOW);
      let n = 0;
      while (n < length) {
        const got = this.#read!(this.#window.subarray(n), position + n);
        if (got === 0) throw new Error(`Cannot read an id at ${position} of the index: it ends there`);
        n += got;
      }
      this.#windowStart = position;
      this.#windowEnd = position + n;
    }
    return this.#window.subarray(position - this.#windowStart, position - this.#windowStart + length);
  }

  /**
   * Finds the first "<first 60 characters>.n" (n = 2, 3, …) not taken,
   * stores it in memory as id `i` and returns where it starts there.
   */
  #addSuffixed(bytes: Uint8Array, start: number, end: number, i: number): number {
    const keep = Math.min(end - start, SUFFIX_KEEP);
    const candidate = this.#scratch;
    candidate.set(bytes.subarray(start, start + keep));
    for (let n = 2;; n++) {
      const { written } = encoder.encodeInto(`.${n}`, candidate.subarray(keep));
      // A valid id's first characters, ".", digits: itself valid, so the hash is never null.
      const h = checkedHash(candidate, 0, keep + written)!;
      if (this.#isTaken(h, candidate, 0, keep + written)) continue;
      this.#lengths[i] = keep + written;
      this.#insert(h);
      return this.#remember(candidate.subarray(0, keep + written));
    }
  }

  /** Whether an id equal to `bytes[start, end)`, whose hash is `h`, is in the set. */
  #isTaken(h: number, bytes: Uint8Array, start: number, end: number): boolean {
    const slots = this.#liveSlots();
    const hashes = this.#slotHashes!;
    const mask = slots.length - 1;
    for (let slot = h & mask; slots[slot] !== 0; slot = (slot + 1) & mask) {
      if (hashes[slot] === h && equalBytes(this.#bytesOf(slots[slot] - 1), bytes, start, end)) return true;
    }
    return false;
  }

  /** Makes room for one more id and returns its index; `count` counts it from now on. */
  #reserve(): number {
    if (this.#count === this.#lengths.length) {
      this.#lengths = grown(this.#lengths, this.#count + 1);
      this.#starts = grown(this.#starts, this.#count + 1);
    }
    return this.#count++;
  }

  /** Puts the newest id, whose hash is `h`, into the hash set. */
  #insert(h: number): void {
    const slots = this.#liveSlots();
    const hashes = this.#slotHashes!;
    const mask = slots.length - 1;
    let slot = h & mask;
    while (slots[slot] !== 0) slot = (slot + 1) & mask;
    slots[slot] = this.#count;
    hashes[slot] = h;
    if (this.#count > slots.length * MAX_LOAD) this.#rehash();
  }

  /** Copies `bytes` into memory; returns where they start there. */
  #remember(bytes: Uint8Array): number {
    if (this.#memoryUsed + bytes.length > this.#memory.length) {
      this.#memory = grown(this.#memory, this.#memoryUsed + bytes.length);
    }
    this.#memory.set(bytes, this.#memoryUsed);
    this.#memoryUsed += bytes.length;
    return this.#memoryUsed - bytes.length;
  }

  /** Rebuilds the hash set at twice the size. */
  #rehash(): void {
    const slots = this.#liveSlots();
    const hashes = this.#slotHashes!;
    const bigger = new Int32Array(slots.length * 2);
    const biggerHashes = new Uint32Array(bigger.length);
    const mask = bigger.length - 1;
    for (let from = 0; from < slots.length; from++) {
      if (slots[from] === 0) continue;
      let slot = hashes[from] & mask;
      while (bigger[slot] !== 0) slot = (slot + 1) & mask;
      bigger[slot] = slots[from];
      biggerHashes[slot] = hashes[from];
    }
    this.#slots = bigger;
    this.#slotHashes = biggerHashes;
  }

  /** The hash set's slots (beside `#slotHashes`), which must not be sealed. */
  #liveSlots(): Int32Array {
    if (this.#slots === null) throw new Error("Cannot add an id: the id set is sealed");
    return this.#slots;
  }
}

/** FNV-1a of `bytes[start, end)` when it is an id a record can carry, else `null`. */
function checkedHash(bytes: Uint8Array, start: number, end: number): number | null {
  if (end - start < 1 || end - start > MAX_ID) return null;
  let h = OFFSET_BASIS;
  for (let k = start; k < end; k++) {
    const byte = bytes[k];
    if (byte < 0x21 || byte > 0x7e || byte === 0x3b) return null;
    h = Math.imul(h ^ byte, FNV_PRIME);
  }
  return h >>> 0;
}

/** Whether `a` equals `b[start, end)`. */
function equalBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let k = 0; k < a.length; k++) {
    if (a[k] !== b[start + k]) return false;
  }
  return true;
}

/** A power of two large enough for `ids` at most `MAX_LOAD`. */
function tableSize(ids: number): number {
  let size = 32;
  while (size * MAX_LOAD < ids) size *= 2;
  return size;
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
