/**
 * The index file `mymailbox.idx` beside a mailbox: a cache of what a scan
 * of the mailbox finds, so that a POP3 login need not read the messages.
 *
 * Text, one line each: a header `mymailbox-index 2 <inode> <birth>` naming
 * the format version and the mailbox file it describes (`fileIdentity`), then one
 * line `<offset> <storedLength> <size> <id>` per complete record in file
 * order, the id as the record carries it (before `uniqueIds`, which the
 * reader applies). Lines are only trusted up to the last "\n".
 *
 * Also here: `scanEntries`, which finds such entries in the mailbox itself.
 *
 * @module
 */

import { readRangeSync, SCAN_CHUNK } from "./file_io.ts";
import type { RecordTable } from "../maildrop_table.ts";
import { MAX_ID, type ReadAt } from "../record_ids.ts";
import { fallbackId, totalLength } from "../record.ts";
import { RecordScanner } from "../scanner.ts";

const LF = 0x0a;
const SP = 0x20;
const MAGIC = "mymailbox-index";
const VERSION = 2;
/** Longest valid line: three 15-digit numbers, a 70-octet id, separators. */
const MAX_LINE = 3 * 16 + 71;
/** Digits of a number in a line: up to 10^15 - 1, exact in a double. */
const MAX_DIGITS = 15;
/** How much of the index's end a writer reads to find its last line. */
const TAIL_WINDOW = 4096;

const encoder = new TextEncoder();

/** A complete record as the index and a maildrop keep it. */
export interface RecordEntry {
  /** Byte offset of the record's first octet. */
  offset: number;
  /** Stored length in octets, terminator included. */
  storedLength: number;
  /** Octets once unstuffed and without the terminator line. */
  size: number;
  /** The trace id, or the `fallbackId` of a record without one; not yet made unique. */
  id: string;
}

/**
 * Finds the complete records of `file[from, to)`, reading synchronously,
 * and passes each to `each` in order, its id derived as `list` derives it
 * before `uniqueIds`. `from` must be 0 or the end of a record; a torn
 * record at the end is left out.
 */
export async function scanEntries(
  file: Deno.FsFile,
  from: number,
  to: number,
  each: (entry: RecordEntry) => void,
): Promise<void> {
  const scanner = new RecordScanner();
  const buf = new Uint8Array(Math.max(0, Math.min(SCAN_CHUNK, to - from)));
  for (let at = from; at < to;) {
    file.seekSync(at, Deno.SeekMode.Start);
    const n = file.readSync(buf.subarray(0, Math.min(buf.length, to - at)));
    if (n === null) break;
    scanner.push(buf.subarray(0, n));
    at += n;
    for (const { offset, storedLength, size, header } of scanner.drain()) {
      const start = from + offset;
      const id = header.id ?? await fallbackId(readRangeSync(file, start, storedLength));
      each({ offset: start, storedLength, size, id });
    }
  }
}

/**
 * Finds the complete records of bytes just written at offset `from`, given
 * as the chunks written in order, and passes each to `each` as
 * `scanEntries` does: indexing an append needs no reading back.
 */
export async function scanChunks(
  chunks: Uint8Array[],
  from: number,
  each: (entry: RecordEntry) => void,
): Promise<void> {
  const scanner = new RecordScanner();
  // Records come in many small chunks (a line each, at worst), and each push costs the scanner a copy of what it
  // holds: the chunks are gathered into pieces of up to SCAN_CHUNK first (measured: 8 against 60 us for 4 KiB).
  for (const piece of gathered(chunks, SCAN_CHUNK)) {
    scanner.push(piece);
    for (const { offset, storedLength, size, header } of scanner.drain()) {
      const id = header.id ?? await fallbackId(chunkRange(chunks, offset, storedLength));
      each({ offset: from + offset, storedLength, size, id });
    }
  }
}

/** The bytes of `chunks` in order, copied into pieces of `size` octets (the last one shorter). */
function* gathered(chunks: Uint8Array[], size: number): Generator<Uint8Array> {
  let total = totalLength(chunks);
  let piece = new Uint8Array(Math.min(size, total));
  let used = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length;) {
      const n = Math.min(piece.length - used, chunk.length - at);
      piece.set(chunk.subarray(at, at + n), used);
      used += n;
      at += n;
      total -= n;
      if (used < piece.length) continue;
      yield piece;
      piece = new Uint8Array(Math.min(size, total));
      used = 0;
    }
  }
}

/** The parts of `chunks`, taken as one run of bytes, that cover `[offset, offset + length)`. */
function* chunkRange(chunks: Uint8Array[], offset: number, length: number): Generator<Uint8Array> {
  let at = 0;
  for (const chunk of chunks) {
    const start = Math.max(offset, at);
    const end = Math.min(offset + length, at + chunk.length);
    if (start < end) yield chunk.subarray(start - at, end - at);
    at += chunk.length;
  }
}

/**
 * What names a mailbox file in its index's header: its inode number and,
 * where the file system keeps it, its birth time in milliseconds ("-"
 * otherwise), so that a new file reusing a removed one's inode is not taken
 * for it. Null when the file system reports no inode numbers: then there is
 * no index.
 */
export function fileIdentity(info: Deno.FileInfo): string | null {
  return info.ino === null ? null : `${info.ino} ${info.birthtime?.getTime() ?? "-"}`;
}

/** The header line of an index for the mailbox file of that `fileIdentity`. */
export function indexHeader(identity: string): string {
  return `${MAGIC} ${VERSION} ${identity}\n`;
}

/** The index line of one record. */
export function indexLine(entry: RecordEntry): string {
  return `${entry.offset} ${entry.storedLength} ${entry.size} ${entry.id}\n`;
}

/** A `ReadAt` over an open file, reading synchronously. */
export function fileReadAt(file: Deno.FsFile): ReadAt {
  return (buf, position) => {
    file.seekSync(position, Deno.SeekMode.Start);
    return file.readSync(buf) ?? 0;
  };
}

/** The fields of one index line, as `forEachIndexLine` passes them. */
export interface IndexFields {
  offset: number;
  storedLength: number;
  size: number;
  /** Where the id starts in the bytes passed with the fields; it runs to the line's end. */
  idStart: number;
}

/** What a pass over an index found. */
export type IndexScan =
  /** Every line was well-formed and accepted; `length` octets (header and complete lines) were read. */
  | { usable: true; length: number }
  /** Nothing usable: `corrupt` when the header matched but a line did not. */
  | { usable: false; corrupt: boolean };

/**
 * Where indexes are read, a chunk at a time: one buffer serves every pass,
 * as `forEachIndexLine` runs synchronously from start to end.
 */
const indexChunk = new Uint8Array(64 * 1024);

/**
 * Reads the index of the mailbox file of that `identity` from its first
 * `length` octets, in chunks, and calls `each` with every complete line's
 * fields, the bytes they index (valid during the call only) and where
 * those bytes start in the index. Stops at the last "\n": a torn line
 * after it is left out. Refuses an index of another version or file, a
 * malformed line, and a line `each` rejects.
 */
export function forEachIndexLine(
  read: ReadAt,
  identity: string,
  length: number,
  each: (fields: IndexFields, bytes: Uint8Array, end: number, base: number) => boolean,
): IndexScan {
  const header = encoder.encode(indexHeader(identity));
  const buf = indexChunk;
  const line = new IndexLine();
  let position = 0; // where buf[0] is in the index
  let filled = 0;
  let headerRead = false;
  for (;;) {
    const room = buf.subarray(filled, Math.min(buf.length, length - position));
    const n = room.length === 0 ? 0 : read(room, position + filled);
    if (n === 0) break;
    filled += n;
    const view = buf.subarray(0, filled);
    let start = 0;
    if (!headerRead) {
      if (filled < header.length) continue;
      if (!startsWith(view, header)) return { usable: false, corrupt: false };
      headerRead = true;
      start = header.length;
    }
    for (let lf = view.indexOf(LF, start); lf >= 0; start = lf + 1, lf = view.indexOf(LF, start)) {
      if (!line.parse(view, start, lf) || !each(line, view, lf, position)) return { usable: false, corrupt: true };
    }
    // What follows the last "\n" is the start of a line: no line may be longer.
    if (filled - start > MAX_LINE) return { usable: false, corrupt: true };
    buf.copyWithin(0, start, filled);
    position += start;
    filled -= start;
  }
  return headerRead ? { usable: true, length: position } : { usable: false, corrupt: false };
}

/** What a first pass over an index finds: enough to size a `RecordTable`. */
export type IndexShape = IndexScan & { lines: number };

/**
 * Counts an index's complete lines without parsing them, which the second
 * pass (`parseIndex`) does: its header is checked, and `length` is where
 * its last complete line ends.
 */
export function measureIndex(read: ReadAt, identity: string, length: number): IndexShape {
  const header = encoder.encode(indexHeader(identity));
  const buf = indexChunk;
  const first = buf.subarray(0, Math.min(header.length, length));
  if (readFully(read, first, 0) < header.length || !startsWith(first, header)) {
    return { usable: false, corrupt: false, lines: 0 };
  }
  let lines = 0;
  let end = header.length;
  for (let position = header.length; position < length;) {
    const n = read(buf.subarray(0, Math.min(buf.length, length - position)), position);
    if (n === 0) break;
    const view = buf.subarray(0, n);
    for (let lf = view.indexOf(LF); lf >= 0; lf = view.indexOf(LF, lf + 1)) {
      lines++;
      end = position + lf + 1;
    }
    position += n;
  }
  return { usable: true, length: end, lines };
}

/** Reads into all of `buf` from `position` unless the source ends first; returns the octets read. */
function readFully(read: ReadAt, buf: Uint8Array, position: number): number {
  let done = 0;
  for (let n = 1; done < buf.length && n > 0; done += n) n = read(buf.subarray(done), position + done);
  return done;
}

/**
 * Adds the records of an index's first `length` octets to `table`; refuses
 * (as corrupt) a line that does not start where the previous record ended,
 * a record past `limit`, or an id no record can carry.
 *
 * @param limit The mailbox file's size.
 * @param table An empty table; on failure it holds part of the index.
 */
export function parseIndex(
  read: ReadAt,
  identity: string,
  length: number,
  limit: number,
  table: RecordTable,
): IndexScan {
  return forEachIndexLine(
    read,
    identity,
    length,
    (line, bytes, end, base) =>
      line.offset === table.end && line.offset + line.storedLength <= limit &&
      table.addFromIndex(line.offset, line.storedLength, line.size, bytes, line.idStart, end, base + line.idStart),
  );
}

/** Where an index ends, as a writer appending to it needs to know. */
export interface IndexTail {
  /** Offset in the mailbox just past the last indexed record (0 if none). */
  end: number;
  /** Octets of the index up to its last "\n": a torn line after it is dropped. */
  length: number;
  /** Octets of the index file as found (more than `length` after a torn line). */
  size: number;
}

/**
 * Reads the header and the last complete line of an open index, without
 * reading the lines in between.
 *
 * @returns Its tail, or `null` when it is not an index of the file of that
 *   `identity` or its last line is malformed.
 */
export function readIndexTail(index: Deno.FsFile, identity: string): IndexTail | null {
  const { size } = index.statSync();
  const header = encoder.encode(indexHeader(identity));
  if (!startsWith(readAt(index, 0, Math.min(size, header.length)), header)) return null;
  const from = Math.max(header.length, size - TAIL_WINDOW);
  const tail = readAt(index, from, size - from);
  const last = tail.lastIndexOf(LF);
  if (last < 0) return from === header.length ? { end: 0, length: header.length, size } : null;
  const previous = last === 0 ? -1 : tail.lastIndexOf(LF, last - 1);
  if (previous < 0 && from > header.length) return null;
  const line = new IndexLine();
  if (!line.parse(tail, previous + 1, last) || !isId(tail, line.idStart, last)) return null;
  return { end: line.offset + line.storedLength, length: from + last + 1, size };
}

/** One index line's fields, parsed in place: no object per line. */
class IndexLine implements IndexFields {
  offset = 0;
  storedLength = 0;
  size = 0;
  /** Where the id starts in the bytes parsed; it runs to the line's end. */
  idStart = 0;
  #bytes: Uint8Array = new Uint8Array();
  #at = 0;

  /** Parses `bytes[start, end)`, a line without its "\n". */
  parse(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start > MAX_LINE) return false;
    this.#bytes = bytes;
    this.#at = start;
    this.offset = this.#number(end);
    this.storedLength = this.#number(end);
    this.size = this.#number(end);
    this.idStart = this.#at;
    return this.offset >= 0 && this.storedLength >= 3 && this.size >= 0 && this.size <= this.storedLength - 3;
  }

  /** The decimal number at the cursor, followed by one space; -1 when there is none. */
  #number(end: number): number {
    const bytes = this.#bytes;
    let at = this.#at;
    let value = 0;
    while (at < end && at - this.#at < MAX_DIGITS && bytes[at] >= 0x30 && bytes[at] <= 0x39) {
      value = value * 10 + bytes[at++] - 0x30;
    }
    if (at === this.#at || at >= end || bytes[at] !== SP) return -1;
    this.#at = at + 1;
    return value;
  }
}

/** Whether `bytes[start, end)` is an id a record can carry: 1 to 70 of `[\x21-\x3a\x3c-\x7e]`. */
function isId(bytes: Uint8Array, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_ID) return false;
  for (let k = start; k < end; k++) {
    if (bytes[k] < 0x21 || bytes[k] > 0x7e || bytes[k] === 0x3b) return false;
  }
  return true;
}

/** Whether `bytes` begins with `prefix`. */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) {
    if (bytes[k] !== prefix[k]) return false;
  }
  return true;
}

/** Reads up to `length` octets of `file` at `offset`, synchronously (fewer at its end). */
function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  let at = 0;
  while (at < length) {
    const n = file.readSync(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return buf.subarray(0, at);
}
