/**
 * Counts failed logins per key (a client address or a user name) and locks a
 * key out for a while once it failed too often. Memory stays bounded and
 * drains: keys whose failures have expired are forgotten as new ones come,
 * and past `maxEntries` keys the one touched longest ago is forgotten.
 *
 * @module
 */

/** Options for a `FailureTable`. */
export interface FailureTableOptions {
  /** Failures after which the key is locked (`Infinity`: never). */
  lockoutAfter: number;
  /** How long a lock lasts, in milliseconds. */
  lockoutMs: number;
  /** How long failures are remembered after the last one, in milliseconds. */
  windowMs: number;
  /** Most keys kept at once. */
  maxEntries: number;
}

/** What one key's failure changed. */
export interface Failure {
  /** Failures counted for the key, this one included. */
  failures: number;
  /** True when this failure locked the key. */
  locked: boolean;
}

interface Entry {
  failures: number;
  /** When the count is forgotten. */
  expiresAt: number;
  /** Until when the key is locked; 0 when it is not. */
  lockedUntil: number;
}

/** Failed logins per key, with expiry and lockout. Times are milliseconds from any fixed clock. */
export class FailureTable {
  #entries = new Map<string, Entry>();
  #options: FailureTableOptions;

  /** @param options the lockout threshold and duration, the memory of a failure and the size cap */
  constructor(options: FailureTableOptions) {
    this.#options = options;
  }

  /** The number of keys remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Failures remembered for `key` at `now` (0 once they have expired). */
  count(key: string, now: number): number {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry.failures : 0;
  }

  /** Until when `key` is locked, or undefined when it is not locked at `now`. */
  lockedUntil(key: string, now: number): number | undefined {
    const until = this.#entries.get(key)?.lockedUntil ?? 0;
    return until > now ? until : undefined;
  }

  /** Counts a failure for `key` at `now`; the lockout-th failure within the window locks it. */
  fail(key: string, now: number): Failure {
    const old = this.#entries.get(key);
    const live = old !== undefined && (old.expiresAt > now || old.lockedUntil > now);
    const entry: Entry = live ? old : { failures: 0, expiresAt: 0, lockedUntil: 0 };
    entry.failures++;
    entry.expiresAt = now + this.#options.windowMs;
    const failures = entry.failures;
    const locked = failures >= this.#options.lockoutAfter;
    if (locked) {
      // The count starts again once the lock is over.
      entry.failures = 0;
      entry.lockedUntil = now + this.#options.lockoutMs;
      entry.expiresAt = Math.max(entry.expiresAt, entry.lockedUntil);
    }
    this.#remember(key, entry, now);
    return { failures, locked };
  }

  /** Forgets `key`, e.g. after a successful login. */
  clear(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Stores `entry` as the most recently touched, after forgetting the keys
   * touched longest ago that have expired, and the oldest key when still full.
   */
  #remember(key: string, entry: Entry, now: number): void {
    this.#entries.delete(key);
    for (const [oldKey, old] of this.#entries) {
      if (old.expiresAt > now) break;
      this.#entries.delete(oldKey);
    }
    if (this.#entries.size >= this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, entry);
  }
}
