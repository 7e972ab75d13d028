/**
 * A growing byte buffer: lines of a multi-line POP3 reply are appended to
 * one contiguous block instead of being kept as one array per line.
 *
 * @module
 */

const CRLF = new Uint8Array([0x0d, 0x0a]);

/** Bytes appended in place, doubling the room as needed. */
export class ByteBuffer {
  #bytes: Uint8Array<ArrayBuffer>;
  #length = 0;

  /** @param capacity the room to start with, e.g. the size the server announced */
  constructor(capacity = 512) {
    this.#bytes = new Uint8Array(Math.max(64, capacity));
  }

  /** Octets held. */
  get length(): number {
    return this.#length;
  }

  /** Appends `line` and a CRLF. */
  appendLine(line: Uint8Array): void {
    this.#reserve(line.length + 2);
    this.#bytes.set(line, this.#length);
    this.#bytes.set(CRLF, this.#length + line.length);
    this.#length += line.length + 2;
  }

  /** The bytes held, as a view of this buffer's memory (no copy). */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  #reserve(more: number): void {
    if (this.#length + more <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + more));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}
