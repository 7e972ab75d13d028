/**
 * One login check at a time per key (a client address, a user name), each
 * a chosen gap after the one before ended: parallel sessions of one client
 * share one pace instead of each having its own. Memory stays bounded: a
 * key's lane is forgotten once it is idle and past any gap.
 *
 * @module
 */

import type { Clock } from "./clock.ts";

/** Options for a `Turnstile`. */
export interface TurnstileOptions {
  /** Checks that may wait (or run) for one key; more are refused at once. */
  maxWaiting: number;
  /** The longest gap ever asked for, in milliseconds: a lane idle this long is forgotten. */
  maxGapMs: number;
  /** The clock. */
  clock: Clock;
}

interface Lane {
  /** Settles when the last check let through has ended. */
  tail: Promise<void>;
  /** Checks waiting or running. */
  waiting: number;
  /** When the last check ended. */
  endedAt: number;
}

/** Returned by `Turnstile.run` when too many checks already wait for the key. */
export const TURNSTILE_FULL: unique symbol = Symbol("turnstile full");
/** Returned by `Turnstile.run` when the check was no longer wanted once its turn came. */
export const TURNSTILE_SKIPPED: unique symbol = Symbol("turnstile skipped");

/** One check for `Turnstile.run`. */
export interface Turn<T> {
  /** The least time since the last check of the key ended; asked when the turn comes, so it sees what earlier checks changed. */
  gapMs(): number;
  /** The check. */
  check(): Promise<T>;
  /** True when the check is no longer wanted (its client is gone): asked when the turn comes, if it had to wait. */
  skip?(): boolean;
}

/** Lets checks through one at a time per key, spaced by gaps. */
export class Turnstile {
  #lanes = new Map<string, Lane>();
  #options: TurnstileOptions;

  /** @param options the queue bound, the longest gap and the clock */
  constructor(options: TurnstileOptions) {
    this.#options = options;
  }

  /** Keys with a lane, for tests and monitoring. */
  get size(): number {
    return this.#lanes.size;
  }

  /**
   * Runs `turn.check` for `key` once every earlier check for the key has
   * ended and `turn.gapMs()` more milliseconds have passed since the last
   * one ended. A skipped check does not count as one: the next may follow
   * at once.
   *
   * @returns what the check returned; `TURNSTILE_FULL` without running it
   *   when `maxWaiting` checks already wait for the key; `TURNSTILE_SKIPPED`
   *   when it waited and `turn.skip()` said it is no longer wanted
   */
  async run<T>(key: string, turn: Turn<T>): Promise<T | typeof TURNSTILE_FULL | typeof TURNSTILE_SKIPPED> {
    const clock = this.#options.clock;
    this.#prune(clock.now());
    const lane = this.#lanes.get(key) ?? { tail: Promise.resolve(), waiting: 0, endedAt: -Infinity };
    if (lane.waiting >= this.#options.maxWaiting) return TURNSTILE_FULL;
    const queued = lane.waiting > 0;
    lane.waiting++;
    // Most recently used last, so that pruning looks at the oldest first.
    this.#lanes.delete(key);
    this.#lanes.set(key, lane);
    const previous = lane.tail;
    const done = Promise.withResolvers<void>();
    lane.tail = done.promise;
    let checked = false;
    try {
      await previous;
      const wait = lane.endedAt + turn.gapMs() - clock.now();
      if (wait > 0) await clock.sleep(wait);
      // Only a check that had to wait is dropped: one let through at once runs, whatever became of its client.
      if ((queued || wait > 0) && turn.skip?.()) return TURNSTILE_SKIPPED;
      checked = true;
      return await turn.check();
    } finally {
      lane.waiting--;
      if (checked) lane.endedAt = clock.now();
      done.resolve();
    }
  }

  /** Forgets the lanes touched longest ago that are idle and past the longest gap. */
  #prune(now: number): void {
    for (const [key, lane] of this.#lanes) {
      if (lane.waiting > 0 || now - lane.endedAt < this.#options.maxGapMs) break;
      this.#lanes.delete(key);
    }
  }
}
