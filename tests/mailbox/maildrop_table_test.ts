import assert from "node:assert/strict";
import { RecordTable } from "../../lib/mailbox/maildrop_table.ts";

Deno.test("RecordTable keeps offsets past 4 GiB exactly unless told the mailbox is smaller", () => {
  const big = 2 ** 32 + 5;
  const wide = new RecordTable(1);
  wide.add(0, big, big - 3, "a1");
  wide.add(big, 10, 7, "a2");
  assert.deepEqual([wide.offset(1), wide.storedLength(1), wide.size(0), wide.end], [big, 10, big - 3, big + 10]);

  const narrow = new RecordTable(1, 2 ** 32 - 1);
  narrow.add(0, 2 ** 32 - 11, 100, "b1");
  assert.throws(() => narrow.add(2 ** 32 - 11, 11, 8, "b2"), RangeError);
  narrow.add(2 ** 32 - 11, 10, 7, "b2");
  assert.deepEqual([narrow.count, narrow.end, narrow.size(1), narrow.id(1)], [2, 2 ** 32 - 1, 7, "b2"]);
});

Deno.test("RecordTable grows past its expected size, and is empty once released", () => {
  const table = new RecordTable(1, 10_000);
  for (let i = 0; i < 40; i++) table.add(i * 100, 100, 90, `id${i}`);
  assert.deepEqual([table.count, table.totalSize, table.offset(39), table.id(39)], [40, 3600, 3900, "id39"]);
  table.seal();
  table.release();
  assert.deepEqual([table.count, table.totalSize, table.end], [0, 0, 0]);
});
