/**
 * A POP3 session's view of one mailbox in PostgreSQL: the messages present
 * at login, their sizes and ids in memory (a listing of typed arrays),
 * their bytes read from the database when asked. Small messages are read
 * ahead: the one asked for and the small ones after it come in one query,
 * into one buffer, so that a client retrieving the mailbox message by
 * message pays one round trip per batch instead of one per message.
 *
 * @module
 */

import type { Maildrop } from "../store.ts";
import type { MaildropListing } from "./maildrop_listing.ts";

/** How the maildrop reads stored bytes. */
export interface MaildropReader {
  /** Yields one message's stored bytes, terminator included, a piece at a time, each valid until the next. */
  read(key: number, storedLength: number): AsyncIterable<Uint8Array>;
  /**
   * Copies the whole stored bytes of several small messages into `into`,
   * one after another; resolves to each one's length, -1 for one that is gone.
   */
  readSmall(keys: number[], into: Uint8Array): Promise<number[]>;
}

/** A message up to this many stored octets is read whole, and may be read ahead. */
export const SMALL_MESSAGE = 16 * 1024;
/** Most octets read ahead at once... */
const READ_AHEAD_OCTETS = 512 * 1024;
/** ... and most messages: each read costs a round trip and a statement, so fewer, larger reads cost less. */
const READ_AHEAD_COUNT = 128;

/**
 * Small messages read together into one buffer. The buffer is freed at
 * once (not at some later garbage collection) when no message of the batch
 * is waiting to be asked for or being read.
 */
class Batch {
  /** The number of its first message in the maildrop. */
  readonly first: number;
  /** The batch's messages, each a view of the buffer, or undefined for one that is gone; once read. */
  readonly messages: Promise<(Uint8Array | undefined)[]>;
  /** Messages read ahead and not yet asked for, plus reads in progress. */
  users: number;
  #buffer: ArrayBuffer;

  /**
   * Starts reading the messages.
   *
   * @param first the number of the first one in the maildrop
   * @param keys their keys, in order
   * @param storedLengths their stored lengths, as listed
   * @param reader where to read them
   */
  constructor(first: number, keys: number[], storedLengths: number[], reader: MaildropReader) {
    this.first = first;
    const buffer = new Uint8Array(storedLengths.reduce((sum, n) => sum + n, 0));
    this.#buffer = buffer.buffer;
    this.users = keys.length;
    this.messages = reader.readSmall(keys, buffer).then((lengths) => {
      let at = 0;
      return lengths.map((length, i) => {
        if (length !== storedLengths[i]) return undefined;
        at += length;
        return buffer.subarray(at - length, at);
      });
    });
    // A failed read is reported by whichever read asks for one of its messages; unasked, it is dropped.
    this.messages.catch(() => {});
  }

  /** One message of the batch is no longer waiting or being read; the last one frees the buffer. */
  release(): void {
    if (--this.users === 0) this.messages.finally(() => this.#buffer.transfer(0)).catch(() => {});
  }
}

/** A maildrop over a listing made at login. */
export class PostgresMaildrop implements Maildrop {
  #listing: MaildropListing | undefined;
  readonly count: number;
  readonly totalSize: number;
  readonly #reader: MaildropReader;
  /** Small messages read ahead and not yet asked for, by message number: at most three reads' worth. */
  #ahead = new Map<number, Batch>();
  /** The message after the last one read ahead. */
  #next = 0;

  /**
   * @param listing the messages, in order
   * @param reader reads their bytes
   */
  constructor(listing: MaildropListing, reader: MaildropReader) {
    this.#listing = listing;
    this.#reader = reader;
    this.count = listing.count;
    this.totalSize = listing.sizes.reduce((sum, size) => sum + size, 0);
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  size(i: number): number {
    return this.#open(i).sizes[i];
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  id(i: number): string {
    return this.#open(i).id(i);
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  storedLength(i: number): number {
    return this.#open(i).storedLengths[i];
  }

  /** @throws {RangeError} when `i` is not a message number 0..count-1 */
  read(i: number): AsyncIterable<Uint8Array> {
    const listing = this.#open(i);
    if (listing.storedLengths[i] > SMALL_MESSAGE) return this.#reader.read(listing.keys[i], listing.storedLengths[i]);
    return this.#readSmall(i);
  }

  /**
   * Yields small message `i`, from what was read ahead, or reading it and
   * the small ones after it. While a client goes through the messages in
   * order, the next batch is asked for as soon as the last one read starts
   * being used, so that two are on their way or ready: the database
   * prepares one while the other is sent.
   */
  async *#readSmall(i: number): AsyncGenerator<Uint8Array> {
    if (!this.#ahead.has(i)) {
      this.#forgetAhead();
      this.#readAhead(i);
    }
    const batch = this.#ahead.get(i)!;
    this.#ahead.delete(i);
    if (this.#ahead.size < READ_AHEAD_COUNT && this.#next < this.count) this.#readAhead(this.#next);
    try {
      const found = (await batch.messages)[i - batch.first];
      if (found === undefined) throw new Error(`Cannot read message ${this.id(i)}: it is gone`);
      yield found;
    } finally {
      batch.release();
    }
  }

  /** Starts one read of message `i` and the small messages after it, within the read-ahead caps; none when `i` is large. */
  #readAhead(i: number): void {
    const { keys, storedLengths } = this.#listing!;
    let end = i;
    let octets = 0;
    while (end < this.count && end - i < READ_AHEAD_COUNT) {
      const length = storedLengths[end];
      if (length > SMALL_MESSAGE || (end > i && octets + length > READ_AHEAD_OCTETS)) break;
      octets += length;
      end++;
    }
    if (end === i) return;
    this.#next = end;
    const batch = new Batch(i, [...keys.subarray(i, end)], [...storedLengths.subarray(i, end)], this.#reader);
    for (let n = i; n < end; n++) this.#ahead.set(n, batch);
  }

  /** Drops what was read ahead and not asked for. */
  #forgetAhead(): void {
    for (const batch of this.#ahead.values()) batch.release();
    this.#ahead.clear();
  }

  /** Forgets the listing and what was read ahead, freeing both. */
  close(): void {
    this.#forgetAhead();
    this.#listing?.free();
    this.#listing = undefined;
  }

  #open(i: number): MaildropListing {
    if (this.#listing === undefined) throw new Error("Cannot use a closed maildrop");
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`Cannot find message ${i}: the maildrop has ${this.count}`);
    }
    return this.#listing;
  }
}
