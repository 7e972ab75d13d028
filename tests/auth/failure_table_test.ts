import assert from "node:assert/strict";
import { FailureTable } from "../../lib/auth/failure_table.ts";

const OPTIONS = { lockoutAfter: 3, lockoutMs: 1000, windowMs: 5000, maxEntries: 4 };

Deno.test("FailureTable locks a key at its lockoutAfter-th failure, until lockoutMs has passed", () => {
  const table = new FailureTable(OPTIONS);
  assert.deepEqual(table.fail("a", 0), { failures: 1, locked: false });
  assert.deepEqual(table.fail("a", 10), { failures: 2, locked: false });
  assert.equal(table.lockedUntil("a", 10), undefined);
  assert.deepEqual(table.fail("a", 20), { failures: 3, locked: true });
  assert.equal(table.lockedUntil("a", 20), 1020);
  assert.equal(table.lockedUntil("a", 1019), 1020);
  assert.equal(table.lockedUntil("a", 1020), undefined);
  assert.equal(table.lockedUntil("b", 20), undefined, "other keys are not locked");
  assert.deepEqual(table.fail("a", 1020), { failures: 1, locked: false }, "the count starts again after a lock");
});

Deno.test("FailureTable forgets failures windowMs after the last one", () => {
  const table = new FailureTable(OPTIONS);
  table.fail("a", 0);
  table.fail("a", 4000);
  assert.deepEqual(table.fail("a", 8999), { failures: 3, locked: true }, "each failure extends the window");
  const other = new FailureTable(OPTIONS);
  other.fail("b", 0);
  other.fail("b", 1);
  assert.deepEqual(other.fail("b", 5001), { failures: 1, locked: false });
});

Deno.test("FailureTable.clear forgets a key", () => {
  const table = new FailureTable(OPTIONS);
  table.fail("a", 0);
  table.fail("a", 0);
  table.clear("a");
  assert.deepEqual(table.fail("a", 0), { failures: 1, locked: false });
});

Deno.test("FailureTable keeps at most maxEntries keys, forgetting the one touched longest ago", () => {
  const table = new FailureTable(OPTIONS);
  for (const key of ["a", "b", "c", "d"]) table.fail(key, 0);
  table.fail("a", 1);
  table.fail("e", 2);
  assert.equal(table.size, 4);
  assert.deepEqual(table.fail("b", 3), { failures: 1, locked: false }, "b was the oldest and is forgotten");
  assert.deepEqual(table.fail("a", 4), { failures: 3, locked: true }, "a was touched again and is kept");
  for (let i = 0; i < 10_000; i++) table.fail(`spray${i}`, 5);
  assert.equal(table.size, 4);
});

Deno.test("FailureTable forgets expired keys as new failures come, so it drains without reaching maxEntries", () => {
  const table = new FailureTable({ ...OPTIONS, maxEntries: 100 });
  for (const key of ["a", "b", "c"]) table.fail(key, 0);
  table.fail("d", 3000);
  assert.equal(table.size, 4);
  table.fail("e", 5000);
  assert.equal(table.size, 2, "a, b and c expired at 5000 and are gone; d is kept");
  table.fail("f", 8000);
  assert.equal(table.size, 2, "d expired at 8000");
  table.fail("g", 8000);
  assert.equal(table.lockedUntil("d", 8000), undefined);
});

Deno.test("FailureTable keeps a locked key past the window while its lock lasts", () => {
  const table = new FailureTable({ ...OPTIONS, lockoutMs: 20_000 });
  for (let t = 0; t < 3; t++) table.fail("a", t);
  table.fail("b", 10_000);
  assert.equal(table.lockedUntil("a", 10_000), 20_002);
  table.fail("c", 20_002);
  assert.equal(table.lockedUntil("a", 20_002), undefined);
  assert.equal(table.size, 1, "a's lock and b's window are over");
});

Deno.test("FailureTable.count says how many failures a key has until they expire", () => {
  const table = new FailureTable({ ...OPTIONS, lockoutAfter: Infinity });
  assert.equal(table.count("a", 0), 0);
  table.fail("a", 0);
  table.fail("a", 100);
  assert.equal(table.count("a", 5099), 2);
  assert.equal(table.count("a", 5100), 0);
});
