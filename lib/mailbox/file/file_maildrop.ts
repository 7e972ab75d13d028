/**
 * Opening a mailbox file as a POP3 `Maildrop`: the records come from the
 * index (`maildrop_index.ts`) plus a scan of what lies past its end, or from
 * a scan of the whole file when the index cannot be used.
 *
 * @module
 */

import { endsWithRecord, removeQuietly } from "./file_io.ts";
import {
  fileIdentity,
  fileReadAt,
  indexHeader,
  indexLine,
  measureIndex,
  parseIndex,
  scanEntries,
} from "./maildrop_index.ts";
import { BytesMaildrop, RecordTable, TableMaildrop } from "../maildrop_table.ts";
import type { ReadAt } from "../record_ids.ts";
import type { Maildrop } from "../store.ts";
import { openNoFollowSync } from "./no_follow.ts";

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
 * A corrupt index (right file, bad line) is removed, so that the next
 * delivery writes it anew. The caller holds the session lock, and the
 * delivery lock while this runs (see `FileMailStore.openMaildrop`).
 */
export async function openFileMaildrop(path: string, indexPath: string): Promise<OpenedMaildrop> {
  let file: Deno.FsFile;
  try {
    file = openNoFollowSync(path, { read: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return { maildrop: new BytesMaildrop(new Uint8Array(), new RecordTable(0, 0)), fullScan: false };
  }
  let index: Deno.FsFile | null = null;
  try {
    const loaded = loadIndex(file, indexPath);
    index = loaded.index;
    const { table, end, size } = loaded;
    await scanEntries(file, end, size, (entry) => table.add(entry.offset, entry.storedLength, entry.size, entry.id));
    return { maildrop: new FileMaildrop(file, index, table), fullScan: end === 0 && size > 0 };
  } catch (error) {
    file.close();
    index?.close();
    throw error;
  }
}

/**
 * Reads a synthetic index of `records` lines from memory, as a login reads
 * one from its file. Run once at server start, it lets the parser be
 * compiled before the first login, which would otherwise pay for it
 * (measured: 20 against 4 ms for 10,000 messages).
 */
export function warmUpIndexParsing(records = 1000): void {
  const identity = "1 -";
  const lines = [indexHeader(identity)];
  for (let i = 0; i < records; i++) {
    lines.push(indexLine({ offset: i * 4100, storedLength: 4100, size: 4000, id: `warm${i}.x` }));
  }
  const bytes = new TextEncoder().encode(lines.join(""));
  const read: ReadAt = (buf, position) => {
    const part = bytes.subarray(position, position + buf.length);
    buf.set(part);
    return part.length;
  };
  const table = tableOfIndex(read, identity, bytes.length, () => Number.MAX_SAFE_INTEGER);
  if (!(table instanceof RecordTable)) throw new Error("Cannot warm up: the synthetic index did not parse");
  table.seal();
  for (let i = 0; i < table.count; i++) table.id(i);
}

/**
 * The records the index at `indexPath` holds for `file`, where they end,
 * and the file's size; no records when the index is missing, unreadable,
 * stale or corrupt. The records' ids stay in the index: its handle is
 * returned open when the table reads from it, to be closed after the table.
 */
function loadIndex(
  file: Deno.FsFile,
  indexPath: string,
): { table: RecordTable; end: number; size: number; index: Deno.FsFile | null } {
  const index = openQuietly(indexPath);
  const identity = fileIdentity(file.statSync());
  // The mailbox's size is taken after the index's extent: every record the index names was synced before it was written.
  let size = 0;
  let table: RecordTable | null | "corrupt" = null;
  try {
    if (index !== null && identity !== null) {
      table = tableOfIndex(fileReadAt(index), identity, index.statSync().size, () => size = file.statSync().size);
    }
  } catch {
    // An index that cannot be read is a cache that is not there.
  }
  if (table instanceof RecordTable && (table.end === 0 || endsWithRecord(file, table.end))) {
    return { table, end: table.end, size, index };
  }
  index?.close();
  if (table !== null) removeQuietly(indexPath);
  size = file.statSync().size;
  return { table: new RecordTable(0, size), end: 0, size, index: null };
}

/**
 * Reads an index in two passes: the first counts its records, so that the
 * second fills a table of exactly that size, with no array grown and
 * copied on the way.
 *
 * @param length The index's size.
 * @param mailboxSize Called between the passes: the mailbox file's size
 *   then; the second pass reads only the lines the first one found.
 * @returns The table, which reads ids from the index when asked; `null`
 *   when the index is not one of this file; "corrupt" when it is but a
 *   line is malformed or inconsistent.
 */
function tableOfIndex(
  read: ReadAt,
  identity: string,
  length: number,
  mailboxSize: () => number,
): RecordTable | null | "corrupt" {
  const shape = measureIndex(read, identity, length);
  if (!shape.usable) return shape.corrupt ? "corrupt" : null;
  const limit = mailboxSize();
  // A record takes at least 3 octets: an index of empty lines must not size the table beyond the mailbox.
  const table = new RecordTable(Math.min(shape.lines, Math.floor(limit / 3)), limit, { read, length: shape.length });
  return parseIndex(read, identity, shape.length, limit, table).usable ? table : "corrupt";
}

/**
 * A maildrop over an open mailbox file, kept open until `close`. Reads are
 * synchronous, from the page cache quicker than a trip through the blocking
 * thread pool, go into one buffer reused for every chunk, and seek only
 * when the file is not already at the offset wanted: records read in order
 * take one system call per chunk and allocate nothing.
 */
class FileMaildrop extends TableMaildrop {
  readonly #file: Deno.FsFile;
  /** The index the table reads ids from, if any. */
  readonly #index: Deno.FsFile | null;
  #buffer: Uint8Array | undefined;
  /** The file's position, or -1 when unknown. */
  #position = -1;

  constructor(file: Deno.FsFile, index: Deno.FsFile | null, table: RecordTable) {
    super(table);
    this.#file = file;
    this.#index = index;
  }

  protected *readRange(offset: number, length: number): Generator<Uint8Array> {
    const buffer = this.#buffer ??= new Uint8Array(READ_CHUNK);
    for (let done = 0; done < length;) {
      const n = this.#readAt(buffer.subarray(0, Math.min(READ_CHUNK, length - done)), offset + done);
      if (n === null) {
        throw new Error(
          `Cannot read ${length} bytes at offset ${offset}: the mailbox ends ${length - done} bytes early`,
        );
      }
      done += n;
      yield buffer.subarray(0, n);
    }
  }

  protected release(): void {
    this.#file.close();
    this.#index?.close();
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

/** The index at `path` opened for reading, or `null` when it is missing or cannot be opened: a cache, it is then ignored. */
function openQuietly(path: string): Deno.FsFile | null {
  try {
    return openNoFollowSync(path, { read: true });
  } catch {
    return null;
  }
}
