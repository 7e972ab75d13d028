import assert from "node:assert/strict";
import { logLine, logValue } from "../lib/log.ts";

Deno.test("logLine escapes controls and the Unicode format characters that change how a line reads", () => {
  const cases: [string, string][] = [
    ["a\r\nb", "a\\u000d\\u000ab"],
    ["del\x7f c1\x85", "del\\u007f c1\\u0085"],
    ["bidi\u202a\u202e\u2066\u2069", "bidi\\u202a\\u202e\\u2066\\u2069"],
    ["zero\u200b\u200c\u200d\u200e\u200f", "zero\\u200b\\u200c\\u200d\\u200e\\u200f"],
    ["sep\u2028\u2029 bom\ufeff", "sep\\u2028\\u2029 bom\\ufeff"],
    ["kept: é ü 日本 \u2027 \u2030 \u2065", "kept: é ü 日本 \u2027 \u2030 \u2065"],
  ];
  for (const [text, written] of cases) assert.equal(logLine(text), written, JSON.stringify(text));
});

Deno.test("logValue leaves plain values and quotes those that could read as fields", () => {
  const cases: [string, string][] = [
    ["<a@b.test>", "<a@b.test>"],
    ["", ""],
    ["<a b@c>", '"<a b@c>"'],
    ['<"x> outcome=stored"@c>', '"<\\"x> outcome\\u003dstored\\"@c>"'],
    ["<jörg@c>", "<jörg@c>"],
    ["<a\u2028b@c>", '"<a\u2028b@c>"'],
  ];
  for (const [text, written] of cases) assert.equal(logValue(text), written, JSON.stringify(text));
});
