/**
 * Operations on one open mailbox file, each run by `FileMailStore` under the
 * delivery lock (or, for listing, on a snapshot that needs none).
 *
 * @module
 */

import { completeLength, copyRange, readRange, scanFile, writeChunks } from "./file_io.ts";
import { concatBytes } from "../../bytes.ts";
import { fallbackId, uniqueIds } from "../record.ts";
import type { MailRecord } from "../store.ts";
import { openNoFollowSync } from "./no_follow.ts";

/** Where a record lies in the mailbox file. */
export type Span = Pick<MailRecord, "offset" | "storedLength">;

/**
 * Opens the mailbox for appending, creating it when missing. Synchronous:
 * opening is a quick system call, and a trip through the blocking thread
 * pool on every delivery batch costs more than the call itself.
 */
export function openMailbox(path: string): { file: Deno.FsFile; created: boolean } {
  try {
    return { file: openNoFollowSync(path, { read: true, write: true }), created: false };
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const options = { read: true, write: true, createNew: true, mode: 0o600 };
  return { file: openNoFollowSync(path, options), created: true };
}

/**
 * Cuts a torn tail, appends the chunks and syncs. On failure, truncates back
 * so that no part of the batch remains.
 *
 * @param end The file's size when known to end with a complete record (the
 *   caller's own last append, the file unchanged since): no tail check.
 * @param whileSyncing Work of the caller's to do while the sync runs, told
 *   where the chunks were written. The append waits for it to end either
 *   way, and its failure is the caller's own: it does not fail the append.
 * @returns The offset where the chunks were written.
 */
export async function appendRecords(
  file: Deno.FsFile,
  chunks: Uint8Array[],
  end?: number,
  whileSyncing?: (start: number) => Promise<void>,
): Promise<number> {
  const found = end ?? file.statSync().size;
  const size = end ?? await completeLength(file, found);
  try {
    if (size < found) await file.truncate(size);
    file.seekSync(size, Deno.SeekMode.Start);
    await writeChunks(file, chunks);
    const work = async () => await whileSyncing?.(size);
    const [synced] = await Promise.allSettled([file.syncData(), work()]);
    if (synced.status === "rejected") throw synced.reason;
    return size;
  } catch (error) {
    try {
      await file.truncate(size);
    } catch (undo) {
      throw new AggregateError(
        [error, undo],
        `Cannot append to the mailbox nor truncate it back to ${size} bytes`,
      );
    }
    throw error;
  }
}

/**
 * Replaces the mailbox at `path` by a copy of the kept records of `file`
 * (its open snapshot): writes them to `tmpPath`, syncs it and renames it
 * over `path`. The caller syncs the directory. A crash at any point leaves
 * the old or the new mailbox, and at worst a stale `tmpPath`.
 */
export async function replaceMailbox(
  file: Deno.FsFile,
  kept: Span[],
  paths: { path: string; tmpPath: string },
): Promise<void> {
  const { path, tmpPath } = paths;
  const options = { write: true, create: true, truncate: true, mode: 0o600 };
  try {
    const replacement = openNoFollowSync(tmpPath, options);
    try {
      for (const [offset, length] of contiguousRuns(kept)) {
        await copyRange(file, offset, length, replacement);
      }
      await replacement.syncData();
    } finally {
      replacement.close();
    }
    await Deno.rename(tmpPath, path);
  } catch (error) {
    await Deno.remove(tmpPath).catch((undo) => {
      if (undo instanceof Deno.errors.NotFound) return;
      throw new AggregateError([error, undo], "Cannot rewrite the mailbox");
    });
    throw error;
  }
}

/** Merges records that follow each other into `[offset, length]` runs. */
function contiguousRuns(records: Span[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const { offset, storedLength } of records) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] === offset) last[1] += storedLength;
    else runs.push([offset, storedLength]);
  }
  return runs;
}

/**
 * Lists the complete records of an open mailbox. Records without a trace id
 * get one hashed from their bytes (`fallbackId`); repeated ids are made
 * unique (`uniqueIds`).
 */
export async function listRecords(file: Deno.FsFile): Promise<MailRecord[]> {
  const records = await listRawRecords(file);
  const unique = uniqueIds(records.map((record) => record.id));
  for (const [i, record] of records.entries()) record.id = unique[i];
  return records;
}

/**
 * Lists the complete records of an open mailbox with the ids they carry:
 * the trace id, or the `fallbackId` of a record without one. Repeated ids
 * are left as they are (the index keeps them so).
 */
async function listRawRecords(file: Deno.FsFile): Promise<MailRecord[]> {
  const records: MailRecord[] = [];
  for (const { offset, storedLength, size, header } of await scanFile(file)) {
    const { from, to, subject, received } = header;
    const id = header.id ?? await fallbackId(readRange(file, offset, storedLength));
    records.push({ offset, storedLength, size, id, from, to, subject, received });
  }
  return records;
}

/**
 * Takes back a record that was appended but must not count (a delivery
 * that failed for another user): finds the last record equal to `record`
 * and rewrites the mailbox without it (`replaceMailbox`).
 *
 * @returns Whether the mailbox was replaced (the caller syncs the directory).
 */
export async function withdrawRecord(
  file: Deno.FsFile,
  record: Uint8Array[],
  paths: { path: string; tmpPath: string },
): Promise<boolean> {
  const bytes = concatBytes(record);
  const spans = await scanFile(file);
  for (let i = spans.length - 1; i >= 0; i--) {
    const { offset, storedLength } = spans[i];
    if (storedLength !== bytes.length || !await rangeEquals(file, offset, bytes)) continue;
    // Replaced even when last, never cut in place: an open POP3 maildrop
    // reads its records by offset from the file it opened, and later
    // deliveries must not land where it expects the withdrawn copy.
    await replaceMailbox(file, spans.filter((_, j) => j !== i), paths);
    return true;
  }
  return false;
}

/** Whether the file holds `bytes` at `offset`. */
async function rangeEquals(file: Deno.FsFile, offset: number, bytes: Uint8Array): Promise<boolean> {
  let at = 0;
  for await (const chunk of readRange(file, offset, bytes.length)) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== bytes[at + i]) return false;
    }
    at += chunk.length;
  }
  return true;
}
