import assert from "node:assert/strict";
import { PackedIds } from "../../lib/mailbox/packed_ids.ts";
import { uniqueIds } from "../../lib/mailbox/record.ts";

/** The ids `PackedIds` gives for `ids`, added one by one. */
function packed(ids: string[]): string[] {
  const packed = new PackedIds(2);
  for (const id of ids) {
    // Each id inside other bytes, as in an index line.
    const bytes = new TextEncoder().encode(` ${id}\n`);
    packed.add(bytes, 1, bytes.length - 1);
  }
  assert.equal(packed.count, ids.length);
  return ids.map((_, i) => packed.get(i));
}

Deno.test("PackedIds makes ids unique exactly as uniqueIds does", () => {
  const long = "L".repeat(70);
  const cases = [
    [],
    ["a"],
    ["a", "a", "a"],
    ["a", "a.2", "a", "a.2", "a.2.2", "a"],
    [long, long, `${"L".repeat(60)}.2`, long],
    ["x.3", "x", "x", "x", "x.2"],
  ];
  for (const ids of cases) assert.deepEqual(packed(ids), uniqueIds(ids), ids.join(" "));
});

Deno.test("PackedIds keeps many ids apart while its table grows", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ids = Array.from({ length: 20000 }, () => `id${Math.floor(random() * 3000)}${random() < 0.1 ? ".2" : ""}`);
  assert.deepEqual(packed(ids), uniqueIds(ids));
});

Deno.test("PackedIds refuses ids once sealed", () => {
  const ids = new PackedIds();
  ids.add(new TextEncoder().encode("one"), 0, 3);
  ids.seal();
  assert.equal(ids.get(0), "one");
  assert.throws(() => ids.add(new TextEncoder().encode("two"), 0, 3), /sealed/);
});

Deno.test("PackedIds refuses what is not an id a record can carry", () => {
  const ids = new PackedIds();
  for (const bad of ["", "x".repeat(71), "a b", "a;b", "a\x7fb", "caf\xe9"]) {
    const bytes = new TextEncoder().encode(bad);
    assert.equal(ids.add(bytes, 0, bytes.length), false, JSON.stringify(bad));
  }
  const good = new TextEncoder().encode("x".repeat(70));
  assert.equal(ids.add(good, 0, good.length), true);
  assert.deepEqual([ids.count, ids.get(0)], [1, "x".repeat(70)]);
});
