/**
 * ReadWatch: the idle timeout, the deadline of a line that trickles in, the
 * rate of a bulk transfer, the deadline for progress (not during a bulk
 * transfer), and the run of octets without a line end.
 */

import assert from "node:assert/strict";
import { ReadWatch } from "../../lib/net/read_watch.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("ReadWatch reports a run without line end past maxLineRun, across chunks", () => {
  const watch = new ReadWatch({ idleTimeoutMs: 1000, maxLineRun: 10 }, 0);
  assert.equal(watch.input(bytes("NOOP\r\n12345"), 0), false);
  assert.equal(watch.input(bytes("67890"), 0), false, "10 octets since the last LF");
  assert.equal(watch.input(bytes("\nabcdefghij"), 0), false, "a line end starts the count again");
  assert.equal(watch.input(bytes("k"), 0), true);
});

Deno.test("ReadWatch ends a wait at the idle timeout and at the line deadline", () => {
  const watch = new ReadWatch({ idleTimeoutMs: 1000, lineTimeoutMs: 300 }, 0);
  assert.equal(watch.expired(999), undefined);
  assert.equal(watch.expired(1000), "timeout");
  watch.input(bytes("NO"), 1000);
  watch.waiting(1200);
  assert.equal(watch.expired(1299), undefined);
  assert.equal(watch.expired(1300), "timeout", "a line begun at 1000 must be done by 1300");
  watch.input(bytes("OP\r\n"), 1250);
  assert.equal(watch.expired(1300), undefined);
});

Deno.test("ReadWatch ends a wait when progress is overdue, except during a bulk transfer", () => {
  const watch = new ReadWatch({ idleTimeoutMs: 10_000 }, 0);
  watch.expectProgress(500, 0);
  assert.equal(watch.expired(499), undefined);
  assert.equal(watch.expired(500), "stalled");
  watch.bulk(400);
  assert.equal(watch.expired(600), undefined, "DATA under way");
  watch.lines();
  assert.equal(watch.expired(600), "stalled");
  watch.expectProgress(500, 600);
  assert.equal(watch.expired(1099), undefined);
  watch.expectProgress(undefined, 600);
  assert.equal(watch.expired(9999), undefined, "no progress expected any more");
});

Deno.test("ReadWatch ends a bulk transfer slower than minDataRate after the line deadline's grace", () => {
  const watch = new ReadWatch({ idleTimeoutMs: 10_000, lineTimeoutMs: 1000, minDataRate: 100 }, 0);
  watch.bulk(0);
  watch.input(bytes("x".repeat(50) + "\n"), 900);
  assert.equal(watch.expired(1509), undefined, "51 octets earn 510 ms past the grace");
  assert.equal(watch.expired(1510), "timeout");
});
