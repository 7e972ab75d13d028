import assert from "node:assert/strict";
import { MaildropListing } from "../../lib/mailbox/postgres/maildrop_listing.ts";

Deno.test("MaildropListing reads an empty listing as no messages", () => {
  assert.equal(MaildropListing.parse(null).count, 0);
  assert.equal(MaildropListing.parse("").count, 0);
});

Deno.test("MaildropListing puts lines found in any order in order of their keys", () => {
  const listing = MaildropListing.parse("30 300 303 c.3\n10 100 101 a.1\n20 200 202 b.2-x");
  assert.equal(listing.count, 3);
  assert.deepEqual([...listing.keys], [10, 20, 30]);
  assert.deepEqual([...listing.sizes], [100, 200, 300]);
  assert.deepEqual([...listing.storedLengths], [101, 202, 303]);
  assert.deepEqual([0, 1, 2].map((i) => listing.id(i)), ["a.1", "b.2-x", "c.3"]);
});

Deno.test("MaildropListing keeps ordered lines as they are", () => {
  const lines = Array.from({ length: 1000 }, (_, i) => `${i + 1} ${i * 7} ${i * 7 + 3} id${i}`);
  const listing = MaildropListing.parse(lines.join("\n"));
  assert.equal(listing.count, 1000);
  assert.equal(listing.keys[999], 1000);
  assert.equal(listing.sizes[500], 3500);
  assert.equal(listing.id(999), "id999");
});

Deno.test("MaildropListing refuses a line that is not key, size, stored length and id", async (t) => {
  for (const text of ["1 2 3", "1 2 id", "x 2 3 id", "1  2 3 id", "1 2 3 a\n\n4 5 6 b"]) {
    await t.step(JSON.stringify(text), () => {
      assert.throws(() => MaildropListing.parse(text), SyntaxError);
    });
  }
});

Deno.test("MaildropListing.free leaves only the count", () => {
  const listing = MaildropListing.parse("1 2 3 a");
  listing.free();
  assert.equal(listing.count, 1);
  assert.equal(listing.keys.length, 0);
});
