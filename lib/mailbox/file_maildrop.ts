/**
 * Opening a mailbox file as a POP3 `Maildrop`: the records come from the
 * index (`maildrop_index.ts`) plus a scan of what lies past its end, or from
 * a scan of the whole file when the index cannot be used.
 *
 * @module
 */

import { endsWithRecord } from "./file_io.ts";
import { indexHeader, indexLine, parseIndex, scanEntries } from "./maildrop_index.ts";
import { BytesMaildrop, RecordTable, TableMaildrop } from "./maildrop_table.ts";
import type { Maildrop } from "./store.ts";

const LF = 0x0a;
/** Largest chunk `read` yields. */
const READ_CHUNK = 64 * 1024;

/** A maildrop and how it was found. */
export interface OpenedMaildrop {
  /** The maildrop, which the caller closes. */
  maildrop: Maildrop;
  /** Whether the whole mailbox file was scanned, the index being missing or unusable. */
  fullScan: boolean;
}

/**
 * Opens the mailbox at `path` as a maildrop of the complete records it
 * holds now, using the index at `indexPath` when it describes this file.
 * A corrupt index (right inode, bad line) is removed, so that the next
 * delivery writes it anew. Needs no lock besides the caller's session lock.
 */
export async function openFileMaildrop(path: string, indexPath: string): Promise<OpenedMaildrop> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { maildrop: new BytesMaildrop(new Uint8Array(), new RecordTable(0)), fullScan: false };
  }
  try {
    const { table, end, size } = loadIndex(file, indexPath);
    await scanEntries(file, end, size, (entry) => table.add(entry.offset, entry.storedLength, entry.size, entry.id));
    return { maildrop: new FileMaildrop(file, table), fullScan: end === 0 && size > 0 };
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Parses a synthetic index of `records` lines in memory, as a login does.
 * Run once at server start, it lets the parser be compiled before the first
 * login, which would otherwise pay for it (measured: 20 against 4 ms for
 * 10,000 messages).
 */
export function warmUpIndexParsing(records = 1000): void {
  const ino = 1;
  const lines = [indexHeader(ino)];
  for (let i = 0; i < records; i++) {
    lines.push(indexLine({ offset: i * 4100, storedLength: 4100, size: 4000, id: `warm${i}.x` }));
  }
  const bytes = new TextEncoder().encode(lines.join(""));
  const table = new RecordTable(countLines(bytes));
  parseIndex(bytes, ino, Infinity, table);
  table.seal();
  for (let i = 0; i < table.count; i++) table.id(i);
}

/**
 * The records the index at `indexPath` holds for `file`, where they end,
 * and the file's size; no records when the index is missing, unreadable,
 * stale or corrupt.
 */
function loadIndex(file: Deno.FsFile, indexPath: string): { table: RecordTable; end: number; size: number } {
  const bytes = readIndexFile(indexPath);
  // The size is taken after reading the index: every record the index names was synced before it was written.
  const { size, ino } = file.statSync();
  if (bytes === null || ino === null) return { table: new RecordTable(), end: 0, size };
  const table = new RecordTable(countLines(bytes));
  const found = parseIndex(bytes, ino, size, table);
  if (found.usable && (found.end === 0 || endsWithRecord(file, found.end))) return { table, end: found.end, size };
  if (found.usable || found.corrupt) removeQuietly(indexPath);
  return { table: new RecordTable(), end: 0, size };
}

/**
 * A maildrop over an open mailbox file, kept open until `close`. Reads are
 * synchronous, from the page cache quicker than a trip through the blocking
 * thread pool, and seek only when the file is not already at the offset
 * wanted: records read in order take one system call per chunk.
 */
class FileMaildrop extends TableMaildrop {
  readonly #file: Deno.FsFile;
  /** The file's position, or -1 when unknown. */
  #position = -1;

  constructor(file: Deno.FsFile, table: RecordTable) {
    super(table);
    this.#file = file;
  }

  protected *readRange(offset: number, length: number): Generator<Uint8Array> {
    for (let done = 0; done < length;) {
      const buf = new Uint8Array(Math.min(READ_CHUNK, length - done));
      const n = this.#readAt(buf, offset + done);
      if (n === null) {
        throw new Error(
          `Cannot read ${length} bytes at offset ${offset}: the mailbox ends ${length - done} bytes early`,
        );
      }
      done += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  }

  protected release(): void {
    this.#file.close();
  }

  /** Reads into `buf` from offset `at`, seeking first unless the file is there. */
  #readAt(buf: Uint8Array, at: number): number | null {
    const there = this.#position === at;
    this.#position = -1;
    if (!there) this.#file.seekSync(at, Deno.SeekMode.Start);
    const n = this.#file.readSync(buf);
    if (n !== null) this.#position = at + n;
    return n;
  }
}

/** The index at `path`, or `null` when it is missing or cannot be read: a cache, it is then ignored. */
function readIndexFile(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch {
    return null;
  }
}

/** Removes a file that a reader found corrupt; failing is harmless, as the index is checked on every use. */
function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Another process may have replaced or removed it meanwhile: either is fine.
  }
}

/** Number of "\n" in `bytes`: an index's line count, to size its table. */
function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) lines++;
  return lines;
}
