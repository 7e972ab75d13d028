/**
 * Operations on one open mailbox file, each run by `FileMailStore` under the
 * delivery lock (or, for listing, on a snapshot that needs none).
 *
 * @module
 */

import { completeLength, copyRange, openIfExists, readRange, scanFile, writeChunks } from "./file_io.ts";
import { fallbackId } from "./record.ts";
import type { MailRecord } from "./store.ts";

/** Opens the mailbox for appending, creating it when missing. */
export async function openMailbox(
  path: string,
): Promise<{ file: Deno.FsFile; created: boolean }> {
  const file = await openIfExists(path, { read: true, write: true });
  if (file !== null) return { file, created: false };
  const options = { read: true, write: true, createNew: true, mode: 0o600 };
  return { file: await Deno.open(path, options), created: true };
}

/**
 * Cuts a torn tail, appends the chunks and syncs. On failure, truncates back
 * so that no part of the batch remains.
 */
export async function appendRecords(
  file: Deno.FsFile,
  chunks: Uint8Array[],
): Promise<void> {
  const { size: found } = await file.stat();
  const size = await completeLength(file, found);
  try {
    if (size < found) await file.truncate(size);
    await file.seek(size, Deno.SeekMode.Start);
    await writeChunks(file, chunks);
    await file.syncData();
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
  kept: MailRecord[],
  paths: { path: string; tmpPath: string },
): Promise<void> {
  const { path, tmpPath } = paths;
  const options = { write: true, create: true, truncate: true, mode: 0o600 };
  try {
    const replacement = await Deno.open(tmpPath, options);
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
function contiguousRuns(records: MailRecord[]): [number, number][] {
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
 * get one hashed from their bytes (`fallbackId`).
 */
export async function listRecords(file: Deno.FsFile): Promise<MailRecord[]> {
  const records: MailRecord[] = [];
  for (const { offset, storedLength, size, header } of await scanFile(file)) {
    const id = header.id ??
      await fallbackId(readRange(file, offset, storedLength));
    const { from, to, subject, received } = header;
    records.push({
      offset,
      storedLength,
      size,
      id,
      from,
      to,
      subject,
      received,
    });
  }
  return records;
}
