/**
 * The mailbox store on disk: one file `ROOT/<User>/mymailbox` per user,
 * shared by the SMTP and POP3 server processes (see `../shared/DESIGN.md`,
 * "Concurrency and durability").
 *
 * Beside each mailbox: `mymailbox.lock`, the delivery lock every writer
 * holds (appends, the torn-tail repair, rewrites); `mymailbox.pop.lock`, the
 * POP3 session lock; `mymailbox.tmp`, a rewrite in progress; and
 * `mymailbox.idx` (with `mymailbox.idx.tmp` while written whole), the index
 * that lets `openMaildrop` skip reading the messages, which every writer
 * brings up to date in the same locked section (`index_writer.ts`).
 *
 * @module
 */

import { join } from "node:path";
import { openIfExists, readRange, removeQuietly, syncDir, tryLock, withLock } from "./file_io.ts";
import { openFileMaildrop } from "./file_maildrop.ts";
import { GroupCommit } from "./group_commit.ts";
import { type IndexPaths, indexRewrittenMailbox, refreshIndex, updateIndex } from "./index_writer.ts";
import { appendRecords, listRecords, replaceMailbox, withdrawRecord } from "./mailbox_file.ts";
import {
  type Delivery,
  type Maildrop,
  type MailRecord,
  type MailStore,
  QuotaExceeded,
  type SessionLock,
  StorageFull,
} from "../store.ts";
import { totalLength } from "../record.ts";
import { openNoFollowSync, refuseLink } from "./no_follow.ts";
import { fileIdentity, indexLine, type RecordEntry, scanChunks } from "./maildrop_index.ts";
import type { HeldMailbox } from "./held_mailbox.ts";
import { HeldMailboxes } from "./held_mailboxes.ts";
import { type MailboxPaths, mailboxPaths } from "./mailbox_paths.ts";

const encoder = new TextEncoder();

/** Where `FileMailStore` keeps its files. */
export interface FileMailStoreOptions {
  /** The data root, holding one directory per user. It must exist. */
  root: string;
}

/** Counters that show how well deliveries are batched and the index serves. */
export interface FileMailStoreStats {
  /** Copies submitted for storage, one per user of each delivery. */
  deliveries: number;
  /** Batches written, each with one lock, one write run and one sync. */
  batches: number;
  /** `openMaildrop` calls that scanned the whole mailbox: no usable index, or one without lines. */
  fullScans: number;
  /** Indexes written anew from a scan of the whole mailbox (missing, stale or broken). */
  indexRewrites: number;
  /** Index updates that failed; the mailbox change itself stood (the index is a cache). */
  indexErrors: number;
}

/**
 * A `MailStore` over mailbox files, safe to share with other processes that
 * follow the same locking (the POP3 server).
 *
 * Deliveries to one user are group-committed: those that arrive while a
 * batch is being written form the next batch, which takes the delivery lock
 * once, repairs a torn tail, appends all its records and syncs once.
 * Files are created with mode 0600 and user directories with 0700.
 */
export class FileMailStore implements MailStore {
  readonly #root: string;
  readonly #commit = new GroupCommit<Delivery>((user, deliveries) => this.#append(user, deliveries));
  /** The mailbox paths of the users seen so far (only names that passed `#pathsOf`'s check: this server's users). */
  readonly #paths = new Map<string, MailboxPaths>();
  /** User directories known to exist. */
  readonly #dirs = new Set<string>();
  /** The lock, mailbox and index files of mailboxes receiving deliveries, kept open from batch to batch. */
  readonly #held = new HeldMailboxes();
  readonly #stats: FileMailStoreStats = { deliveries: 0, batches: 0, fullScans: 0, indexRewrites: 0, indexErrors: 0 };

  /** @param options Where the mailboxes live. */
  constructor(options: FileMailStoreOptions) {
    this.#root = options.root;
  }

  /** Closes the mailbox files kept open for deliveries; deliveries still under way close theirs as they end. */
  close(): void {
    this.#held.close();
  }

  /** A snapshot of the batching counters since construction. */
  get stats(): FileMailStoreStats {
    return { ...this.#stats };
  }

  /**
   * Appends the record to each user's mailbox, durably, in one batch per
   * user with whatever else is waiting.
   *
   * All or nothing: for several users, each mailbox is first checked to be
   * writable, and when a copy still fails, the copies already stored are
   * withdrawn before rejecting, so that the client's retry leaves one copy
   * each. (Between its sync and its withdrawal, a copy is visible.)
   *
   * @throws {TypeError} (as a rejection) When there are no users or a name
   *   cannot be a directory name.
   */
  async deliver(delivery: Delivery): Promise<void> {
    const users = [...new Set(delivery.users)];
    if (users.length === 0) throw new TypeError("Cannot deliver: no users");
    for (const user of users) this.#pathsOf(user);
    if (users.length > 1) {
      await Promise.all(users.map(async (user) => {
        try {
          await this.#checkWritable(user);
        } catch (error) {
          throw deliveryError(user, error);
        }
      }));
    }
    this.#stats.deliveries += users.length;
    const results = await Promise.allSettled(users.map((user) => this.#commit.submit(user, delivery)));
    const failures = results.flatMap((result, i): [string, unknown][] =>
      result.status === "rejected" ? [[users[i], result.reason]] : []
    );
    if (failures.length === 0) return;
    const stored = users.filter((_, i) => results[i].status === "fulfilled");
    const undone = await Promise.allSettled(stored.map((user) => this.#withdraw(user, delivery.record)));
    const kept = stored.filter((_, i) => undone[i].status === "rejected");
    const overQuota = failures.find(([, reason]) => reason instanceof QuotaExceeded)?.[1];
    if (overQuota !== undefined && kept.length === 0) throw overQuota;
    const note = kept.length > 0 ? ` (and cannot withdraw the copies of ${kept.join(", ")})` : "";
    const error = deliveryError(failures[0][0], failures[0][1], note);
    if (kept.length === 0 && failures.some(([, reason]) => isNoSpace(reason))) {
      throw new StorageFull(error.message, error);
    }
    throw error;
  }

  /**
   * Lists the complete records, reading the file in bounded chunks, with
   * the ids a maildrop serves (`#entries`), under the delivery lock.
   */
  async list(user: string): Promise<MailRecord[]> {
    const paths = this.#pathsOf(user);
    if (refuseLink(paths.dir) === undefined) return [];
    return await withLock(paths.deliveryLock, async () => {
      const file = openIfExists(paths.mailbox, { read: true });
      if (file === null) return [];
      try {
        const records = await listRecords(file);
        const entries = await this.#entries(paths);
        return records.map((record, i) => ({ ...record, id: entries[i]?.id ?? record.id }));
      } finally {
        file.close();
      }
    });
  }

  /**
   * Streams the record's stored bytes in chunks of 64 KiB, opening the file
   * at the first read and closing it at the end or on cancel.
   *
   * Precondition: `record` comes from `list` on the current file (see
   * `MailStore.read`). The stream errors if the file has become too short.
   */
  read(user: string, record: MailRecord): ReadableStream<Uint8Array> {
    return ReadableStream.from(
      streamRange(this.#pathsOf(user).mailbox, record.offset, record.storedLength),
    );
  }

  /**
   * Rewrites the mailbox without the given records under the delivery lock:
   * copies the rest (later appends included) to `mymailbox.tmp`, syncs it,
   * renames it over `mymailbox` and syncs the directory, then writes the
   * index with the kept records' ids as they were served, so that an id
   * once given (a suffixed one of a record without a trace line included)
   * stays. Does nothing when no id is in `remove`.
   */
  async remove(user: string, remove: ReadonlySet<string>): Promise<void> {
    if (remove.size === 0) return;
    const paths = await this.#userDir(user);
    await withLock(paths.deliveryLock, async () => {
      const entries = await this.#entries(paths);
      const kept = entries.filter((entry) => !remove.has(entry.id));
      if (kept.length === entries.length) return;
      const file = openNoFollowSync(paths.mailbox, { read: true });
      try {
        await replaceMailbox(file, kept, { path: paths.mailbox, tmpPath: paths.replacement });
      } finally {
        file.close();
      }
      await syncDir(paths.dir);
      await this.#indexing(() => indexRewrittenMailbox(paths.mailbox, kept, paths.index));
    });
  }

  /**
   * The complete records of the user's mailbox with the ids a maildrop
   * serves: from the index where it holds them, else as a scan finds them.
   * The caller holds the delivery lock.
   */
  async #entries(paths: MailboxPaths): Promise<RecordEntry[]> {
    const { maildrop } = await openFileMaildrop(paths.mailbox, paths.index.path);
    try {
      const entries: RecordEntry[] = [];
      for (let i = 0, offset = 0; i < maildrop.count; offset += maildrop.storedLength(i++)) {
        entries.push({ offset, storedLength: maildrop.storedLength(i), size: maildrop.size(i), id: maildrop.id(i) });
      }
      return entries;
    } finally {
      maildrop.close();
    }
  }

  /**
   * Opens the user's maildrop from the index beside the mailbox, scanning
   * only what lies past its end; or, when the index is missing or does not
   * describe the file, from a scan of the whole file, after which the index
   * is written anew. The caller holds the
   * session lock; the delivery lock is held while the maildrop is read, so
   * that it never lists records of a batch whose sync may yet fail and be
   * cut off. Replacement files a crash left behind are removed meanwhile.
   */
  async openMaildrop(user: string): Promise<Maildrop> {
    const paths = await this.#userDir(user);
    const { maildrop, fullScan } = await withLock(paths.deliveryLock, async () => {
      // Rewrites run under this lock: replacements found now were left by a crash.
      removeQuietly(paths.replacement);
      removeQuietly(paths.index.tmpPath);
      const opened = await openFileMaildrop(paths.mailbox, paths.index.path);
      // A mailbox without a usable index (written by another program, or the index deleted) gets one now: the
      // next login reads it rather than every message.
      if (opened.fullScan) await this.#indexing(() => refreshIndex(paths.mailbox, paths.index));
      return opened;
    });
    if (fullScan) this.#stats.fullScans++;
    return maildrop;
  }

  /** Tries the session lock, `flock` on `mymailbox.pop.lock`, once. */
  async lockSession(user: string): Promise<SessionLock | null> {
    return await tryLock((await this.#userDir(user)).sessionLock);
  }

  /**
   * Appends one batch of records to the user's mailbox and syncs it,
   * leaving out those that would take it over their delivery's quota.
   *
   * @returns A `QuotaExceeded` for each record left out, in batch order.
   */
  async #append(user: string, deliveries: Delivery[]): Promise<(Error | undefined)[]> {
    this.#stats.batches++;
    const paths = await this.#userDir(user);
    const held = this.#held.take(paths.dir, paths.deliveryLock);
    try {
      return await held.locked(() => this.#appendLocked(paths, held, user, deliveries));
    } catch (error) {
      held.forget();
      throw error;
    } finally {
      this.#held.release(paths.dir);
    }
  }

  /** The locked part of `#append`, on the mailbox files `held` keeps open between batches. */
  async #appendLocked(
    paths: MailboxPaths,
    held: HeldMailbox,
    user: string,
    deliveries: Delivery[],
  ): Promise<(Error | undefined)[]> {
    const { file, end, created } = held.mailbox(paths.mailbox);
    let refusals: (Error | undefined)[] = [];
    // Without a quota (the default) every record goes in: nothing to measure.
    if (deliveries.some((d) => d.quota !== undefined)) {
      refusals = quotaRefusals(user, end ?? file.statSync().size, deliveries);
    }
    const chunks = deliveries.filter((_, i) => refusals[i] === undefined).flatMap((d) => d.record);
    if (chunks.length > 0) {
      // The index lines are worked out while the sync runs and written once it is done: the index names synced
      // records only.
      let lines: Uint8Array | undefined;
      const start = await appendRecords(file, chunks, end, async (at) => {
        lines = await this.#heldIndexLines(held, paths.index.path, at, chunks);
      });
      const size = start + totalLength(chunks);
      held.appended(size);
      await this.#indexing(() => this.#indexAppend(paths.index, held, file, { start, size, chunks, lines }));
    }
    if (created) await syncDir(paths.dir);
    return refusals;
  }

  /**
   * The index lines of the records being appended at `start`, when the
   * held index at `path` is what the last batch left and can take them as
   * they are; undefined when the index must be brought up to date the long
   * way. Never rejects.
   */
  async #heldIndexLines(
    held: HeldMailbox,
    path: string,
    start: number,
    chunks: Uint8Array[],
  ): Promise<Uint8Array | undefined> {
    try {
      if (!held.indexContinues(path, start)) return undefined;
      let text = "";
      await scanChunks(chunks, start, (entry) => text += indexLine(entry));
      return encoder.encode(text);
    } catch {
      return undefined;
    }
  }

  /**
   * Adds the lines of the records just appended and synced to the index:
   * the `lines` prepared for the held index, else the long way
   * (`updateIndex`), after which the index is held.
   */
  async #indexAppend(
    paths: IndexPaths,
    held: HeldMailbox,
    mailbox: Deno.FsFile,
    append: { start: number; size: number; chunks: Uint8Array[]; lines: Uint8Array | undefined },
  ): Promise<boolean> {
    const { start, size, chunks, lines } = append;
    if (lines !== undefined) {
      held.appendIndex(lines, size);
      return false;
    }
    const rewrote = await updateIndex(mailbox, paths, start, chunks);
    if (fileIdentity(mailbox.statSync()) !== null) held.holdIndex(paths.path, size);
    return rewrote;
  }

  /** Rejects when the user's mailbox exists but cannot be opened for writing. */
  async #checkWritable(user: string): Promise<void> {
    const file = openIfExists((await this.#userDir(user)).mailbox, { write: true });
    file?.close();
  }

  /** Takes back a stored copy of `record` from the user's mailbox. */
  async #withdraw(user: string, record: Uint8Array[]): Promise<void> {
    const paths = await this.#userDir(user);
    await withLock(paths.deliveryLock, async () => {
      const file = openIfExists(paths.mailbox, { read: true, write: true });
      if (file === null) return;
      let replaced: boolean;
      try {
        replaced = await withdrawRecord(file, record, { path: paths.mailbox, tmpPath: paths.replacement });
      } finally {
        file.close();
      }
      if (replaced) await syncDir(paths.dir);
      await this.#indexing(() => refreshIndex(paths.mailbox, paths.index));
    });
  }

  /**
   * Runs an index update under the delivery lock, counting what it did.
   * A failure is counted, not thrown: the mailbox change has been made,
   * and readers check the index and fall back on scanning.
   */
  async #indexing(update: () => Promise<boolean | void>): Promise<void> {
    try {
      if (await update()) this.#stats.indexRewrites++;
    } catch {
      this.#stats.indexErrors++;
    }
  }

  /** The paths of the user's mailbox files, the directory created (and made durable) when missing. */
  async #userDir(user: string): Promise<MailboxPaths> {
    const paths = this.#pathsOf(user);
    const { dir } = paths;
    if (this.#dirs.has(dir)) return paths;
    try {
      await Deno.mkdir(dir, { mode: 0o700 });
      await syncDir(this.#root);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    this.#dirs.add(dir);
    return paths;
  }

  /**
   * The paths of the user's mailbox files.
   *
   * @throws {TypeError} When the name could escape the root or is empty.
   */
  #pathsOf(user: string): MailboxPaths {
    const known = this.#paths.get(user);
    if (known !== undefined) return known;
    if (user === "" || user === "." || user === ".." || /[/\\\0]/.test(user)) {
      throw new TypeError(
        `Cannot use user name as a directory: ${JSON.stringify(user)}`,
      );
    }
    const paths = mailboxPaths(join(this.#root, user));
    this.#paths.set(user, paths);
    return paths;
  }
}

/** Yields a byte range of the file at `path`, holding it open meanwhile. */
async function* streamRange(
  path: string,
  offset: number,
  length: number,
): AsyncGenerator<Uint8Array> {
  const file = openNoFollowSync(path, { read: true });
  try {
    yield* readRange(file, offset, length);
  } finally {
    file.close();
  }
}

/**
 * For each delivery of a batch, in order, the `QuotaExceeded` that leaves
 * it out, or undefined when it fits on top of `size` octets and those
 * before it that fit.
 */
function quotaRefusals(user: string, size: number, deliveries: Delivery[]): (Error | undefined)[] {
  return deliveries.map(({ quota, record }) => {
    const length = totalLength(record);
    if (quota !== undefined && size + length > quota) return new QuotaExceeded(user, quota);
    size += length;
    return undefined;
  });
}

/** Whether `error` (or one it gathers) is the file system's "no space left" or "quota exceeded". */
function isNoSpace(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isNoSpace);
  const code = (error as { code?: unknown })?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** The error reported for a delivery to `user` that failed with `cause`. */
function deliveryError(user: string, cause: unknown, note = ""): Error {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(`Cannot deliver to ${user}: ${message}${note}`, { cause });
}
