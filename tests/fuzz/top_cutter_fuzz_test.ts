/**
 * Property-based fuzzing of `TopCutter` (POP3 TOP, RFC 1939 §7): however
 * the stored record is chunked, it passes the header, the blank line and
 * the first n body lines, never the record's own terminator. Seed and
 * replay: see `fuzz.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { TopCutter } from "../../lib/pop3/top_cutter.ts";
import { bytes, chunk, chunkSizes, concat, fuzzParams, latin1 } from "./fuzz.ts";

/** Feeds the chunks as the driver does, stopping once the cutter is done; returns what it passed. */
function cut(record: Uint8Array, sizes: readonly number[], bodyLines: number): string {
  const cutter = new TopCutter(bodyLines, record.length);
  const out: Uint8Array[] = [];
  for (const piece of chunk(record, sizes)) {
    out.push(cutter.take(piece));
    if (cutter.done) break;
  }
  assert.ok(cutter.done, "done once the record is read");
  assert.equal(cutter.take(bytes("more\r\n")).length, 0, "nothing passes after done");
  return latin1(concat(out));
}

/** The rule: lines up to the first empty one, then `bodyLines` more; the ".\r\n" terminator is dropped. */
function model(record: Uint8Array, bodyLines: number): string {
  const text = latin1(record).slice(0, -3);
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let out = "";
  let inHeader = true;
  let left = bodyLines;
  for (const line of lines) {
    out += line;
    if (inHeader) inHeader = line !== "\r\n" && line !== "\n";
    else left--;
    if (!inHeader && left <= 0) break;
  }
  return out;
}

const header = fc.array(fc.constantFrom("From: a@b.test\r\n", "Subject: x\r\n", " folded\r\n", "X:\r\n", "\r\r\n"), {
  maxLength: 4,
});
const bodyLine = fc.oneof(
  fc.constantFrom("\r\n", "..\r\n", "..x\r\n", "text\r\n", "\n", "\r\r\n"),
  fc.string({ unit: "binary-ascii", maxLength: 8 }).map((s) => `${s.replace(/[\r\n]/g, "")}\r\n`),
);
const record = fc.tuple(header, fc.constantFrom("\r\n", "\r\n", "\n", ""), fc.array(bodyLine, { maxLength: 12 }))
  .map(([h, blank, body]) => bytes(`${h.join("")}${blank}${body.join("")}.\r\n`));
const count = fc.oneof(fc.integer({ min: 0, max: 14 }), fc.constant(999_999_999));

Deno.test("TopCutter passes the header and n body lines however the record is chunked", () => {
  fc.assert(
    fc.property(record, chunkSizes, count, (rec, sizes, n) => {
      assert.equal(cut(rec, sizes, n), model(rec, n));
    }),
    fuzzParams(4000),
  );
});
