/**
 * What a `Maildrop` keeps per record, in typed arrays rather than an object
 * per record, and the part of a `Maildrop` common to both stores.
 *
 * @module
 */

import { grown, PackedIds } from "./packed_ids.ts";
import { fallbackId } from "./record.ts";
import { scanBytes } from "./scanner.ts";
import type { Maildrop } from "./store.ts";

/** Chunk size of `read`, as in the file store. */
const READ_CHUNK = 64 * 1024;

const encoder = new TextEncoder();

/**
 * The complete records of a mailbox in file order: where each ends, its
 * size and its unique id. Records follow each other from offset 0 (as
 * `RecordScanner` finds them), so record `i` starts where `i - 1` ends.
 */
export class RecordTable {
  /** End offset of each record: 8 octets per record. */
  #ends: Float64Array;
  /** Size of each record as POP3 shows it: 8 octets per record. */
  #sizes: Float64Array;
  readonly #ids: PackedIds;
  #count = 0;
  #totalSize = 0;

  /** @param capacity The expected number of records (it grows as needed). */
  constructor(capacity = 16) {
    const records = Math.max(16, capacity);
    this.#ends = new Float64Array(records);
    this.#sizes = new Float64Array(records);
    this.#ids = new PackedIds(records);
  }

  /** Number of records. */
  get count(): number {
    return this.#count;
  }

  /** Sum of the records' sizes. */
  get totalSize(): number {
    return this.#totalSize;
  }

  /** Offset just past the last record (0 when empty). */
  get end(): number {
    return this.#count === 0 ? 0 : this.#ends[this.#count - 1];
  }

  /**
   * Appends the next record.
   *
   * @param id The id the record carries, before `uniqueIds`: a repeated one
   *   gets the same suffix as in `list`.
   * @throws {RangeError} When `offset` is not where the last record ended,
   *   or `id` is not an id a record can carry (see `PackedIds.add`).
   */
  add(offset: number, storedLength: number, size: number, id: string): void {
    const bytes = encoder.encode(id);
    if (!this.addBytes(offset, storedLength, size, bytes, 0, bytes.length)) {
      throw new RangeError(`Cannot add a record with id ${JSON.stringify(id)}`);
    }
  }

  /**
   * Appends the next record, as `add` does, its id given as `bytes[idStart, idEnd)`.
   *
   * @returns Whether it was added: not when the id is not one a record can carry.
   */
  addBytes(
    offset: number,
    storedLength: number,
    size: number,
    bytes: Uint8Array,
    idStart: number,
    idEnd: number,
  ): boolean {
    if (offset !== this.end) {
      throw new RangeError(`Cannot add a record at ${offset}: the last one ends at ${this.end}`);
    }
    if (!this.#ids.add(bytes, idStart, idEnd)) return false;
    if (this.#count === this.#ends.length) {
      this.#ends = grown(this.#ends, this.#count + 1);
      this.#sizes = grown(this.#sizes, this.#count + 1);
    }
    this.#ends[this.#count] = offset + storedLength;
    this.#sizes[this.#count] = size;
    this.#count++;
    this.#totalSize += size;
    return true;
  }

  /** Ends adding: frees what only adding needs. */
  seal(): void {
    this.#ids.seal();
  }

  /** Offset of record `i` in the mailbox. */
  offset(i: number): number {
    return i === 0 ? 0 : this.#ends[i - 1];
  }

  /** Stored length of record `i`. */
  storedLength(i: number): number {
    return this.#ends[i] - this.offset(i);
  }

  /** Size of record `i` as POP3 shows it. */
  size(i: number): number {
    return this.#sizes[i];
  }

  /** Unique id of record `i`. */
  id(i: number): string {
    return this.#ids.get(i);
  }
}

/**
 * A `Maildrop` over a sealed `RecordTable`; subclasses supply the bytes.
 * Record numbers are checked: a bad one throws a `RangeError`.
 */
export abstract class TableMaildrop implements Maildrop {
  readonly #table: RecordTable;
  #closed = false;

  /** @param table The records, sealed here. */
  constructor(table: RecordTable) {
    table.seal();
    this.#table = table;
  }

  /** Number of records. */
  get count(): number {
    return this.#table.count;
  }

  /** Sum of the records' sizes. */
  get totalSize(): number {
    return this.#table.totalSize;
  }

  /** Size of record `i` as POP3 shows it. */
  size(i: number): number {
    return this.#table.size(this.#checked(i));
  }

  /** Unique id of record `i`. */
  id(i: number): string {
    return this.#table.id(this.#checked(i));
  }

  /** Stored length of record `i`. */
  storedLength(i: number): number {
    return this.#table.storedLength(this.#checked(i));
  }

  /**
   * The stored bytes of record `i` in chunks of at most 64 KiB, each a
   * fresh array the caller may keep.
   *
   * @throws {RangeError} When there is no record `i`.
   * @throws {Error} When the maildrop is closed.
   */
  read(i: number): Iterable<Uint8Array> {
    const record = this.#checked(i);
    if (this.#closed) throw new Error("Cannot read a record: the maildrop is closed");
    return this.readRange(this.#table.offset(record), this.#table.storedLength(record));
  }

  /** Releases what the maildrop holds; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
  }

  /** Yields `length` stored bytes from `offset` in fresh chunks of at most 64 KiB. */
  protected abstract readRange(offset: number, length: number): Iterable<Uint8Array>;

  /** Frees the subclass's resources, once. */
  protected abstract release(): void;

  /** `i` when it numbers a record, else a `RangeError`. */
  #checked(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.#table.count) {
      throw new RangeError(`Cannot use record ${i}: the maildrop holds ${this.#table.count}`);
    }
    return i;
  }
}

/** A maildrop over a mailbox held in memory, which must not change while it is open. */
export class BytesMaildrop extends TableMaildrop {
  #bytes: Uint8Array;

  /**
   * @param bytes The mailbox's bytes.
   * @param table Its records, as `tableOfBytes` finds them.
   */
  constructor(bytes: Uint8Array, table: RecordTable) {
    super(table);
    this.#bytes = bytes;
  }

  /** Yields copies of the bytes, so that the caller may keep them. */
  protected *readRange(offset: number, length: number): Generator<Uint8Array> {
    for (let at = offset; at < offset + length; at += READ_CHUNK) {
      yield this.#bytes.slice(at, Math.min(at + READ_CHUNK, offset + length));
    }
  }

  protected release(): void {
    this.#bytes = new Uint8Array();
  }
}

/** The complete records of a mailbox held in memory, with ids as `list` gives them. */
export async function tableOfBytes(bytes: Uint8Array): Promise<RecordTable> {
  const { records } = scanBytes(bytes);
  const table = new RecordTable(records.length);
  for (const { offset, storedLength, size, header } of records) {
    const id = header.id ?? await fallbackId([bytes.subarray(offset, offset + storedLength)]);
    table.add(offset, storedLength, size, id);
  }
  return table;
}
