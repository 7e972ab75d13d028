/**
 * The connection slots of one server: caps on sessions at once, in all and
 * per client key (address, or IPv6 /64), and the choice of a session to
 * evict when the server is full and a client from a less represented
 * address needs a place. A handful of addresses can then hold every slot
 * only while nobody else asks for one.
 *
 * @module
 */

/** Why a connection is turned away: the server is full, or the client's address has its share. */
export type RefusalReason = "busy" | "address";

/** What a session is told of its place among the server's connections. */
export interface SessionSlot {
  /** Aborted when the server stops, or when the session is evicted (`evicted` is then true). */
  readonly signal: AbortSignal;
  /** True once the session was chosen to make room for another client. */
  readonly evicted: boolean;
  /** Notes progress (a login, a message): of one address's sessions, the one longest without progress goes first. */
  progress(): void;
  /** Makes the session one that is never evicted, e.g. a POP3 session holding its maildrop. */
  protect(): void;
}

/** One session's slot. */
export class Slot implements SessionSlot {
  /** The client key it is counted under. */
  readonly key: string;
  /** The client's address as reported, for the log. */
  readonly address: string;
  #controller = new AbortController();
  #lastProgress: number;
  #protected = false;
  #evicted = false;
  #onEvicted: (() => void) | undefined;

  /** @param now the time it is opened, which counts as its first progress */
  constructor(key: string, address: string, now: number) {
    this.key = key;
    this.address = address;
    this.#lastProgress = now;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get evicted(): boolean {
    return this.#evicted;
  }

  /** When the session last made progress (or opened). */
  get lastProgress(): number {
    return this.#lastProgress;
  }

  /** True while the session may be evicted. */
  get evictable(): boolean {
    return !this.#protected && !this.#evicted && !this.#controller.signal.aborted;
  }

  progress(): void {
    this.#lastProgress = Date.now();
  }

  protect(): void {
    this.#protected = true;
  }

  /** Has `fn` called if the slot is evicted (e.g. to make sure its socket goes). */
  whenEvicted(fn: () => void): void {
    this.#onEvicted = fn;
  }

  /** Aborts the session's signal; `evict` marks it evicted first. */
  abort(evict: boolean): void {
    if (evict) this.#evicted = true;
    this.#controller.abort(evict ? "evicted" : "server stopping");
    if (evict) this.#onEvicted?.();
  }
}

/** The outcome of `ConnectionCaps.take`. */
export type Taken = { slot: Slot; evicted?: Slot } | { refusal: RefusalReason };

/**
 * Sessions open at once, in all and per client key, each up to its cap.
 * When the server is full, a newcomer may take the place of a session of
 * the key with the most sessions, provided that key holds at least two more
 * than the newcomer's: the session of that key longest without progress is
 * evicted. Keys with no sessions are not kept.
 */
export class ConnectionCaps {
  #open = 0;
  readonly #max: number;
  readonly #perKey: number;
  #byKey = new Map<string, Set<Slot>>();

  /** @param limits connections at once in all, and from one client address */
  constructor(limits: { maxConnections: number; maxConnectionsPerAddress: number }) {
    this.#max = limits.maxConnections;
    this.#perKey = limits.maxConnectionsPerAddress;
  }

  /** Sessions counted now. */
  get open(): number {
    return this.#open;
  }

  /** Counts in one more connection from `key`, evicting another session if need be, or says why it is refused. */
  take(key: string, address: string): Taken {
    const mine = this.#byKey.get(key)?.size ?? 0;
    if (mine >= this.#perKey) return { refusal: "address" };
    let evicted: Slot | undefined;
    if (this.#open >= this.#max) {
      evicted = this.#victim(mine);
      if (evicted === undefined) return { refusal: "busy" };
      evicted.abort(true);
      this.release(evicted);
    }
    const slot = new Slot(key, address, Date.now());
    const slots = this.#byKey.get(key) ?? new Set();
    slots.add(slot);
    this.#byKey.set(key, slots);
    this.#open++;
    return { slot, evicted };
  }

  /** Counts out a slot that `take` counted in. Safe to call twice. */
  release(slot: Slot): void {
    const slots = this.#byKey.get(slot.key);
    if (!slots?.delete(slot)) return;
    this.#open--;
    if (slots.size === 0) this.#byKey.delete(slot.key);
  }

  /** Aborts every session's signal (the server is stopping). */
  abortAll(): void {
    for (const slots of this.#byKey.values()) for (const slot of slots) slot.abort(false);
  }

  /** The session to evict for a newcomer whose key holds `mine`: see the class comment. */
  #victim(mine: number): Slot | undefined {
    let best: Slot | undefined;
    // Only a key left with at least as many as the newcomer's after the swap gives one up.
    let bestCount = mine + 2;
    for (const slots of this.#byKey.values()) {
      if (slots.size < bestCount) continue;
      const candidate = oldestEvictable(slots);
      if (candidate === undefined) continue;
      if (slots.size > bestCount || best === undefined || candidate.lastProgress < best.lastProgress) {
        best = candidate;
        bestCount = slots.size;
      }
    }
    return best;
  }
}

/** The evictable slot longest without progress, if any. */
function oldestEvictable(slots: Set<Slot>): Slot | undefined {
  let oldest: Slot | undefined;
  for (const slot of slots) {
    if (slot.evictable && (oldest === undefined || slot.lastProgress < oldest.lastProgress)) oldest = slot;
  }
  return oldest;
}
