/**
 * Group commit on PostgreSQL: deliveries that arrive while earlier ones are
 * being committed wait, and go together in one statement, so that one round
 * trip and one commit (one WAL flush) serve many messages, as the file
 * store's batches share one fdatasync.
 *
 * A statement is all or nothing. When a batch of several fails, each of its
 * deliveries is tried again alone, so that one delivery's failure (a
 * database refusing one message) fails no other.
 *
 * @module
 */

import { concatBytes } from "../../bytes.ts";
import type { Database } from "./database.ts";
import { CHUNK_SIZE } from "./message_reads.ts";

/** One message to store: its listing facts and its stored bytes, as the pieces it came in. */
export interface MessageRows {
  /** The mailboxes (user names) that each get a copy, without repeats. */
  users: string[];
  /** The message id (UIDL). */
  uid: string;
  /** Octets a POP3 client sees. */
  size: number;
  /** Octets stored, terminator included. */
  storedLength: number;
  /** From, To and Subject as listed. */
  from: string;
  to: string;
  subject: string;
  /** When it was received. */
  received: Date;
  /** The stored bytes (`storedLength` octets in all), in pieces of any size; stored in rows of `CHUNK_SIZE`. */
  record: readonly Uint8Array[];
}

/** Batches run at once: one being committed while the next one gathers is what group commit needs. */
const IN_FLIGHT = 2;
/** Most deliveries in one statement. */
const MAX_DELIVERIES = 64;
/** Most stored octets in one statement; a larger message goes alone. */
const MAX_OCTETS = 1024 * 1024;

/**
 * Stores every message of `batch` for each of its users, in one statement
 * on `client` (its own transaction unless one is open), copies in the
 * order given.
 */
export async function insertMessages(
  client: { query(text: string, values: unknown[]): Promise<unknown> },
  batch: readonly MessageRows[],
): Promise<void> {
  const rows = batch.flatMap((message, n) => message.users.map((user) => ({ n, user, message })));
  // Every message's bytes in one binary parameter, copied once from the pieces they came in, and cut apart into
  // rows of CHUNK_SIZE by the database: no bytea array sent as hex text, no piece of its own per row.
  const bytes = concatBytes(batch.flatMap((message) => message.record));
  const chunks: { n: number; seq: number; start: number; length: number }[] = [];
  let offset = 0;
  batch.forEach((message, n) => {
    for (let seq = 0; seq * CHUNK_SIZE < message.storedLength; seq++) {
      const length = Math.min(CHUNK_SIZE, message.storedLength - seq * CHUNK_SIZE);
      chunks.push({ n, seq, start: offset + seq * CHUNK_SIZE + 1, length });
    }
    offset += message.storedLength;
  });
  await client.query(INSERT_MESSAGES, [
    rows.map((row) => row.n),
    rows.map((row) => row.user),
    rows.map((row) => row.message.uid),
    rows.map((row) => row.message.size),
    rows.map((row) => row.message.storedLength),
    rows.map((row) => row.message.from),
    rows.map((row) => row.message.to),
    rows.map((row) => row.message.subject),
    rows.map((row) => row.message.received),
    chunks.map((chunk) => chunk.n),
    chunks.map((chunk) => chunk.seq),
    chunks.map((chunk) => chunk.start),
    chunks.map((chunk) => chunk.length),
    bytes,
  ]);
}

/**
 * The copies of `$1`..`$9` (one array element per copy: the message's
 * number in the batch, then the columns), inserted in that order, and the
 * chunks of `$10`..`$13` (message number, seq, where its bytes start in
 * `$14` counted from 1, and how many) joined to each copy of their message.
 */
const INSERT_MESSAGES = `WITH copy AS (
    SELECT * FROM unnest(
      $1::int[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[],
      $9::timestamptz[]
    ) WITH ORDINALITY AS t (n, mailbox, uid, size, stored_length, from_field, to_field, subject, received, place)
  ), stored AS (
    INSERT INTO mail_messages (mailbox, uid, size, stored_length, from_field, to_field, subject, received)
    SELECT mailbox, uid, size, stored_length, from_field, to_field, subject, received FROM copy ORDER BY place
    RETURNING id, mailbox, uid
  )
  INSERT INTO mail_chunks (message_id, seq, data)
  SELECT stored.id, chunk.seq, substring($14::bytea FROM chunk.start FOR chunk.length)
  FROM stored
  JOIN copy USING (mailbox, uid)
  JOIN unnest($10::int[], $11::int[], $12::int[], $13::int[]) AS chunk (n, seq, start, length) ON chunk.n = copy.n`;

/** A delivery waiting for its batch. */
interface Waiting {
  message: MessageRows;
  resolve(): void;
  reject(error: unknown): void;
}

/** Deliveries without a quota, committed in batches (see the module's doc). */
export class DeliveryBatches {
  readonly #db: Database;
  #waiting: Waiting[] = [];
  #inFlight = 0;

  /** @param db where the messages go */
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Stores the message for all its users, with the deliveries that wait
   * beside it.
   *
   * @returns once it is committed
   * @throws what the database said when it could not be stored
   */
  deliver(message: MessageRows): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ message, resolve, reject });
      this.#start();
    });
  }

  /** Starts batches while there is room in flight and deliveries wait. */
  #start(): void {
    while (this.#inFlight < IN_FLIGHT && this.#waiting.length > 0) {
      const batch = this.#take();
      this.#inFlight++;
      this.#commit(batch).finally(() => {
        this.#inFlight--;
        this.#start();
      });
    }
  }

  /** Takes the next batch off the queue: at least one delivery, within the caps. */
  #take(): Waiting[] {
    let octets = this.#waiting[0].message.storedLength;
    let count = 1;
    while (count < this.#waiting.length && count < MAX_DELIVERIES) {
      octets += this.#waiting[count].message.storedLength;
      if (octets > MAX_OCTETS) break;
      count++;
    }
    return this.#waiting.splice(0, count);
  }

  /** Commits one batch; when it fails, each of several deliveries alone, in their order. */
  async #commit(batch: Waiting[]): Promise<void> {
    try {
      await insertMessages(this.#db, batch.map((waiting) => waiting.message));
      for (const waiting of batch) waiting.resolve();
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      for (const waiting of batch) await this.#commit([waiting]);
    }
  }
}
