import assert from "node:assert/strict";
import { type ReadAt, RecordIds } from "../../lib/mailbox/record_ids.ts";
import { uniqueIds } from "../../lib/mailbox/record.ts";

const encoder = new TextEncoder();

/** A `ReadAt` over bytes in memory, counting its calls. */
function memoryReadAt(bytes: Uint8Array): ReadAt & { calls: number } {
  const read = (buf: Uint8Array, position: number) => {
    read.calls++;
    const part = bytes.subarray(position, position + buf.length);
    buf.set(part);
    return part.length;
  };
  read.calls = 0;
  return read;
}

/**
 * The ids `RecordIds` gives for `ids`, the first `filed` of them added from
 * an index-like text (one per line, after a space), the rest with `add`.
 */
function recordIds(ids: string[], filed = 0): string[] {
  const text = encoder.encode(ids.slice(0, filed).map((id) => ` ${id}\n`).join(""));
  const set = new RecordIds(2, { read: memoryReadAt(text), length: text.length });
  let at = 0;
  for (const id of ids.slice(0, filed)) {
    assert.equal(set.addFiled(text, at + 1, at + 1 + id.length, at + 1), true);
    at += id.length + 2;
  }
  for (const id of ids.slice(filed)) {
    // Each id inside other bytes, as in an index line.
    const bytes = encoder.encode(` ${id}\n`);
    assert.equal(set.add(bytes, 1, bytes.length - 1), true);
  }
  assert.equal(set.count, ids.length);
  set.seal();
  return ids.map((_, i) => set.get(i));
}

Deno.test("RecordIds makes ids unique exactly as uniqueIds does, from the index or from memory", () => {
  const long = "L".repeat(70);
  const cases = [
    [],
    ["a"],
    ["a", "a", "a"],
    ["a", "a.2", "a", "a.2", "a.2.2", "a"],
    [long, long, `${"L".repeat(60)}.2`, long],
    ["x.3", "x", "x", "x", "x.2"],
  ];
  for (const ids of cases) {
    for (let filed = 0; filed <= ids.length; filed++) {
      assert.deepEqual(recordIds(ids, filed), uniqueIds(ids), `${ids.join(" ")} with ${filed} from the index`);
    }
  }
});

Deno.test("RecordIds keeps many ids apart while its table grows", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ids = Array.from({ length: 20000 }, () => `id${Math.floor(random() * 3000)}${random() < 0.1 ? ".2" : ""}`);
  assert.deepEqual(recordIds(ids), uniqueIds(ids));
  assert.deepEqual(recordIds(ids, 15000), uniqueIds(ids));
});

Deno.test("RecordIds reads ids from the index in windows, not one read per id", () => {
  const ids = Array.from({ length: 5000 }, (_, i) => `mwywrvot${i}.3bbe28c61a15`);
  const text = encoder.encode(ids.map((id) => ` ${id}\n`).join(""));
  const read = memoryReadAt(text);
  const set = new RecordIds(ids.length, { read, length: text.length });
  let at = 0;
  for (const id of ids) {
    set.addFiled(text, at + 1, at + 1 + id.length, at + 1);
    at += id.length + 2;
  }
  set.seal();
  read.calls = 0;
  assert.deepEqual(ids.map((_, i) => set.get(i)), ids);
  assert.ok(read.calls <= Math.ceil(text.length / 16384) + 1, `${read.calls} reads`);
});

Deno.test("RecordIds refuses ids once sealed, and ids from the index after others", () => {
  const ids = new RecordIds();
  ids.add(encoder.encode("one"), 0, 3);
  assert.throws(() => ids.addFiled(encoder.encode("two"), 0, 3, 0), /after other ids|no index/);
  ids.seal();
  assert.equal(ids.get(0), "one");
  assert.throws(() => ids.add(encoder.encode("two"), 0, 3), /sealed/);
});

Deno.test("RecordIds refuses what is not an id a record can carry", () => {
  const ids = new RecordIds();
  for (const bad of ["", "x".repeat(71), "a b", "a;b", "a\x7fb", "caf\xe9"]) {
    const bytes = encoder.encode(bad);
    assert.equal(ids.add(bytes, 0, bytes.length), false, JSON.stringify(bad));
  }
  const good = encoder.encode("x".repeat(70));
  assert.equal(ids.add(good, 0, good.length), true);
  assert.deepEqual([ids.count, ids.get(0)], [1, "x".repeat(70)]);
});

Deno.test("RecordIds refuses to give an id that the index no longer holds", () => {
  const text = encoder.encode(" first\n second\n");
  const set = new RecordIds(2, { read: memoryReadAt(text), length: text.length });
  set.addFiled(text, 1, 6, 1);
  set.addFiled(text, 8, 14, 8);
  set.seal();
  text.set(encoder.encode(" s;c"), 7);
  assert.equal(set.get(0), "first");
  assert.throws(() => set.get(1), /index changed/);
});
