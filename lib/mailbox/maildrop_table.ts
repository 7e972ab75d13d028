/**
 * What a `Maildrop` keeps per record, in typed arrays rather than an object
 * per record, and the part of a `Maildrop` common to both stores.
 *
 * @module
 */

import { freeNow, grown, type ReadAt, RecordIds } from "./record_ids.ts";
import type { Maildrop, MailRecord } from "./store.ts";

/** Chunk size of `read`, as in the file store. */
const READ_CHUNK = 64 * 1024;

const encoder = new TextEncoder();

/**
 * The complete records of a mailbox in file order: where each ends, its
 * size and its unique id. Records follow each other from offset 0 (as
 * `RecordScanner` finds them), so record `i` starts where `i - 1` ends.
 */
export class RecordTable {
  /** End offset of each record. */
  #ends: Uint32Array | Float64Array;
  /** Size of each record as POP3 shows it. */
  #sizes: Uint32Array | Float64Array;
  /** Largest end offset the arrays can hold. */
  readonly #maxEnd: number;
  readonly #ids: RecordIds;
  #count = 0;
  #totalSize = 0;

  /**
   * @param capacity The expected number of records (it grows as needed).
   * @param maxEnd The largest end offset a record may have: below 4 GiB,
   *   offsets and sizes take 4 octets per record instead of 8.
   * @param index The index file that `addFromIndex` records come from,
   *   which must stay readable until `release`.
   */
  constructor(capacity = 16, maxEnd = Number.MAX_SAFE_INTEGER, index?: { read: ReadAt; length: number }) {
    const records = Math.max(16, capacity);
    const Numbers = maxEnd < 2 ** 32 ? Uint32Array : Float64Array;
    this.#maxEnd = maxEnd;
    this.#ends = new Numbers(records);
    this.#sizes = new Numbers(records);
    this.#ids = new RecordIds(records, index);
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
   *   or `id` is not an id a record can carry (see `RecordIds.add`).
   */
  add(offset: number, storedLength: number, size: number, id: string): void {
    const bytes = encoder.encode(id);
    this.#check(offset, storedLength);
    if (!this.#ids.add(bytes, 0, bytes.length)) {
      throw new RangeError(`Cannot add a record with id ${JSON.stringify(id)}`);
    }
    this.#push(offset, storedLength, size);
  }

  /**
   * Appends the next record, as `add` does, from a line of the index: its
   * id is `bytes[idStart, idEnd)`, which starts at `idPosition` in the
   * index file, and is read from there when wanted.
   *
   * @returns Whether it was added: not when the id is not one a record can carry.
   */
  addFromIndex(
    offset: number,
    storedLength: number,
    size: number,
    bytes: Uint8Array,
    idStart: number,
    idEnd: number,
    idPosition: number,
  ): boolean {
    this.#check(offset, storedLength);
    if (!this.#ids.addFiled(bytes, idStart, idEnd, idPosition)) return false;
    this.#push(offset, storedLength, size);
    return true;
  }

  /** Throws unless a record at `offset` can come next. */
  #check(offset: number, storedLength: number): void {
    if (offset !== this.end) {
      throw new RangeError(`Cannot add a record at ${offset}: the last one ends at ${this.end}`);
    }
    if (offset + storedLength > this.#maxEnd) {
      throw new RangeError(`Cannot add a record ending at ${offset + storedLength}: the table ends at ${this.#maxEnd}`);
    }
  }

  /** Stores the next record's place and size. */
  #push(offset: number, storedLength: number, size: number): void {
    if (this.#count === this.#ends.length) {
      this.#ends = grown(this.#ends, this.#count + 1);
      this.#sizes = grown(this.#sizes, this.#count + 1);
    }
    this.#ends[this.#count] = offset + storedLength;
    this.#sizes[this.#count] = size;
    this.#count++;
    this.#totalSize += size;
  }

  /** Ends adding: frees what only adding needs. */
  seal(): void {
    this.#ids.seal();
  }

  /**
   * Frees the arrays now rather than at the next garbage collection, which
   * may come only after the next login has allocated its own; the table is
   * empty afterwards.
   */
  release(): void {
    freeNow(this.#ends);
    freeNow(this.#sizes);
    this.#ids.release();
    this.#count = 0;
    this.#totalSize = 0;
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

  /** Number of records. */
  readonly count: number;
  /** Sum of the records' sizes. */
  readonly totalSize: number;

  /** @param table The records, sealed here. */
  constructor(table: RecordTable) {
    table.seal();
    this.#table = table;
    this.count = table.count;
    this.totalSize = table.totalSize;
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
   * The stored bytes of record `i` in chunks of at most 64 KiB, each valid
   * until the maildrop yields the next (copy one to keep it).
   *
   * @throws {RangeError} When there is no record `i`.
   * @throws {Error} When the maildrop is closed.
   */
  read(i: number): Iterable<Uint8Array> {
    const record = this.#checked(i);
    return this.readRange(this.#table.offset(record), this.#table.storedLength(record));
  }

  /** Releases what the maildrop holds, its listing included; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
    this.#table.release();
  }

  /** Yields `length` stored bytes from `offset` in chunks of at most 64 KiB, each valid until the next. */
  protected abstract readRange(offset: number, length: number): Iterable<Uint8Array>;

  /** Frees the subclass's resources, once. */
  protected abstract release(): void;

  /** `i` when it numbers a record, else a `RangeError`; an `Error` once closed. */
  #checked(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`Cannot use record ${i}: the maildrop holds ${this.count}`);
    }
    if (this.#closed) throw new Error("Cannot use a record: the maildrop is closed");
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

  protected *readRange(offset: number, length: number): Generator<Uint8Array> {
    for (let at = offset; at < offset + length; at += READ_CHUNK) {
      yield this.#bytes.subarray(at, Math.min(at + READ_CHUNK, offset + length));
    }
  }

  protected release(): void {
    this.#bytes = new Uint8Array();
  }
}

/** A table of the records a store lists (their ids already unique), for a maildrop over bytes in memory. */
export function tableOfRecords(
  records: readonly Pick<MailRecord, "offset" | "storedLength" | "size" | "id">[],
): RecordTable {
  const table = new RecordTable(records.length);
  for (const { offset, storedLength, size, id } of records) table.add(offset, storedLength, size, id);
  return table;
}
