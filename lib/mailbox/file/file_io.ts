/**
 * File operations behind `FileMailStore`: locked sections, chunked reads and
 * writes, the torn-tail check and directory syncs.
 *
 * @module
 */

import { RecordScanner, type ScannedRecord } from "../scanner.ts";
import { totalLength } from "../record.ts";
import type { SessionLock } from "../store.ts";
import { openNoFollowSync, refuseLink } from "./no_follow.ts";

/** Bytes read per call when scanning a whole mailbox. */
export const SCAN_CHUNK = 256 * 1024;
/** Bytes read per call when streaming or copying records. */
const READ_CHUNK = 64 * 1024;
/** Largest buffer used to gather small chunks into one write. */
const WRITE_CHUNK = 1024 * 1024;
/** Largest batch written from the main thread (see `writeChunks`). */
export const MAIN_THREAD_WRITE = 8 * 1024;
/** Bytes examined per step when looking backwards for the last record end. */
const TAIL_CHUNK = 64 * 1024;

/** Opens a file (never through a symbolic link: `openNoFollowSync`), or returns `null` when it does not exist. */
export function openIfExists(path: string, options: Deno.OpenOptions): Deno.FsFile | null {
  try {
    return openNoFollowSync(path, options);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Runs `fn` holding an exclusive `flock` on `lockPath` (created if needed),
 * waiting for it as long as another holder keeps it, in any process.
 */
export async function withLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
): Promise<T> {
  // Opening and an uncontended flock are quick system calls: done synchronously they
  // avoid two trips through the blocking thread pool on every delivery batch.
  const lock = openNoFollowSync(lockPath, { read: true, write: true, create: true, mode: 0o600 });
  try {
    if (!lock.tryLockSync(true)) await lock.lock(true);
    return await fn();
  } finally {
    lock.close();
  }
}

/**
 * Tries once, without waiting, to take an exclusive `flock` on `lockPath`
 * (created if needed), held until released or the process ends.
 *
 * @returns The lock, or `null` when another holder has it.
 */
export async function tryLock(lockPath: string): Promise<SessionLock | null> {
  const file = openNoFollowSync(lockPath, { read: true, write: true, create: true, mode: 0o600 });
  let locked = false;
  try {
    locked = await file.tryLock(true);
  } finally {
    if (!locked) file.close();
  }
  if (!locked) return null;
  let held = true;
  return {
    release: async () => {
      if (!held) return;
      held = false;
      try {
        await file.unlock();
      } finally {
        file.close();
      }
    },
  };
}

/** Flushes a directory's entries (a created or renamed file) to disk. */
export async function syncDir(dir: string): Promise<void> {
  refuseLink(dir);
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * Yields `length` bytes of `file` from `offset` in chunks of at most
 * `chunkSize`. Moves the file position: use one reader per handle at a time.
 *
 * @throws {Error} When the file ends first (it changed since it was listed).
 */
export async function* readRange(
  file: Deno.FsFile,
  offset: number,
  length: number,
  chunkSize: number = READ_CHUNK,
): AsyncGenerator<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  for (let left = length; left > 0;) {
    const buf = new Uint8Array(Math.min(chunkSize, left));
    const n = await file.read(buf);
    if (n === null) {
      throw new Error(
        `Cannot read ${length} bytes at offset ${offset}: the mailbox ends ${left} bytes early`,
      );
    }
    left -= n;
    yield buf.subarray(0, n);
  }
}

/** Finds the complete records of an open mailbox, reading it in chunks. */
export async function scanFile(file: Deno.FsFile): Promise<ScannedRecord[]> {
  const scanner = new RecordScanner();
  await file.seek(0, Deno.SeekMode.Start);
  const buf = new Uint8Array(SCAN_CHUNK);
  for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
    scanner.push(buf.subarray(0, n));
  }
  return scanner.records;
}

/**
 * Yields `length` bytes of `file` from `offset` in fresh chunks of at most
 * `chunkSize`, read synchronously: from the page cache that is quicker than
 * a trip through the blocking thread pool. Seeks before each read, so other
 * readers of the handle may run between chunks.
 *
 * @throws {Error} When the file ends first.
 */
export function* readRangeSync(
  file: Deno.FsFile,
  offset: number,
  length: number,
  chunkSize: number = READ_CHUNK,
): Generator<Uint8Array> {
  for (let done = 0; done < length;) {
    const buf = new Uint8Array(Math.min(chunkSize, length - done));
    file.seekSync(offset + done, Deno.SeekMode.Start);
    const n = file.readSync(buf);
    if (n === null) {
      throw new Error(
        `Cannot read ${length} bytes at offset ${offset}: the mailbox ends ${length - done} bytes early`,
      );
    }
    done += n;
    yield n === buf.length ? buf : buf.subarray(0, n);
  }
}

/** Writes every byte of `bytes` at the file's position. */
async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await file.write(bytes.subarray(done));
  }
}

/** Writes every byte of `bytes` at the file's position, synchronously. */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

/**
 * Writes the chunks in order at the file's position, small chunks gathered
 * so that a batch takes few system calls. A batch of up to
 * `MAIN_THREAD_WRITE` octets is written synchronously: the trip to the
 * blocking thread pool and back costs more than its copy into the page
 * cache. A larger one goes through the pool: the main thread, which all
 * sessions share, still gathers the small chunks, but the system calls and
 * the kernel's copy into the page cache are the pool's.
 */
export async function writeChunks(file: Deno.FsFile, chunks: Uint8Array[]): Promise<void> {
  const total = totalLength(chunks);
  const onMainThread = total <= MAIN_THREAD_WRITE;
  for (const bytes of gathered(chunks, new Uint8Array(Math.min(total, WRITE_CHUNK)))) {
    if (onMainThread) writeAllSync(file, bytes);
    else await writeAll(file, bytes);
  }
}

/**
 * The chunks in order, small ones gathered into `buffer`: each piece
 * yielded is a chunk of its own or a view of `buffer`, which is reused once
 * the caller asks for the next piece.
 */
function* gathered(chunks: Uint8Array[], buffer: Uint8Array): Generator<Uint8Array> {
  let used = 0;
  for (const chunk of chunks) {
    if (used + chunk.length > buffer.length && used > 0) {
      yield buffer.subarray(0, used);
      used = 0;
    }
    if (chunk.length > buffer.length) {
      yield chunk;
    } else {
      buffer.set(chunk, used);
      used += chunk.length;
    }
  }
  if (used > 0) yield buffer.subarray(0, used);
}

/** Copies `length` bytes of `from` at `offset` to the position of `to`. */
export async function copyRange(
  from: Deno.FsFile,
  offset: number,
  length: number,
  to: Deno.FsFile,
): Promise<void> {
  for await (const chunk of readRange(from, offset, length, SCAN_CHUNK)) {
    await writeAll(to, chunk);
  }
}

/**
 * The length of the mailbox without a torn last record: `size` when the
 * file ends with a record, else the offset just past the last record end
 * (0 if none). Reads backwards from the end, not the whole file.
 */
export async function completeLength(
  file: Deno.FsFile,
  size: number,
): Promise<number> {
  if (size === 0) return 0;
  if (endsWithRecord(file, size)) return size;
  for (let hi = size;;) {
    const lo = Math.max(0, hi - TAIL_CHUNK);
    const buf = await readTail(file, lo, Math.min(size, hi + 2));
    // In `buf`, a record-end dot at index d is preceded by CRLF and
    // followed by CRLF; the file reads as if a CRLF preceded offset 0.
    const base = lo === 0 ? -2 : lo;
    for (let d = hi - base - 1; d >= 2; d--) {
      d = buf.lastIndexOf(0x2e, d);
      if (d < 2) break;
      if (isRecordEnd(buf, d)) return base + d + 3;
    }
    if (lo === 0) return 0;
    hi = lo + 2;
  }
}

/**
 * Whether the bytes of `file` just before offset `size` end a record (the
 * file read as if a CRLF preceded offset 0). Synchronous: one short read.
 */
export function endsWithRecord(file: Deno.FsFile, size: number): boolean {
  const tail = new Uint8Array(5);
  tail.set([0x0d, 0x0a]);
  const start = Math.max(0, size - 5);
  file.seekSync(start, Deno.SeekMode.Start);
  let at = 5 - (size - start);
  while (at < 5) {
    const n = file.readSync(tail.subarray(at));
    if (n === null) return false;
    at += n;
  }
  return isRecordEnd(tail, 2);
}

/** Whether `buf[d]` is the dot of a "\r\n.\r\n" record end. */
function isRecordEnd(buf: Uint8Array, d: number): boolean {
  return d >= 2 && buf[d - 2] === 0x0d && buf[d - 1] === 0x0a &&
    buf[d] === 0x2e && buf[d + 1] === 0x0d && buf[d + 2] === 0x0a;
}

/** Reads `file[lo, hi)`, with a virtual CRLF in front when `lo` is 0. */
async function readTail(
  file: Deno.FsFile,
  lo: number,
  hi: number,
): Promise<Uint8Array> {
  const prefix = lo === 0 ? 2 : 0;
  const buf = new Uint8Array(prefix + hi - lo);
  buf.set([0x0d, 0x0a].slice(0, prefix));
  let at = prefix;
  for await (const chunk of readRange(file, lo, hi - lo, TAIL_CHUNK + 2)) {
    buf.set(chunk, at);
    at += chunk.length;
  }
  return buf;
}

/**
 * Removes a file that is stale or corrupt (a cache, a leftover), if it is
 * there; failing is harmless, as what it held is checked before any use.
 */
export function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Absent, or another process replaced or removed it meanwhile: either is fine.
  }
}
