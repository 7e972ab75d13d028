/**
 * Streaming decoders of a MIME part's body (RFC 2045 §6): base64,
 * quoted-printable and the identity encodings, fed content a line at a time
 * (or in pieces of a long line) and giving out octets as they come, with
 * memory bounded by a few octets of carry.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** A decoder of one part's body. */
export interface PartDecoder {
  /** Takes content of the current line (all of it, or a piece). */
  data(bytes: Uint8Array): void;
  /** Says that a line break came between the content before and after. */
  newline(): void;
  /** Ends the body: gives out what the carry still holds. */
  end(): void;
}

const CRLF = new Uint8Array([0x0d, 0x0a]);

/**
 * The decoder for a Content-Transfer-Encoding (case-insensitive); 7bit,
 * 8bit, binary and unknown ones pass the octets through.
 *
 * @param emit receives the decoded octets, in order
 */
export function partDecoder(encoding: string, emit: (bytes: Uint8Array) => void): PartDecoder {
  switch (encoding.toLowerCase()) {
    case "base64":
      return new Base64Decoder(emit);
    case "quoted-printable":
      return new QuotedPrintableDecoder(emit);
    default:
      return { data: emit, newline: () => emit(CRLF), end: () => {} };
  }
}

/** Base64 characters gathered before they are decoded: lines of 76 decoded one by one would cost a call each. */
const BASE64_BATCH = 64 * 1024;

/**
 * Base64 (RFC 2045 §6.8): characters outside the alphabet are skipped;
 * whole quads are decoded once `BASE64_BATCH` characters have gathered.
 */
class Base64Decoder implements PartDecoder {
  #emit: (bytes: Uint8Array) => void;
  #pending: string[] = [];
  #length = 0;

  constructor(emit: (bytes: Uint8Array) => void) {
    this.#emit = emit;
  }

  data(bytes: Uint8Array): void {
    const text = Buffer.from(bytes).toString("latin1").replace(/[^A-Za-z0-9+/=]/g, "");
    this.#pending.push(text);
    this.#length += text.length;
    if (this.#length >= BASE64_BATCH) this.#decode(false);
  }

  newline(): void {}

  end(): void {
    this.#decode(true);
  }

  /** Decodes the whole quads gathered (all of it at the end), keeping the rest. */
  #decode(all: boolean): void {
    const text = this.#pending.join("");
    const whole = all ? text.length : text.length - text.length % 4;
    const rest = text.slice(whole);
    this.#pending = rest === "" ? [] : [rest];
    this.#length = rest.length;
    if (whole > 0) this.#emit(new Uint8Array(Buffer.from(text.slice(0, whole), "base64")));
  }
}

const EQUALS = 0x3d;
const HEX = /^[0-9A-Fa-f]{2}$/;

/** Quoted-printable (RFC 2045 §6.7): "=XX" octets, and "=" at a line's end for a soft break. */
class QuotedPrintableDecoder implements PartDecoder {
  #emit: (bytes: Uint8Array) => void;
  /** An "=" and what came of its two digits so far, at the end of the last piece. */
  #carry: number[] = [];

  constructor(emit: (bytes: Uint8Array) => void) {
    this.#emit = emit;
  }

  data(bytes: Uint8Array): void {
    const input = this.#carry.length === 0 ? bytes : new Uint8Array([...this.#carry, ...bytes]);
    this.#carry = [];
    const out = new Uint8Array(input.length);
    let n = 0;
    for (let i = 0; i < input.length; i++) {
      if (input[i] !== EQUALS) {
        out[n++] = input[i];
        continue;
      }
      if (i + 2 >= input.length) {
        this.#carry = [...input.subarray(i)];
        break;
      }
      const hex = String.fromCharCode(input[i + 1], input[i + 2]);
      if (HEX.test(hex)) {
        out[n++] = parseInt(hex, 16);
        i += 2;
      } else {
        out[n++] = EQUALS;
      }
    }
    if (n > 0) this.#emit(out.subarray(0, n));
  }

  newline(): void {
    // "=" last on the line: a soft break. Anything else held was an "=" without its two digits: kept as it is.
    const soft = this.#carry.length === 1;
    if (!soft && this.#carry.length > 0) this.#emit(new Uint8Array(this.#carry));
    this.#carry = [];
    if (!soft) this.#emit(CRLF);
  }

  end(): void {
    if (this.#carry.length > 1) this.#emit(new Uint8Array(this.#carry));
    this.#carry = [];
  }
}
