import assert from "node:assert/strict";
import { LogBudget } from "../lib/log_budget.ts";

Deno.test("LogBudget allows a burst, then the steady rate, and counts what it left out", () => {
  const budget = new LogBudget({ burst: 3, perSecond: 2 });
  assert.deepEqual([0, 0, 0, 0, 0].map(() => budget.take(1000)), [0, 0, 0, undefined, undefined]);
  assert.equal(budget.take(1400), undefined, "0.8 of a line earned");
  assert.equal(budget.take(1500), 3, "one line earned; three were left out before it");
  assert.equal(budget.take(1500), undefined);
  assert.deepEqual([budget.take(60_000), budget.take(60_000), budget.take(60_000)], [1, 0, 0], "the burst again");
  assert.equal(budget.take(60_000), undefined);
});
