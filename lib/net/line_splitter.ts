/**
 * Splits a byte stream into lines with a hard cap on memory per line.
 * Pure: no sockets; the connection feeds it chunks.
 *
 * @module
 */

/** One input line, its terminator removed. */
export interface Line {
  /** The line's bytes without the terminating LF or CRLF. */
  bytes: Uint8Array;
  /** The line's bytes with its terminator (empty when `tooLong`). */
  raw: Uint8Array;
  /** True when the line ended in CRLF, false when it ended in a bare LF. */
  crlf: boolean;
  /** True when the line exceeded the limit; its bytes were discarded. */
  tooLong: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/**
 * Accumulates chunks and hands out complete lines. A line longer than the
 * limit given to `next` is discarded as it arrives and reported with
 * `tooLong`, so a peer that never sends a line end cannot grow memory.
 */
export class LineSplitter {
  #buf: Uint8Array = EMPTY;
  #discarding = false;

  /** Octets received but not yet handed out as lines. */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Adds received bytes. The chunk is kept by reference, never modified. */
  push(chunk: Uint8Array): void {
    if (this.#buf.length === 0) {
      this.#buf = chunk;
      return;
    }
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    this.#buf = joined;
  }

  /** Takes everything buffered, as raw bytes (for SMTP DATA). */
  take(): Uint8Array {
    const all = this.#buf;
    this.#buf = EMPTY;
    this.#discarding = false;
    return all;
  }

  /** Puts bytes back in front of the buffer: the part of a `take` that was not used. */
  unshift(bytes: Uint8Array): void {
    const rest = this.#buf;
    this.#buf = bytes;
    if (rest.length > 0) this.push(rest);
  }

  /**
   * Takes the next complete line, or `undefined` when more input is needed.
   *
   * @param limit the longest line accepted, in octets including its CRLF
   */
  next(limit: number): Line | undefined {
    const buf = this.#buf;
    if (this.#discarding) return this.#discard(buf);
    const end = buf.subarray(0, limit).indexOf(LF);
    if (end < 0) {
      if (buf.length >= limit) {
        this.#discarding = true;
        return this.#discard(buf);
      }
      return undefined;
    }
    this.#buf = buf.subarray(end + 1);
    const crlf = end > 0 && buf[end - 1] === CR;
    return {
      bytes: buf.subarray(0, crlf ? end - 1 : end),
      raw: buf.subarray(0, end + 1),
      crlf,
      tooLong: false,
    };
  }

  #discard(buf: Uint8Array): Line | undefined {
    const end = buf.indexOf(LF);
    if (end < 0) {
      // Keep a trailing CR: it may pair with an LF in the next chunk.
      this.#buf = buf.length > 0 && buf[buf.length - 1] === CR ? buf.subarray(buf.length - 1) : EMPTY;
      return undefined;
    }
    this.#discarding = false;
    this.#buf = buf.subarray(end + 1);
    return { bytes: EMPTY, raw: EMPTY, crlf: end > 0 && buf[end - 1] === CR, tooLong: true };
  }
}
