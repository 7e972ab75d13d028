/**
 * Decoding of the SMTP DATA stream (RFC 5321 §4.1.1.4, §4.5.2): finds the
 * end of the message and keeps it in wire (dot-stuffed) form. It works on
 * raw received chunks, line by line but without an object per line, since
 * this is the hot path of every delivery.
 *
 * @module
 */

/** Why a received message cannot be accepted. */
export type DataProblem = "size" | "line";

/** A complete message as the decoder collected it. */
export interface DecodedMessage {
  /**
   * The message in wire form: dot-stuffed, CRLF line ends, without the end
   * marker. Each chunk holds whole lines. Empty after a problem.
   */
  chunks: Uint8Array[];
  /**
   * Octets of the unstuffed message with CRLF line ends, as received: lines
   * over a limit count too, though nothing of them is kept.
   */
  size: number;
  /** Set when the message broke a limit; nothing must be stored then. */
  problem?: DataProblem;
}

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

/**
 * Collects DATA until the end marker. The message ends at CRLF "." CRLF
 * and nowhere else: a "." line that ends in a bare LF, or follows a line
 * that did, is content (the 2023 SMTP smuggling attacks). Bare CR and bare
 * LF inside the message become CRLF, so what is stored always has CRLF line
 * ends and cannot be split by a later reader.
 */
export class DataDecoder {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #problem: DataProblem | undefined;
  #afterCrlf = true;
  #partial: Uint8Array | undefined;
  #partialTooLong = false;
  #partialEndsCr = false;
  /** Octets of the unfinished line so far, counted even once it is too long to keep. */
  #partialOctets = 0;
  #partialDot = false;
  #maxSize: number;
  #maxLine: number;

  /**
   * @param limits the largest message and the longest line (CRLF included) accepted, in octets
   */
  constructor(limits: { maxSize: number; maxLine: number }) {
    this.#maxSize = limits.maxSize;
    this.#maxLine = limits.maxLine;
  }

  /**
   * Takes received bytes. Returns how many were used: all of them while the
   * message goes on, or the count up to and including the end marker, after
   * which the caller reads commands again from the rest.
   */
  push(bytes: Uint8Array): { used: number; done: boolean } {
    let start = 0;
    if (this.#partial !== undefined || this.#partialTooLong) {
      const lf = bytes.indexOf(LF);
      if (lf < 0) {
        this.#keepPartial(bytes);
        return { used: bytes.length, done: false };
      }
      const ended = this.#endPartial(bytes.subarray(0, lf + 1));
      if (ended) return { used: lf + 1, done: true };
      start = lf + 1;
    }
    const lastLf = bytes.lastIndexOf(LF);
    if (lastLf >= start) {
      const end = this.#lines(bytes, start, lastLf + 1);
      if (end >= 0) return { used: end, done: true };
      start = lastLf + 1;
    }
    if (start < bytes.length) this.#keepPartial(bytes.subarray(start));
    return { used: bytes.length, done: false };
  }

  /** Completes the line begun in an earlier chunk; returns true when it was the end marker. */
  #endPartial(rest: Uint8Array): boolean {
    const partial = this.#partial;
    const tooLong = this.#partialTooLong;
    const octets = this.#partialOctets + rest.length - (this.#partialDot ? 1 : 0);
    this.#partial = undefined;
    this.#partialTooLong = false;
    this.#partialOctets = 0;
    if (!tooLong) {
      const line = join(partial!, rest);
      return this.#lines(line, 0, line.length) >= 0;
    }
    this.#fail("line");
    this.#size += octets;
    this.#afterCrlf = rest.length > 1 ? rest[rest.length - 2] === CR : this.#partialEndsCr;
    return false;
  }

  /** Octets of the unstuffed message so far, in the lines complete so far (over-long ones too). */
  get size(): number {
    return this.#size;
  }

  /** The message collected; call after `push` returned done. */
  result(): DecodedMessage {
    return this.#problem === undefined
      ? { chunks: this.#chunks, size: this.#size }
      : { chunks: [], size: this.#size, problem: this.#problem };
  }

  /**
   * Handles the complete lines in `buf[from, to)`, keeping runs of clean
   * lines as one chunk. Returns the offset just past the end marker, or -1.
   */
  #lines(buf: Uint8Array, from: number, to: number): number {
    let run = from;
    let start = from;
    let cr = -1;
    while (start < to) {
      const lf = buf.indexOf(LF, start);
      // Look for the next CR only once the last one found is behind us: each byte is scanned once.
      if (cr < start) {
        const next = buf.indexOf(CR, start);
        cr = next < 0 ? Infinity : next;
      }
      const crlf = lf > start && buf[lf - 1] === CR;
      const length = lf + 1 - start;
      const loneDot = length === (crlf ? 3 : 2) && buf[start] === DOT;
      if (crlf && this.#afterCrlf && loneDot) {
        this.#keep(buf.subarray(run, start));
        return lf + 1;
      }
      // RFC 5321 §4.5.3.1.6: the limit does not count a dot added for transparency.
      if (length - (buf[start] === DOT ? 1 : 0) > this.#maxLine) {
        // Count the run before it, so the first limit broken in stream order is the one reported.
        this.#keep(buf.subarray(run, start));
        this.#fail("line");
        // Not kept, but received: the log's size says what the client sent.
        this.#size += buf[start] === DOT ? length - 1 : length;
      } else if (!crlf || cr < lf - 1 || loneDot) {
        this.#keep(buf.subarray(run, start));
        for (const piece of normalize(buf.subarray(start, crlf ? lf - 1 : lf))) {
          this.#size += piece[0] === DOT ? piece.length - 1 : piece.length;
          this.#keep(piece);
        }
        run = lf + 1;
      } else {
        this.#size += buf[start] === DOT ? length - 1 : length;
      }
      this.#afterCrlf = crlf;
      start = lf + 1;
    }
    this.#keep(buf.subarray(run, to));
    return -1;
  }

  /** Adds a chunk of whole wire lines, counted already unless it comes from `normalize`. */
  #keep(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#problem !== undefined) return;
    if (this.#size > this.#maxSize) return this.#fail("size");
    this.#chunks.push(chunk);
  }

  #keepPartial(bytes: Uint8Array): void {
    if (this.#partialOctets === 0) this.#partialDot = bytes[0] === DOT;
    this.#partialOctets += bytes.length;
    this.#partialEndsCr = bytes[bytes.length - 1] === CR;
    if (this.#partialTooLong) return;
    const partial = this.#partial === undefined ? bytes.slice() : join(this.#partial, bytes);
    if (partial.length - (partial[0] === DOT ? 1 : 0) > this.#maxLine) {
      this.#partial = undefined;
      this.#partialTooLong = true;
    } else {
      this.#partial = partial;
    }
  }

  #fail(problem: DataProblem): void {
    this.#problem ??= problem;
    this.#chunks = [];
  }
}

/**
 * Turns a line with bare line ends into CRLF lines: it is split at each
 * bare CR. A "." that followed a bare CR was text in the middle of the
 * line, not a dot added for transparency, so the line it now starts is
 * stuffed; so is a lone "." that is not an end marker, so that it never
 * reads back as the end of a record.
 */
function normalize(content: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (let i = content.indexOf(CR); i >= 0; i = content.indexOf(CR, start)) {
    pieces.push(withCrlf(content.subarray(start, i), start > 0));
    start = i + 1;
  }
  pieces.push(withCrlf(content.subarray(start), start > 0));
  return pieces;
}

/** The bytes as one CRLF line, a "." doubled when it is text at the start of the line (see `normalize`). */
function withCrlf(bytes: Uint8Array, afterBareCr: boolean): Uint8Array {
  const stuff = bytes[0] === DOT && (afterBareCr || bytes.length === 1) ? 1 : 0;
  const out = new Uint8Array(stuff + bytes.length + 2);
  out[0] = DOT;
  out.set(bytes, stuff);
  out[out.length - 2] = CR;
  out[out.length - 1] = LF;
  return out;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
