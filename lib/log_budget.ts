/**
 * A bound on how many log lines of one kind a server writes (a token
 * bucket): a flood of refused commands must not fill the disk with its log.
 *
 * @module
 */

/** Options for a `LogBudget`. */
export interface LogBudgetOptions {
  /** Lines that may be written at once after a quiet spell. */
  burst: number;
  /** Lines per second allowed over time. */
  perSecond: number;
}

/** Lines of one kind that may be written now; those over the budget are counted, not written. */
export class LogBudget {
  readonly #options: LogBudgetOptions;
  #tokens: number;
  #updated = 0;
  #skipped = 0;

  /** @param options the burst and the steady rate */
  constructor(options: LogBudgetOptions) {
    this.#options = options;
    this.#tokens = options.burst;
  }

  /**
   * Asks to write one line at `now` (milliseconds).
   *
   * @returns undefined when it must not be written; else how many lines were
   *   left out since the last one written, for the caller to say so
   */
  take(now: number): number | undefined {
    const { burst, perSecond } = this.#options;
    this.#tokens = Math.min(burst, this.#tokens + Math.max(0, now - this.#updated) / 1000 * perSecond);
    this.#updated = now;
    if (this.#tokens < 1) {
      this.#skipped++;
      return undefined;
    }
    this.#tokens--;
    const skipped = this.#skipped;
    this.#skipped = 0;
    return skipped;
  }
}
