/** MailIndex: serial numbers over the server's message numbers, with deletions. */

import assert from "node:assert/strict";
import { MailIndex } from "../../lib/client/mail_index.ts";

Deno.test("MailIndex renumbers the serials after deletions and keeps the server's numbers", () => {
  const index = new MailIndex(6);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((s) => index.msgOf(s)), [1, 2, 3, 4, 5, 6]);
  index.remove(3);
  index.remove(1);
  index.remove(3);
  assert.equal(index.size, 3);
  assert.equal(index.deletedCount, 3);
  assert.deepEqual([1, 2, 3].map((s) => index.msgOf(s)), [2, 4, 6]);
  assert.throws(() => index.msgOf(4), RangeError);
  assert.throws(() => index.msgOf(0), RangeError);
});
