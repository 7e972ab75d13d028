/**
 * Keeping `mymailbox.idx` current (see `maildrop_index.ts`). Every function
 * here runs under the delivery lock, after the mailbox change it records
 * has been synced; the index itself is not synced, being a cache that
 * readers check and can always rebuild from the mailbox. Where the file
 * system reports no inode numbers, no index is written (readers then scan).
 *
 * Lines once written are never changed in place: an index is only appended
 * to (after cutting a torn line past its last "\n") or replaced whole by
 * renaming a new file over it. An open POP3 maildrop reads its ids back
 * from the index it opened, and relies on this.
 *
 * @module
 */

import { endsWithRecord, openIfExists, writeAllSync } from "./file_io.ts";
import {
  fileIdentity,
  indexHeader,
  indexLine,
  readIndexTail,
  type RecordEntry,
  scanChunks,
  scanEntries,
} from "./maildrop_index.ts";
import { totalLength } from "../record.ts";
import { openNoFollowSync } from "./no_follow.ts";

/** Index text gathered before one write. */
const FLUSH_AT = 64 * 1024;

const encoder = new TextEncoder();

/** Where the index of one mailbox lives. */
export interface IndexPaths {
  /** The index, `mymailbox.idx`. */
  path: string;
  /** Its replacement while being written whole, `mymailbox.idx.tmp`. */
  tmpPath: string;
}

/**
 * Brings the index of `mailbox` up to date with the complete records now
 * in it: appends lines for those past the index's end (the records of the
 * last change, plus any a crash kept from being indexed), taking them from
 * `appended` or reading them back from the page cache. Writes the index
 * anew from a scan of the whole mailbox when it is missing, describes
 * another file, ends after `changedAt` or not at a record end, or its last
 * line is malformed.
 *
 * @param mailbox The mailbox, open for reading.
 * @param changedAt Where the change being recorded began: nothing indexed
 *   may lie after it (default: the mailbox's size).
 * @param appended The chunks that the change appended at `changedAt`, when
 *   it was an append: their records are indexed without reading them back.
 * @returns Whether it wrote the index anew and had to scan records from
 *   before `changedAt` for that.
 */
export async function updateIndex(
  mailbox: Deno.FsFile,
  paths: IndexPaths,
  changedAt?: number,
  appended?: Uint8Array[],
): Promise<boolean> {
  const info = mailbox.statSync();
  const { size } = info;
  const identity = fileIdentity(info);
  if (identity === null) return false;
  const index = openIfExists(paths.path, { read: true, write: true });
  if (index !== null) {
    try {
      const tail = readIndexTail(index, identity);
      const limit = Math.min(size, changedAt ?? size);
      // A record end at `changedAt` was checked by the append itself.
      const atRecordEnd = (end: number) => end === 0 || end === changedAt || endsWithRecord(mailbox, end);
      if (tail !== null && tail.end <= limit && atRecordEnd(tail.end)) {
        if (tail.size > tail.length) index.truncateSync(tail.length);
        index.seekSync(tail.length, Deno.SeekMode.Start);
        const lines = new IndexLines(index);
        const add = (entry: RecordEntry) => lines.add(entry);
        if (appended !== undefined && tail.end === changedAt && size === changedAt + totalLength(appended)) {
          await scanChunks(appended, changedAt, add);
        } else {
          await scanEntries(mailbox, tail.end, size, add);
        }
        lines.flush();
        return false;
      }
    } finally {
      index.close();
    }
  }
  await rewriteIndex(mailbox, paths);
  return (changedAt ?? size) > 0;
}

/**
 * Opens the mailbox at `path` and brings its index up to date
 * (`updateIndex`), after a change that may have cut or replaced the file.
 */
export async function refreshIndex(path: string, paths: IndexPaths): Promise<boolean> {
  using mailbox = openNoFollowSync(path, { read: true });
  return await updateIndex(mailbox, paths);
}

/**
 * Writes the index of the mailbox at `path`, just rewritten to hold the
 * `kept` records one after another, without reading it.
 *
 * @param kept The records in file order, with the ids they were served with.
 */
export async function indexRewrittenMailbox(
  path: string,
  kept: Pick<RecordEntry, "storedLength" | "size" | "id">[],
  paths: IndexPaths,
): Promise<void> {
  const identity = fileIdentity(await Deno.stat(path));
  if (identity === null) return;
  await writeIndex(paths, identity, (lines) => {
    let offset = 0;
    for (const { storedLength, size, id } of kept) {
      lines.add({ offset, storedLength, size, id });
      offset += storedLength;
    }
  });
}

/** Writes the index of `mailbox` anew from a scan of the whole file. */
async function rewriteIndex(mailbox: Deno.FsFile, paths: IndexPaths): Promise<void> {
  const info = mailbox.statSync();
  const identity = fileIdentity(info);
  if (identity === null) return;
  await writeIndex(paths, identity, async (lines) => {
    await scanEntries(mailbox, 0, info.size, (entry) => lines.add(entry));
  });
}

/**
 * Writes a whole index to `tmpPath` and renames it over `path`, so that a
 * reader sees the old index or the new one. On failure, removes `tmpPath`.
 *
 * @param identity The `fileIdentity` of the mailbox file the index describes.
 * @param fill Adds the records' lines in file order.
 */
async function writeIndex(
  paths: IndexPaths,
  identity: string,
  fill: (lines: IndexLines) => Promise<void> | void,
): Promise<void> {
  const options = { write: true, create: true, truncate: true, mode: 0o600 };
  try {
    const file = openNoFollowSync(paths.tmpPath, options);
    try {
      writeAllSync(file, encoder.encode(indexHeader(identity)));
      const lines = new IndexLines(file);
      await fill(lines);
      lines.flush();
    } finally {
      file.close();
    }
    Deno.renameSync(paths.tmpPath, paths.path);
  } catch (error) {
    try {
      Deno.removeSync(paths.tmpPath);
    } catch (undo) {
      if (!(undo instanceof Deno.errors.NotFound)) throw new AggregateError([error, undo], "Cannot write the index");
    }
    throw error;
  }
}

/** Index lines written at a file's position in blocks of about 64 KiB. */
class IndexLines {
  readonly #file: Deno.FsFile;
  #text = "";

  /** @param file The index, positioned where the lines go. */
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Adds the line of the next record. */
  add(entry: RecordEntry): void {
    this.#text += indexLine(entry);
    if (this.#text.length >= FLUSH_AT) this.flush();
  }

  /** Writes the lines gathered so far. */
  flush(): void {
    if (this.#text === "") return;
    writeAllSync(this.#file, encoder.encode(this.#text));
    this.#text = "";
  }
}
