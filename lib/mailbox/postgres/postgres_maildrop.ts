/**
 * A POP3 session's view of one mailbox in PostgreSQL: the messages present
 * at login, their sizes and ids in memory (a few dozen octets each), their
 * bytes read from the database a chunk at a time when asked.
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

/** A maildrop over rows read at login. */
export class PostgresMaildrop implements Maildrop {
  #rows: MaildropRow[] | undefined;
  readonly count: number;
  readonly totalSize: number;
  readonly #read: (key: string, storedLength: number) => AsyncIterable<Uint8Array>;

  /**
   * @param rows the messages, in order
   * @param read yields a message's stored bytes, terminator included
   */
  constructor(rows: MaildropRow[], read: (key: string, storedLength: number) => AsyncIterable<Uint8Array>) {
    this.#rows = rows;
    this.#read = read;
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
    return this.#read(row.key, row.storedLength);
  }

  /** Forgets the rows. */
  close(): void {
    this.#rows = undefined;
  }

  #row(i: number): MaildropRow {
    if (this.#rows === undefined) throw new Error("Cannot use a closed maildrop");
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`Cannot find message ${i}: the maildrop has ${this.count}`);
    }
    return this.#rows[i];
  }
}
