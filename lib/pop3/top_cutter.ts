/**
 * Cuts a stored record down to what POP3 TOP sends (RFC 1939 §7): the
 * header, the blank line, and the first n body lines. Pure: it works on the
 * chunks the driver reads, so memory does not grow with the message.
 *
 * @module
 */

const LF = 0x0a;
const CR = 0x0d;

/**
 * Passes through the stored (dot-stuffed) bytes of a record until the
 * header and `bodyLines` body lines are out. The record's own ".\r\n"
 * terminator is never passed on: the caller sends the terminator itself.
 * A count beyond the body sends the whole message.
 */
export class TopCutter {
  #bodyLinesLeft: number;
  #inHeader = true;
  #lineLength = 0;
  #lastByteCr = false;
  #left: number;
  #done = false;

  /**
   * @param bodyLines body lines to send after the header
   * @param storedLength the record's stored length, terminator included
   */
  constructor(bodyLines: number, storedLength: number) {
    this.#bodyLinesLeft = bodyLines;
    this.#left = storedLength - 3;
  }

  /** True once everything to send has been returned. */
  get done(): boolean {
    return this.#done;
  }

  /** Returns the part of `chunk` to send. */
  take(chunk: Uint8Array): Uint8Array {
    if (this.#done) return chunk.subarray(0, 0);
    const part = chunk.subarray(0, Math.min(chunk.length, this.#left));
    this.#left -= part.length;
    let start = 0;
    for (let lf = part.indexOf(LF); lf >= 0; lf = part.indexOf(LF, start)) {
      const length = this.#lineLength + lf - start;
      const previous = lf > start ? part[lf - 1] : (this.#lastByteCr ? CR : 0);
      const empty = length === 0 || (length === 1 && previous === CR);
      start = lf + 1;
      this.#lineLength = 0;
      if (this.#inHeader) {
        if (empty) this.#inHeader = false;
      } else {
        this.#bodyLinesLeft--;
      }
      if (!this.#inHeader && this.#bodyLinesLeft <= 0) {
        this.#done = true;
        return part.subarray(0, start);
      }
    }
    this.#lineLength += part.length - start;
    if (part.length > 0) this.#lastByteCr = part[part.length - 1] === CR;
    if (this.#left === 0) this.#done = true;
    return part;
  }
}
