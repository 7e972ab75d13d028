/**
 * A POP3 session's view of one mailbox in PostgreSQL: the messages present
 * at login, their sizes and ids in memory (a few dozen octets each), their
 * bytes read from the database a chunk at a time when asked. Small messages
 * are read ahead: the one asked for and the small ones after it come in one
 * query, so that a client retrieving the mailbox message by message pays
 * one round trip per batch instead of one per message.
 *
 * @module
 */

import type { Maildrop } from "../store.ts";

/** One message as the maildrop keeps it. */
export interface MaildropRow {
  /** The row's key in `mail_messages`. */
  key: string;
  /** The trace id (POP3 UIDL). */
  id: string;
  /** Octets a POP3 client sees. */
  size: number;
  /** Octets in stored form, terminator included. */
  storedLength: number;
}

/** How the maildrop reads stored bytes. */
export interface MaildropReader {
  /** Yields one message's stored bytes, terminator included, a piece at a time. */
  read(key: string, storedLength: number): AsyncIterable<Uint8Array>;
  /** Resolves to the whole stored bytes of each of several small messages, by key. */
  readSmall(keys: string[]): Promise<Map<string, Uint8Array>>;
}

/** A message up to this many stored octets is read whole, and may be read ahead. */
export const SMALL_MESSAGE = 16 * 1024;
/** Most octets read ahead at once... */
const READ_AHEAD_OCTETS = 256 * 1024;
/** ... and most messages. */
const READ_AHEAD_COUNT = 64;

/** A maildrop over rows read at login. */
export class PostgresMaildrop implements Maildrop {
  #rows: MaildropRow[] | undefined;
  readonly count: number;
  readonly totalSize: number;
  readonly #reader: MaildropReader;
  /** Small messages read ahead and not yet asked for, by message number: at most two reads' worth. */
  #ahead = new Map<number, Promise<Uint8Array | undefined>>();
  /** The message after the last one read ahead. */
  #next = 0;

  /**
   * @param rows the messages, in order
   * @param reader reads their bytes
   */
  constructor(rows: MaildropRow[], reader: MaildropReader) {
    this.#rows = rows;
    this.#reader = reader;
    this.count = rows.length;
    this.totalSize = rows.reduce((sum, row) => sum + row.size, 0);
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  size(i: number): number {
    return this.#row(i).size;
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  id(i: number): string {
    return this.#row(i).id;
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  storedLength(i: number): number {
    return this.#row(i).storedLength;
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  read(i: number): AsyncIterable<Uint8Array> {
    const row = this.#row(i);
    if (row.storedLength > SMALL_MESSAGE) return this.#reader.read(row.key, row.storedLength);
    return this.#readSmall(i);
  }

  /**
   * Yields small message `i`, from what was read ahead, or reading it and
   * the small ones after it. While a client goes through the messages in
   * order, the next batch is asked for once half of the current one is
   * used, so that its round trip overlaps the sending of the rest.
   */
  async *#readSmall(i: number): AsyncGenerator<Uint8Array> {
    if (!this.#ahead.has(i)) {
      this.#ahead.clear();
      this.#readAhead(i);
    }
    const bytes = this.#ahead.get(i)!;
    this.#ahead.delete(i);
    if (this.#ahead.size < READ_AHEAD_COUNT / 2 && this.#next < this.count) this.#readAhead(this.#next);
    const found = await bytes;
    if (found === undefined) throw new Error(`Cannot read message ${this.#row(i).id}: it is gone`);
    yield found;
  }

  /** Starts one read of message `i` and the small messages after it, within the read-ahead caps; none when `i` is large. */
  #readAhead(i: number): void {
    const numbers: number[] = [];
    let octets = 0;
    for (let n = i; n < this.count && numbers.length < READ_AHEAD_COUNT; n++) {
      const { storedLength } = this.#row(n);
      if (storedLength > SMALL_MESSAGE || (numbers.length > 0 && octets + storedLength > READ_AHEAD_OCTETS)) break;
      numbers.push(n);
      octets += storedLength;
    }
    if (numbers.length === 0) return;
    this.#next = i + numbers.length;
    const read = this.#reader.readSmall(numbers.map((n) => this.#row(n).key));
    // A failed read is reported by whichever read asks for one of its messages; unasked, it is dropped.
    read.catch(() => {});
    for (const n of numbers) this.#ahead.set(n, read.then((found) => found.get(this.#row(n).key)));
  }

  /** Forgets the rows and what was read ahead. */
  close(): void {
    this.#rows = undefined;
    this.#ahead.clear();
  }

  #row(i: number): MaildropRow {
    if (this.#rows === undefined) throw new Error("Cannot use a closed maildrop");
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`Cannot find message ${i}: the maildrop has ${this.count}`);
    }
    return this.#rows[i];
  }
}
