/**
 * The soak's session mix: which kind of session comes next, in fixed
 * proportions spread evenly over the run. Pure.
 *
 * @module
 */

/** A kind's share of the mix. */
export interface Share<K extends string> {
  /** The session kind. */
  kind: K;
  /** Its weight as given. */
  weight: number;
  /** Its share of all sessions, in percent. */
  percent: number;
}

/**
 * Picks session kinds by smooth weighted round-robin (as nginx spreads
 * requests over weighted upstreams): over any run of `sum of weights`
 * picks each kind comes exactly `weight` times, and no kind bunches up, so
 * the first 10,000 sessions already hold the final mix.
 */
export class Mix<K extends string> {
  #kinds: K[];
  #weights: number[];
  #current: number[];
  #total: number;

  /**
   * @param weights a non-negative integer weight per kind; kinds with 0 are left out
   * @throws {RangeError} when a weight is not a non-negative integer, or all are 0
   */
  constructor(weights: Readonly<Record<K, number>>) {
    const entries = (Object.entries(weights) as [K, number][]).filter(([kind, weight]) => {
      if (!Number.isInteger(weight) || weight < 0) throw new RangeError(`Cannot use weight ${weight} for ${kind}`);
      return weight > 0;
    });
    if (entries.length === 0) throw new RangeError("Cannot pick from a mix whose weights are all 0");
    this.#kinds = entries.map(([kind]) => kind);
    this.#weights = entries.map(([, weight]) => weight);
    this.#current = entries.map(() => 0);
    this.#total = this.#weights.reduce((a, b) => a + b, 0);
  }

  /** The next session's kind. */
  next(): K {
    let best = 0;
    for (let i = 0; i < this.#kinds.length; i++) {
      this.#current[i] += this.#weights[i];
      if (this.#current[i] > this.#current[best]) best = i;
    }
    this.#current[best] -= this.#total;
    return this.#kinds[best];
  }

  /** The kinds in the mix with their weights and percentages, in the order given. */
  shares(): Share<K>[] {
    return this.#kinds.map((kind, i) => ({
      kind,
      weight: this.#weights[i],
      percent: (100 * this.#weights[i]) / this.#total,
    }));
  }
}

/**
 * Keeps only `only` of `weights` (all when `only` is empty), for a run of
 * one or a few kinds that isolates a leak.
 *
 * @returns the narrowed weights, or the first name that is not a kind
 */
export function narrowMix<K extends string>(
  weights: Readonly<Record<K, number>>,
  only: readonly string[],
): { weights: Record<K, number> } | { unknown: string } {
  const unknown = only.find((name) => !(name in weights));
  if (unknown !== undefined) return { unknown };
  const narrowed: Record<K, number> = { ...weights };
  if (only.length > 0) {
    for (const kind of Object.keys(narrowed) as K[]) {
      if (!only.includes(kind)) narrowed[kind] = 0;
    }
  }
  return { weights: narrowed };
}

/** One line listing the shares, e.g. "greet-close 20%, deliver 12%". */
export function formatShares<K extends string>(shares: readonly Share<K>[]): string {
  return shares.map((s) => `${s.kind} ${Number(s.percent.toFixed(1))}%`).join(", ");
}
