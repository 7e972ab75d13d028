/**
 * Reading messages' stored bytes out of `mail_chunks`, as raw bytes (a
 * binary COPY, see copy_out.ts): several small messages in one round trip,
 * or a large one a few chunks at a time.
 *
 * @module
 */

import type { Database } from "./database.ts";

/** Octets of a record stored in one row: a large message is written and read a piece at a time. */
export const CHUNK_SIZE = 64 * 1024;

/** Chunks a read of a large message fetches per round trip: 256 KiB, so memory stays flat whatever its size. */
const CHUNKS_PER_READ = 4;

/** A row key as a literal (COPY takes no parameters). */
function keyLiteral(key: number): string {
  if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`Cannot use ${key} as a message key`);
  return String(key);
}

/**
 * Copies the stored bytes of messages of one chunk each (see
 * `SMALL_MESSAGE`) into `into`, one after another in the order of `keys`,
 * with one query.
 *
 * @returns each message's length in octets, or -1 for a message that is gone
 * @throws {RangeError} when they do not fit in `into`
 */
export async function readSmall(db: Database, keys: readonly number[], into: Uint8Array): Promise<number[]> {
  const lengths: number[] = [];
  let at = 0;
  await db.copyOut(
    `SELECT c.data FROM unnest('{${keys.map(keyLiteral).join(",")}}'::bigint[]) WITH ORDINALITY AS k(id, n)
    LEFT JOIN mail_chunks c ON c.message_id = k.id AND c.seq = 0 ORDER BY k.n`,
    (row) => {
      const data = row.bytes(0);
      lengths.push(data?.length ?? -1);
      if (data === null) return;
      into.set(data, at);
      at += data.length;
    },
  );
  return lengths;
}

/**
 * The stored bytes of one message in order, in pieces of at most
 * `CHUNK_SIZE`, fetched `CHUNKS_PER_READ` chunks at a time into one buffer:
 * each piece is valid only until the next is asked for (the buffer is
 * reused, and freed at the end).
 *
 * @throws {Error} when a chunk is missing (the message is gone)
 */
export async function* readChunks(db: Database, key: number, storedLength: number): AsyncGenerator<Uint8Array> {
  const chunks = Math.ceil(storedLength / CHUNK_SIZE);
  const buffer = new Uint8Array(Math.min(chunks, CHUNKS_PER_READ) * CHUNK_SIZE);
  try {
    for (let first = 0; first < chunks; first += CHUNKS_PER_READ) {
      const last = Math.min(first + CHUNKS_PER_READ, chunks) - 1;
      const pieces: [number, number][] = [];
      let at = 0;
      await db.copyOut(
        `SELECT data FROM mail_chunks WHERE message_id = ${keyLiteral(key)} AND seq BETWEEN ${first} AND ${last}
        ORDER BY seq`,
        (row) => {
          const data = row.bytes(0)!;
          if (at + data.length > buffer.length) throw new RangeError(`Cannot read message ${key}: a chunk is too long`);
          buffer.set(data, at);
          pieces.push([at, at + data.length]);
          at += data.length;
        },
      );
      if (pieces.length !== last - first + 1) throw new Error(`Cannot read message ${key}: chunk ${first} is missing`);
      for (const [start, end] of pieces) yield buffer.subarray(start, end);
    }
  } finally {
    buffer.buffer.transfer(0);
  }
}
