/**
 * The `HeldMailbox`es of a store: kept while deliveries come, closed once a
 * mailbox has had none for a while, and never more than a few at once, so
 * that a mailbox rewritten by the POP3 server does not keep its old file's
 * space for long and many users do not take many descriptors.
 *
 * @module
 */

import { HeldMailbox } from "./held_mailbox.ts";

/** A mailbox's files are closed after this long without a delivery. */
const IDLE_MS = 2_000;
/** Most mailboxes held open at once; the least recently used idle one is closed past it. */
const MAX_HELD = 32;

/** One held mailbox and its users. */
interface Entry {
  held: HeldMailbox;
  /** Batches using it now. */
  users: number;
  /** When the last batch let go of it. */
  idleSince: number;
}

/** Held mailboxes by directory. */
export class HeldMailboxes {
  /** In order of last use, least recent first. */
  readonly #entries = new Map<string, Entry>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** The held files of the mailbox in `dir` (opening its lock file at `lockPath` if not held); `release` it after. */
  take(dir: string, lockPath: string): HeldMailbox {
    const entry = this.#entries.get(dir) ?? { held: new HeldMailbox(lockPath), users: 0, idleSince: 0 };
    this.#entries.delete(dir);
    this.#entries.set(dir, entry);
    entry.users++;
    return entry.held;
  }

  /** Lets go of what `take` gave; closed at once when the store is closing or too many are held. */
  release(dir: string): void {
    const entry = this.#entries.get(dir);
    if (entry === undefined) return;
    entry.users--;
    entry.idleSince = Date.now();
    if (this.#closed) this.#closeIdle(0);
    else if (this.#entries.size > MAX_HELD) this.#closeIdle(0, this.#entries.size - MAX_HELD);
    this.#sweep();
  }

  /** Closes every mailbox not in use now, and the rest as their batches end. */
  close(): void {
    this.#closed = true;
    this.#closeIdle(0);
    this.#sweep();
  }

  /** Runs the idle sweep while anything is held, and stops it when nothing is. */
  #sweep(): void {
    if (this.#entries.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    } else if (this.#sweeper === undefined) {
      const sweeper = setInterval(() => {
        this.#closeIdle(IDLE_MS);
        this.#sweep();
      }, IDLE_MS);
      Deno.unrefTimer(sweeper);
      this.#sweeper = sweeper;
    }
  }

  /** Closes up to `count` mailboxes not in use, least recently used first, that have been idle for `idleMs`. */
  #closeIdle(idleMs: number, count = Infinity): void {
    const now = Date.now();
    for (const [dir, entry] of this.#entries) {
      if (count === 0) break;
      if (entry.users > 0 || now - entry.idleSince < idleMs) continue;
      this.#entries.delete(dir);
      entry.held.close();
      count--;
    }
  }
}
