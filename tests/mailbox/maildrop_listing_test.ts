import assert from "node:assert/strict";
import { MaildropListing } from "../../lib/mailbox/postgres/maildrop_listing.ts";

const encoder = new TextEncoder();

/** The listing of `text`, as the database sends it (UTF-8). */
function listing(text: string): MaildropListing {
  return MaildropListing.parse(encoder.encode(text));
}

Deno.test("MaildropListing reads an empty listing as no messages", () => {
  assert.equal(MaildropListing.parse(null).count, 0);
  assert.equal(listing("").count, 0);
});

Deno.test("MaildropListing puts lines found in any order in order of their keys", () => {
  const found = listing("30 300 303 c.3\n10 100 101 a.1\n20 200 202 b.2-x");
  assert.equal(found.count, 3);
  assert.deepEqual([...found.keys], [10, 20, 30]);
  assert.deepEqual([...found.sizes], [100, 200, 300]);
  assert.deepEqual([...found.storedLengths], [101, 202, 303]);
  assert.deepEqual([0, 1, 2].map((i) => found.id(i)), ["a.1", "b.2-x", "c.3"]);
});

Deno.test("MaildropListing reads ids of any UTF-8", () => {
  assert.equal(listing("7 1 2 caf\u00e9-\u2603").id(0), "caf\u00e9-\u2603");
});

Deno.test("MaildropListing keeps ordered lines as they are", () => {
  const found = listing(Array.from({ length: 1000 }, (_, i) => `${i + 1} ${i * 7} ${i * 7 + 3} id${i}`).join("\n"));
  assert.equal(found.count, 1000);
  assert.equal(found.keys[999], 1000);
  assert.equal(found.sizes[500], 3500);
  assert.equal(found.id(999), "id999");
});

Deno.test("MaildropListing refuses a line that is not key, size, stored length and id", async (t) => {
  for (const text of ["1 2 3", "1 2 id", "x 2 3 id", "1  2 3 id", "1 2 3 a\n\n4 5 6 b"]) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => listing(text), SyntaxError);
    });
  }
});

Deno.test("MaildropListing.free leaves only the count", () => {
  const found = listing("1 2 3 a");
  found.free();
  assert.equal(found.count, 1);
  assert.equal(found.keys.length, 0);
});

Deno.test("MaildropListing orders keys too large to pack with their line numbers, too", () => {
  const found = listing(`${2 ** 40 + 5} 1 2 b\n${2 ** 40} 3 4 a\n7 5 6 first`);
  assert.deepEqual([0, 1, 2].map((i) => found.id(i)), ["first", "a", "b"]);
  assert.deepEqual([...found.sizes], [5, 3, 1]);
});

Deno.test("MaildropListing orders ten thousand shuffled lines", () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `${1000 + i * 3} ${i} ${i + 9} id${i}`);
  for (let i = lines.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [lines[i], lines[j]] = [lines[j], lines[i]];
  }
  const found = listing(lines.join("\n"));
  for (let i = 0; i < found.count; i++) {
    assert.equal(found.keys[i], 1000 + i * 3);
    assert.equal(found.storedLengths[i], i + 9);
    assert.equal(found.id(i), `id${i}`);
  }
});
