/**
 * Decoding of the SMTP DATA stream (RFC 5321 §4.1.1.4, §4.5.2): finds the
 * end of the message and keeps its lines in wire (dot-stuffed) form.
 *
 * @module
 */

import type { Line } from "../net/line_splitter.ts";

/** Why a received message cannot be accepted. */
export type DataProblem = "size" | "line";

/** A complete message as the decoder collected it. */
export interface DecodedMessage {
  /** The lines in wire form: dot-stuffed, each ending in CRLF. Empty after a problem. */
  lines: Uint8Array[];
  /** Octets of the unstuffed message with CRLF line ends. */
  size: number;
  /** Set when the message broke a limit; nothing must be stored then. */
  problem?: DataProblem;
}

const CR = 0x0d;
const DOT = 0x2e;
const CRLF = new Uint8Array([CR, 0x0a]);
const DOUBLE_DOT = new Uint8Array([DOT, DOT, CR, 0x0a]);

/**
 * Collects DATA lines until the end marker. The message ends at
 * CRLF "." CRLF and nowhere else: a "." line that ends in a bare LF, or
 * follows a line that did, is content (the 2023 SMTP smuggling attacks).
 * Bare CR and bare LF inside the message become CRLF, so what is stored
 * always has CRLF line ends and cannot be split by a later reader.
 */
export class DataDecoder {
  #lines: Uint8Array[] = [];
  #size = 0;
  #problem: DataProblem | undefined;
  #afterCrlf = true;
  #maxSize: number;

  /** @param maxSize the largest message accepted, in octets */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** Takes one line; returns true when it was the end marker. */
  push(line: Line): boolean {
    const isEnd = line.crlf && this.#afterCrlf && line.bytes.length === 1 && line.bytes[0] === DOT;
    this.#afterCrlf = line.crlf;
    if (isEnd) return true;
    if (line.tooLong) this.#fail("line");
    if (this.#problem !== undefined) return false;
    if (line.crlf && line.bytes.indexOf(CR) < 0 && !isLoneDot(line.bytes)) {
      this.#add(line.raw);
    } else {
      for (const piece of splitAtCr(line.bytes)) this.#add(withCrlf(piece));
    }
    return false;
  }

  /** Stores one wire line (CRLF included) and counts its unstuffed size. */
  #add(line: Uint8Array): void {
    this.#size += line[0] === DOT ? line.length - 1 : line.length;
    if (this.#size > this.#maxSize) this.#fail("size");
    else this.#lines.push(line);
  }

  #fail(problem: DataProblem): void {
    this.#problem ??= problem;
    this.#lines = [];
  }

  /** The message collected so far; call after `push` returned true. */
  result(): DecodedMessage {
    return this.#problem === undefined
      ? { lines: this.#lines, size: this.#size }
      : { lines: [], size: this.#size, problem: this.#problem };
  }
}

function isLoneDot(bytes: Uint8Array): boolean {
  return bytes.length === 1 && bytes[0] === DOT;
}

/**
 * Returns `bytes` followed by CRLF as one array. A lone "." that is not an
 * end marker (it came with bare line ends) is kept as the text ".", stuffed,
 * so it never reads back as the end of a record.
 */
function withCrlf(bytes: Uint8Array): Uint8Array {
  if (isLoneDot(bytes)) return DOUBLE_DOT;
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes);
  out.set(CRLF, bytes.length);
  return out;
}

/** Splits a line at each bare CR (the caller has removed the line end). */
function splitAtCr(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (let i = bytes.indexOf(CR); i >= 0; i = bytes.indexOf(CR, start)) {
    pieces.push(bytes.subarray(start, i));
    start = i + 1;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
