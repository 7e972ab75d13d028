/**
 * Turnstile: one check at a time per key, each its gap after the one
 * before ended; a bounded queue; idle lanes forgotten.
 */

import assert from "node:assert/strict";
import type { Clock } from "../../lib/auth/clock.ts";
import { Turnstile, TURNSTILE_FULL, TURNSTILE_SKIPPED } from "../../lib/auth/turnstile.ts";

/** A clock whose sleeps advance it at once. */
class SteppingClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.time += ms;
    return Promise.resolve();
  }
}

Deno.test("Turnstile runs one check at a time per key, each its gap after the last one ended", async () => {
  const clock = new SteppingClock();
  const turns = new Turnstile({ maxWaiting: 10, maxGapMs: 1000, clock });
  const started: string[] = [];
  let running = 0;
  const check = (label: string) => async () => {
    assert.equal(running++, 0, "one at a time");
    started.push(`${label}@${clock.now()}`);
    await clock.sleep(10);
    running--;
    return label;
  };
  const results = await Promise.all([
    turns.run("a", { gapMs: () => 0, check: check("a1") }),
    turns.run("a", { gapMs: () => 100, check: check("a2") }),
    turns.run("a", { gapMs: () => 100, check: check("a3") }),
  ]);
  assert.deepEqual(results, ["a1", "a2", "a3"]);
  assert.deepEqual(started, ["a1@0", "a2@110", "a3@220"]);
  assert.equal(
    await turns.run("b", { gapMs: () => 100, check: () => Promise.resolve("b") }),
    "b",
    "another key does not wait",
  );
});

Deno.test("Turnstile refuses a check when maxWaiting wait for its key, and forgets idle lanes", async () => {
  const clock = new SteppingClock();
  const turns = new Turnstile({ maxWaiting: 2, maxGapMs: 1000, clock });
  const gate = Promise.withResolvers<void>();
  const first = turns.run("a", { gapMs: () => 0, check: () => gate.promise });
  const second = turns.run("a", { gapMs: () => 0, check: () => Promise.resolve() });
  assert.equal(await turns.run("a", { gapMs: () => 0, check: () => Promise.resolve() }), TURNSTILE_FULL);
  gate.resolve();
  await Promise.all([first, second]);
  assert.equal(turns.size, 1);
  clock.time += 1000;
  await turns.run("b", { gapMs: () => 0, check: () => Promise.resolve() });
  assert.equal(turns.size, 1, "a's lane, idle for the longest gap, is gone");
});

Deno.test("Turnstile skips a check no longer wanted when its turn comes, and the next one need not wait for it", async () => {
  const clock = new SteppingClock();
  const turns = new Turnstile({ maxWaiting: 10, maxGapMs: 1000, clock });
  await turns.run("a", { gapMs: () => 0, check: () => Promise.resolve() });
  const results = await Promise.all([
    turns.run("a", { gapMs: () => 100, check: () => Promise.resolve("first"), skip: () => true }),
    turns.run("a", { gapMs: () => 100, check: () => Promise.resolve(clock.now()) }),
  ]);
  assert.deepEqual(results, [TURNSTILE_SKIPPED, 100], "one gap after the last check, none for the skipped one");
});
