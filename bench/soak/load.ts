/**
 * Runs the soak's sessions: a fixed number of them, a fixed number at a
 * time, kinds taken from a `Mix`, counting what each kind ended with.
 *
 * @module
 */

import type { Mix } from "./mix.ts";

/** Counts of one session kind. */
export interface KindStats {
  /** Sessions played. */
  done: number;
  /** Sessions that ended in an error. */
  errors: number;
  /** Sessions per outcome label other than an error ("ok", "in-use"). */
  outcomes: Record<string, number>;
}

/** What the load has done so far. */
export interface LoadStats {
  /** Sessions ended, errors included. */
  done: number;
  /** Sessions that ended in an error. */
  errors: number;
  /** Counts per kind. */
  byKind: Record<string, KindStats>;
  /** The first distinct error messages, each with the kind that met it. */
  firstErrors: string[];
}

/** One load run. */
export interface LoadOptions<K extends string> {
  /** Sessions in all. */
  total: number;
  /** Sessions open at once. */
  concurrency: number;
  /** The kinds. */
  mix: Mix<K>;
  /** Plays session `n` of `kind`; resolves to an outcome label, throws on an error. */
  play(kind: K, n: number): Promise<string>;
  /** Polled before each session: true stops the load (the server died). */
  stopped(): boolean;
  /** Called after each session ends, with the stats so far. */
  onSession?(stats: LoadStats): void;
}

const KEEP_ERRORS = 10;

/** Runs the load to its end (or until `stopped`) and resolves to its counts. */
export async function runLoad<K extends string>(options: LoadOptions<K>, stats = newStats()): Promise<LoadStats> {
  let next = 0;
  const worker = async () => {
    while (next < options.total && !options.stopped()) {
      const n = next++;
      const kind = options.mix.next();
      const counts = stats.byKind[kind] ??= { done: 0, errors: 0, outcomes: {} };
      try {
        const outcome = await options.play(kind, n);
        counts.outcomes[outcome] = (counts.outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        counts.errors++;
        stats.errors++;
        const text = `${kind}: ${error instanceof Error ? error.message : String(error)}`;
        if (stats.firstErrors.length < KEEP_ERRORS && !stats.firstErrors.includes(text)) stats.firstErrors.push(text);
      }
      counts.done++;
      stats.done++;
      options.onSession?.(stats);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}

/** Empty counts, to pass to `runLoad` when they must be watched while it runs. */
export function newStats(): LoadStats {
  return { done: 0, errors: 0, byKind: {}, firstErrors: [] };
}
