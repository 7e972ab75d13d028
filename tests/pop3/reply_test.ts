import assert from "node:assert/strict";
import { decimal } from "../../lib/pop3/reply.ts";

Deno.test("decimal writes numbers as String does", () => {
  const numbers = [0, 1, 9, 10, 99, 100, 4270, 65535, 100000, 2 ** 32, Number.MAX_SAFE_INTEGER];
  for (let n = 0; n < 2000; n += 7) numbers.push(n);
  for (const n of numbers) assert.equal(decimal(n), String(n));
});
