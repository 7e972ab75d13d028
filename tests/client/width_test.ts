/** Terminal widths: wide, combining and zero-width characters; cutting and wrapping lines; printable text. */

import assert from "node:assert/strict";
import { printableLine, printableText } from "../../lib/client/printable.ts";
import { charWidth, cutToWidth, textWidth, wrapToWidth } from "../../lib/client/width.ts";

Deno.test("charWidth counts wide characters as two columns and combining marks as none", () => {
  const cases: [string, number][] = [["a", 1], ["é", 1], ["\u0301", 0], ["会", 2], ["Ａ", 2], ["한", 2], ["📬", 2], [
    "\u200b",
    0,
  ], ["\uFFFD", 1]];
  for (const [char, width] of cases) assert.equal(charWidth(char), width, char);
  assert.equal(textWidth("Cafe\u0301 会議"), 9);
});

Deno.test("cutToWidth keeps combining marks with their base and leaves out a wide character at the edge", () => {
  assert.equal(cutToWidth("abcdef", 4), "abcd");
  assert.equal(cutToWidth("e\u0301e\u0301e\u0301", 2), "e\u0301e\u0301");
  assert.equal(cutToWidth("a会議", 4), "a会");
  assert.equal(cutToWidth("a会議", 2), "a");
});

Deno.test("wrapToWidth splits a line into screen lines", () => {
  assert.deepEqual(wrapToWidth("", 4), [""]);
  assert.deepEqual(wrapToWidth("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrapToWidth("会議会議会", 4), ["会議", "会議", "会"]);
  assert.deepEqual(wrapToWidth("会", 1), ["会"]);
});

Deno.test("printableLine and printableText show format and separator characters visibly, as controls", () => {
  assert.equal(printableLine("inv\u202efdp.exe"), "inv\uFFFDfdp.exe");
  assert.equal(
    printableLine("a\u200bb\u200dc\u2028d\u2029e\u2066f\x1b[2J\tg"),
    "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD[2J g",
  );
  assert.equal(printableText("one\r\ntwo\u2028three\tfour\u202e\n"), "one\ntwo\uFFFDthree\tfour\uFFFD\n");
});
