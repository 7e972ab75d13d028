/**
 * Group commit: items submitted for one key while a flush for that key is
 * running wait and are flushed together by the next one, so many writers
 * share one lock and one sync instead of queueing behind one each. A key
 * is contended when its last run flushed more than once (items came while
 * a flush ran): the first item of its next run waits one turn of the event
 * loop, so that the items of that turn share its batch.
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** One submitted item and the promise its submitter waits on. */
interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/**
 * Writes one batch of items for one key; rejects when none of it counts.
 * It may leave items out: it then resolves to one entry per item, the
 * reason an item was refused or undefined for one that was written.
 */
export type FlushBatch<T> = (key: string, items: T[]) => Promise<void | (Error | undefined)[]>;

/**
 * Batches submissions per key and runs at most one flush per key at a
 * time; a contended key's next run starts a turn of the event loop later.
 */
export class GroupCommit<T> {
  readonly #flush: FlushBatch<T>;
  /** The waiting items of each key that has a flush running or about to start. */
  readonly #pending = new Map<string, Waiter<T>[]>();
  /** Keys whose last run flushed more than once: items came while a flush ran. */
  readonly #contended = new Set<string>();

  /** @param flush Writes a batch; it is never called twice at once per key. */
  constructor(flush: FlushBatch<T>) {
    this.#flush = flush;
  }

  /**
   * Adds `item` to the next batch of `key`.
   *
   * @returns A promise that resolves when the batch holding the item has
   *   been flushed, and rejects with the flush's error when that failed,
   *   or with the reason the flush gave for leaving the item out.
   */
  submit(key: string, item: T): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const pending = this.#pending.get(key);
    if (pending) {
      pending.push({ item, resolve, reject });
    } else {
      this.#pending.set(key, [{ item, resolve, reject }]);
      // A key that others write to as well waits one turn of the event loop, so that items that arrived in this
      // turn go in the same batch; a lone writer's item goes at once.
      if (this.#contended.has(key)) setImmediate(() => void this.#run(key));
      else void this.#run(key);
    }
    return promise;
  }

  /** Flushes batches of `key` until no item is waiting. */
  async #run(key: string): Promise<void> {
    let flushes = 0;
    for (;; flushes++) {
      const batch = this.#pending.get(key) ?? [];
      if (batch.length === 0) break;
      this.#pending.set(key, []);
      try {
        const refusals = await this.#flush(key, batch.map((waiter) => waiter.item));
        batch.forEach((waiter, i) => {
          const refusal = refusals?.[i];
          if (refusal === undefined) waiter.resolve();
          else waiter.reject(refusal);
        });
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.#pending.delete(key);
    if (flushes > 1) this.#contended.add(key);
    else this.#contended.delete(key);
  }
}
