/**
 * Measures what one `FileMailStore.openMaildrop` takes: time, and memory
 * retained (after a full GC) and at its peak (before it), while a first
 * maildrop, opened to compile the code, stays open. Run by
 * `maildrop_scale_test.ts` as
 * `deno run --allow-all --v8-flags=--expose-gc maildrop_memory.ts ROOT USER`;
 * prints one JSON line.
 *
 * @module
 */

import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";

/** What the script prints. */
export interface MaildropMemory {
  /** Records in the maildrop. */
  count: number;
  /** Milliseconds the process's first `openMaildrop` took, code not yet compiled. */
  firstMs: number;
  /** Milliseconds the measured (second) `openMaildrop` took. */
  ms: number;
  /** `openMaildrop` calls that scanned the whole mailbox (0 when the index served). */
  fullScans: number;
  /** Growth of `Deno.memoryUsage()` fields in bytes, after a full GC, the maildrop held. */
  retained: { heapUsed: number; external: number };
  /** The same growth just after `openMaildrop`, garbage included. */
  peak: { heapUsed: number; external: number };
}

/** `Deno.memoryUsage()` fields grown since `before`. */
function growth(before: Deno.MemoryUsage): { heapUsed: number; external: number } {
  const now = Deno.memoryUsage();
  return { heapUsed: now.heapUsed - before.heapUsed, external: now.external - before.external };
}

if (import.meta.main) {
  const [root, user] = Deno.args;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("Cannot measure: run with --v8-flags=--expose-gc");
  const store = new FileMailStore({ root });
  // A first maildrop compiles the code. It stays open, as freeing it would blur the counters.
  const firstStarted = performance.now();
  const first = await store.openMaildrop(user);
  const firstMs = performance.now() - firstStarted;
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
  const before = Deno.memoryUsage();
  const started = performance.now();
  const maildrop = await store.openMaildrop(user);
  const ms = performance.now() - started;
  const peak = growth(before);
  gc();
  const retained = growth(before);
  const { count } = maildrop;
  const result: MaildropMemory = { count, firstMs, ms, fullScans: store.stats.fullScans, retained, peak };
  console.log(JSON.stringify(result));
  maildrop.close();
  first.close();
}
