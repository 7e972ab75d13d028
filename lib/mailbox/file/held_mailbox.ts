/**
 * The files of one mailbox that deliveries keep open from one batch to the
 * next: the delivery lock, the mailbox and its index, with what the last
 * batch left them as. Opening each afresh (with its checks against symbolic
 * links) took about a dozen system calls per batch; a held file is checked
 * instead with two (the path still names the file held, and its size is
 * what the last batch left), so a change made meanwhile by another process,
 * a rewrite or a crash is seen, and the file is opened anew.
 *
 * @module
 */

import { writeAllSync } from "./file_io.ts";
import { openMailbox } from "./mailbox_file.ts";
import { openNoFollowSync, refuseLink } from "./no_follow.ts";

/** A held file, and the size the last batch left it at. */
interface HeldFile {
  file: Deno.FsFile;
  /** What `fstat` said of it when it was opened: its inode and device. */
  identity: Deno.FileInfo;
  /** Octets the last batch left in it; a file of another size was changed by someone else. */
  size: number;
}

/** The held files of one mailbox directory. */
export class HeldMailbox {
  readonly #lockPath: string;
  #lock: HeldFile;
  #mailbox: HeldFile | undefined;
  #index: HeldFile | undefined;
  /** The mailbox's size that the held index's lines run up to. */
  #indexed = 0;

  /** Opens the delivery lock file at `lockPath` (created if needed), not yet locked. */
  constructor(lockPath: string) {
    this.#lockPath = lockPath;
    this.#lock = openLock(lockPath);
  }

  /**
   * Runs `fn` holding the delivery lock (an exclusive `flock`), waiting for
   * it as long as another holder keeps it. A lock file removed or replaced
   * since it was opened is a lock no other process takes: the file at the
   * path is opened and locked instead.
   */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const { file } = this.#lock;
      if (!file.tryLockSync(true)) await file.lock(true);
      let current: Deno.FileInfo | undefined;
      try {
        current = refuseLink(this.#lockPath);
      } catch (error) {
        file.unlockSync();
        throw error;
      }
      if (sameFile(current, this.#lock.identity)) break;
      file.close();
      this.#lock = openLock(this.#lockPath);
    }
    try {
      return await fn();
    } finally {
      this.#lock.file.unlockSync();
    }
  }

  /**
   * The mailbox at `path`: the held one when the path still names it, else
   * opened (created when missing: `created`) and held. `end` is the size the
   * last batch left when that is still its size (its end is then a record
   * end that batch wrote), else undefined. The caller holds the delivery lock.
   */
  mailbox(path: string): { file: Deno.FsFile; end: number | undefined; created: boolean } {
    const held = this.#mailbox;
    if (held !== undefined && sameFile(refuseLink(path), held.identity)) {
      return { file: held.file, end: sizeOf(held.file) === held.size ? held.size : undefined, created: false };
    }
    this.#dropMailbox();
    const { file, created } = openMailbox(path);
    this.#mailbox = { file, identity: file.statSync(), size: -1 };
    return { file, end: undefined, created };
  }

  /** Records that a batch left the held mailbox at `size` octets, ending with a record. */
  appended(size: number): void {
    if (this.#mailbox) this.#mailbox.size = size;
  }

  /**
   * Whether the held index is still what the last batch left (the same
   * file at `path`, of the same length) with lines running up to
   * `changedAt`, where the next records are being appended: it can then
   * take their lines (`appendIndex`) in the same hold of the lock.
   *
   * @returns false when the index is not held or was changed (it is let
   *   go): the caller brings it up to date the long way (`updateIndex`)
   *   and holds it anew.
   */
  indexContinues(path: string, changedAt: number): boolean {
    const held = this.#index;
    if (held === undefined) return false;
    if (
      this.#indexed !== changedAt || !sameFile(refuseLink(path), held.identity) ||
      sizeOf(held.file) !== held.size
    ) {
      this.#dropIndex();
      return false;
    }
    return true;
  }

  /**
   * Appends `lines` to the held index, found continuing by
   * `indexContinues` in this hold of the lock; the records they describe
   * took the mailbox to `size`.
   */
  appendIndex(lines: Uint8Array, size: number): void {
    const held = this.#index;
    if (held === undefined) throw new Error("Cannot append to the index: it is not held");
    try {
      writeAllSync(held.file, lines);
    } catch (error) {
      // Not held past a failed write: a torn line is for `updateIndex` to cut.
      this.#dropIndex();
      throw error;
    }
    held.size += lines.length;
    this.#indexed = size;
  }

  /** Opens and holds the index at `path`, just brought up to date with the mailbox's `size` octets. */
  holdIndex(path: string, size: number): void {
    this.#dropIndex();
    const file = openNoFollowSync(path, { write: true, append: true });
    const identity = file.statSync();
    this.#index = { file, identity, size: identity.size };
    this.#indexed = size;
  }

  /** Closes the mailbox and the index, so that the next batch opens and checks them anew (after a failure). */
  forget(): void {
    this.#dropMailbox();
  }

  /** Closes every held file. */
  close(): void {
    this.forget();
    this.#lock.file.close();
  }

  /** Closes the held mailbox, and the index, whose lines describe it. */
  #dropMailbox(): void {
    this.#mailbox?.file.close();
    this.#mailbox = undefined;
    this.#dropIndex();
  }

  #dropIndex(): void {
    this.#index?.file.close();
    this.#index = undefined;
  }
}

/** Opens the delivery lock file (created if needed), not yet locked. */
function openLock(path: string): HeldFile {
  const file = openNoFollowSync(path, { read: true, write: true, create: true, mode: 0o600 });
  return { file, identity: file.statSync(), size: 0 };
}

/**
 * The size of a held file, from a seek to its end. `statSync` would say the
 * same, but under a granular `--allow-read` Deno resolves the file's path
 * for it, a `readlink` per directory on the way (about 8 against 0.4 µs a
 * call here), and this runs on every batch. Moving the position is
 * harmless: the mailbox is written at the position its append seeks to,
 * the index in append mode.
 */
function sizeOf(file: Deno.FsFile): number {
  return file.seekSync(0, Deno.SeekMode.End);
}

/** Whether `info` (from `lstat` of a path; undefined when missing) is the file `held` was opened as. */
function sameFile(info: Deno.FileInfo | undefined, held: Deno.FileInfo): boolean {
  return info !== undefined && info.ino !== null && info.ino === held.ino && info.dev === held.dev;
}
