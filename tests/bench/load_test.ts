import assert from "node:assert/strict";
import { join } from "node:path";
import { countMboxMessages, countRecords } from "../../bench/load.ts";

/** Writes `text` to a file in a fresh temporary directory and resolves to what `count` makes of it. */
async function countIn(text: string, count: (path: string) => Promise<number>): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "load_test_" });
  try {
    const path = join(dir, "mailbox");
    await Deno.writeTextFile(path, text);
    return await count(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MESSAGE =
  "From bench@localhost  Fri Nov 27 09:48:05 2026\nFrom: <bench@localhost>\n\nbody\n>From the quoted line\n\n";

Deno.test("countMboxMessages counts the separator lines at the start and after an empty line", async () => {
  assert.equal(await countIn(MESSAGE.repeat(3), countMboxMessages), 3);
});

Deno.test("countMboxMessages skips From lines that follow a non-empty line, From: headers and a partial From", async () => {
  const text = MESSAGE + "x\nFrom not-after-an-empty-line\nFrom:x\n\nFrom\n\nFro";
  assert.equal(await countIn(text, countMboxMessages), 1);
});

Deno.test("countMboxMessages and countRecords count 0 for a missing file", async () => {
  assert.equal(await countMboxMessages("/nonexistent/mbox"), 0);
  assert.equal(await countRecords("/nonexistent/mailbox"), 0);
});

Deno.test("countRecords counts the lines holding a single dot, CRLF or LF ended", async () => {
  assert.equal(await countIn("a\r\n.\r\nb\n.\n..\n. \n", countRecords), 2);
});
