/**
 * Finds the records of a mailbox in a stream of chunks, holding at most one
 * chunk plus one record header in memory.
 *
 * A record ends at "\r\n.\r\n": its last line's CRLF, then the terminator
 * line. The file is read as if preceded by a CRLF, so the first record and
 * a record that follows another one look alike.
 *
 * @module
 */

import { parseRecordHeader, type RecordHeader } from "./record.ts";

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** How much of a record's start `parseRecordHeader` gets at most. */
const HEADER_CAP = 64 * 1024;

/** A complete record found by `RecordScanner`. */
export interface ScannedRecord {
  /** Byte offset of the record's first octet. */
  offset: number;
  /** Stored length in octets, terminator included. */
  storedLength: number;
  /** Octets once unstuffed and without the terminator line. */
  size: number;
  /** The record's header fields; `id` is undefined without a trace line. */
  header: RecordHeader;
}

/**
 * Scans mailbox bytes pushed in order, chunk after chunk of any size.
 *
 * It looks only at dots (bodies often have none, base64 never) and at the
 * header block of each record, so listing costs little more than reading.
 */
export class RecordScanner {
  /** The complete records found so far, in file order. */
  readonly records: ScannedRecord[] = [];
  /** Unconsumed bytes, starting with the virtual CRLF before offset 0. */
  #buf: Uint8Array = Uint8Array.of(CR, LF);
  /** File offset of `#buf[0]`. */
  #pos = -2;
  /** File offset of the next dot to examine. */
  #scanFrom = 0;
  /** File offset of the current (incomplete) record. */
  #start = 0;
  /** Lines of the current record that begin with a (stuffing) dot. */
  #stuffed = 0;
  /** The current record's header, once its end has been seen. */
  #header: RecordHeader | undefined;
  /** File offset where the search for the current header's end resumes. */
  #headerFrom = -2;

  /** Offset just past the last complete record: what a writer may keep. */
  get end(): number {
    return this.#start;
  }

  /** Removes and returns the records found since the last call, to keep memory bounded. */
  drain(): ScannedRecord[] {
    return this.records.splice(0);
  }

  /** Scans the next bytes of the mailbox. The chunk is not kept. */
  push(chunk: Uint8Array): void {
    const keep = this.#header === undefined ? Math.min(this.#start, this.#scanFrom) - 2 : this.#scanFrom - 2;
    const rest = this.#buf.subarray(keep - this.#pos);
    const buf = new Uint8Array(rest.length + chunk.length);
    buf.set(rest);
    buf.set(chunk, rest.length);
    this.#buf = buf;
    this.#pos = keep;
    this.#scan();
    if (this.#header === undefined) this.#findHeader(buf.length, false);
  }

  /** Examines every dot whose two neighbours on each side are buffered. */
  #scan(): void {
    const buf = this.#buf;
    const last = buf.length - 3;
    let d = this.#scanFrom - this.#pos;
    let next = d;
    while ((d = buf.indexOf(DOT, d)) >= 0 && d <= last) {
      if (buf[d - 1] === LF && buf[d - 2] === CR) {
        if (buf[d + 1] === CR && buf[d + 2] === LF) this.#endRecord(d + 3);
        else this.#stuffed++;
      }
      next = ++d;
    }
    this.#scanFrom = this.#pos + (d < 0 ? Math.max(next, last + 1) : d);
  }

  /** Closes the current record, which ends before buffer index `end`. */
  #endRecord(end: number): void {
    const header = this.#header ?? this.#findHeader(end - 3, true);
    const offset = this.#start;
    const storedLength = this.#pos + end - offset;
    const size = storedLength - 3 - this.#stuffed;
    this.records.push({ offset, storedLength, size, header });
    this.#start = this.#pos + end;
    this.#stuffed = 0;
    this.#header = undefined;
    this.#headerFrom = this.#start - 2;
  }

  /**
   * Looks for the empty line ending the current header before buffer index
   * `limit`, and parses the header once found, capped, or `final`.
   */
  #findHeader(limit: number, final: true): RecordHeader;
  #findHeader(limit: number, final: boolean): RecordHeader | undefined;
  #findHeader(limit: number, final: boolean): RecordHeader | undefined {
    const buf = this.#buf;
    const start = this.#start - this.#pos;
    const end = Math.min(limit, start + HEADER_CAP);
    const from = this.#headerFrom - this.#pos;
    const blank = indexOfBlankLine(buf, from, end);
    if (blank < 0 && !final && end === limit) {
      this.#headerFrom = this.#pos + Math.max(from, limit - 3);
      return undefined;
    }
    const headerEnd = blank < 0 ? end : Math.max(start, blank + 2);
    this.#header = parseRecordHeader(buf.subarray(start, headerEnd));
    return this.#header;
  }
}

/** Index of the first "\r\n\r\n" within `buf[from, to)`, or -1. */
function indexOfBlankLine(buf: Uint8Array, from: number, to: number): number {
  for (let i = buf.indexOf(CR, from); i >= 0; i = buf.indexOf(CR, i + 1)) {
    if (i + 4 > to) return -1;
    if (buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i;
  }
  return -1;
}

/**
 * Scans a whole mailbox held in memory.
 *
 * @returns The complete records and the offset just past the last of them.
 */
export function scanBytes(
  bytes: Uint8Array,
): { records: ScannedRecord[]; end: number } {
  const scanner = new RecordScanner();
  scanner.push(bytes);
  return { records: scanner.records, end: scanner.end };
}
