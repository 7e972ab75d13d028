/**
 * Raw bytes out of PostgreSQL through node-postgres: `COPY (query) TO
 * STDOUT (FORMAT binary)`. node-postgres reads every result column as text
 * (a bytea as hex, twice its size, then decoded) and has no binary results
 * for bytes; the data of a COPY reaches it as raw buffers, so a message's
 * bytes cross the wire once, as they are, and are copied once, into the
 * caller's buffer.
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";

/**
 * One row of a binary COPY, valid only during the callback that receives
 * it: its fields are views into node-postgres's read buffer.
 */
export class CopyRow {
  #bytes: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  /** Where each field's bytes start in `#bytes`, or -1 for NULL; and their lengths. */
  #starts: number[] = [];
  #lengths: number[] = [];

  /** Number of fields. */
  get fields(): number {
    return this.#starts.length;
  }

  /**
   * The bytes of field `i`, or null for NULL: a view valid only until the
   * callback returns.
   */
  bytes(i: number): Uint8Array | null {
    const start = this.#starts[i];
    return start < 0 ? null : this.#bytes.subarray(start, start + this.#lengths[i]);
  }

  /**
   * Field `i` of type bigint as a number.
   *
   * @throws {RangeError} when it is NULL, not 8 octets, or beyond 2^53
   */
  int8(i: number): number {
    const start = this.#starts[i];
    if (start < 0 || this.#lengths[i] !== 8) throw new RangeError(`Cannot read field ${i} as a bigint`);
    const value = this.#view.getBigInt64(start);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`Cannot read field ${i} as a number: ${value}`);
    }
    return Number(value);
  }

  /**
   * Reads the tuple at `at` of `bytes` (PostgreSQL's binary COPY format: a
   * field count, then each field's length and bytes).
   *
   * @returns false for the trailer (a field count of -1)
   * @throws {Error} when the tuple runs past the end of `bytes`
   */
  parse(bytes: Uint8Array, at: number): boolean {
    // A plain view: node-postgres gives a Buffer, whose slice() would not copy.
    this.#bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#view = new DataView(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    const count = this.#view.getInt16(at);
    if (count === -1) return false;
    this.#starts.length = count;
    this.#lengths.length = count;
    let p = at + 2;
    for (let i = 0; i < count; i++) {
      const length = this.#view.getInt32(p);
      p += 4;
      this.#starts[i] = length < 0 ? -1 : p;
      this.#lengths[i] = Math.max(length, 0);
      p += Math.max(length, 0);
    }
    if (p > bytes.length) throw new Error("Cannot read a COPY row: it is cut short");
    return true;
  }
}

/** PostgreSQL's binary COPY signature, flags and header extension length: 19 octets before the first row. */
const HEADER_LENGTH = 11 + 4 + 4;

/**
 * A node-postgres "submittable" query: node-postgres hands it the
 * connection's protocol messages, here the CopyData of a COPY TO STDOUT.
 * PostgreSQL sends one CopyData message per row (protocol docs, "COPY
 * Operations"), the first one after the file header.
 */
class CopyOut {
  readonly text: string;
  readonly #onRow: (row: CopyRow) => void;
  readonly #row = new CopyRow();
  #header = true;
  #settle: ((error?: Error) => void) | undefined;
  #failure: Error | undefined;
  readonly done: Promise<void>;

  constructor(text: string, onRow: (row: CopyRow) => void) {
    this.text = text;
    this.#onRow = onRow;
    this.done = new Promise((resolve, reject) => {
      this.#settle = (error) => {
        this.#settle = undefined;
        if (error) reject(error);
        else resolve();
      };
    });
  }

  /** Sends the statement (node-postgres calls it when the connection is free). */
  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Uint8Array }): void {
    if (this.#failure) return;
    try {
      let at = 0;
      if (this.#header) {
        this.#header = false;
        at = HEADER_LENGTH + new DataView(message.chunk.buffer, message.chunk.byteOffset).getInt32(15);
      }
      if (this.#row.parse(message.chunk, at)) this.#onRow(this.#row);
    } catch (error) {
      // Kept until the statement ends, so that the connection is free again when the caller hears of it.
      this.#failure = error as Error;
    }
  }

  handleReadyForQuery(): void {
    this.#settle?.(this.#failure);
  }

  handleError(error: Error): void {
    this.#settle?.(error);
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  handleCopyInResponse(): void {
    this.#failure = new Error("Cannot copy in: this statement only copies out");
  }
}

/**
 * Runs `COPY (query) TO STDOUT (FORMAT binary)` on `client` and passes
 * each row to `onRow` as it arrives. COPY takes no parameters: every value
 * in `query` must be a literal made safe by the caller (numbers it formats
 * itself, `escapeLiteral` for text).
 *
 * @throws {Error} the database's error, or the first one `onRow` threw
 */
export function copyOut(client: pg.ClientBase, query: string, onRow: (row: CopyRow) => void): Promise<void> {
  const copy = new CopyOut(`COPY (${query}) TO STDOUT (FORMAT binary)`, onRow);
  client.query(copy as unknown as pg.QueryConfig);
  return copy.done;
}
