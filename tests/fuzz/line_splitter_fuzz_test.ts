/**
 * Property-based fuzzing of `LineSplitter`: however the input is chunked,
 * it hands out the lines a plain split at LF gives, with over-long lines
 * reported as `tooLong`. Seed and replay: see `fuzz.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter } from "../../lib/net/line_splitter.ts";
import { chunk, chunkSizes, fuzzParams, latin1 } from "./fuzz.ts";

/** A line as the properties compare it: text in Latin-1. */
interface Seen {
  bytes: string;
  raw: string;
  crlf: boolean;
  tooLong: boolean;
}

/** Pushes the chunks, taking every complete line after each; returns the lines and what stays buffered. */
function split(data: Uint8Array, sizes: readonly number[], limit: number): { lines: Seen[]; buffered: number } {
  const splitter = new LineSplitter();
  const lines: Seen[] = [];
  for (const piece of chunk(data, sizes)) {
    splitter.push(piece);
    for (let l = splitter.next(limit); l; l = splitter.next(limit)) {
      lines.push({ bytes: latin1(l.bytes), raw: latin1(l.raw), crlf: l.crlf, tooLong: l.tooLong });
    }
  }
  return { lines, buffered: splitter.buffered };
}

/** The rule: split after each LF; a line longer than `limit` with its line end is reported empty and `tooLong`. */
function model(data: Uint8Array, limit: number): Seen[] {
  const text = latin1(data);
  const lines: Seen[] = [];
  for (let at = 0, lf = text.indexOf("\n"); lf >= 0; at = lf + 1, lf = text.indexOf("\n", at)) {
    const raw = text.slice(at, lf + 1);
    const crlf = raw.endsWith("\r\n");
    lines.push(
      raw.length > limit
        ? { bytes: "", raw: "", crlf, tooLong: true }
        : { bytes: raw.slice(0, crlf ? -2 : -1), raw, crlf, tooLong: false },
    );
  }
  return lines;
}

const piece = fc.oneof(
  fc.constantFrom("\r\n", "\r", "\n", "a", " ", "\r\r\n"),
  fc.string({ unit: "binary-ascii", maxLength: 10 }),
  fc.integer({ min: 5, max: 40 }).map((n) => "x".repeat(n)),
);
const input = fc.array(piece, { maxLength: 30, size: "medium" })
  .map((p) => Uint8Array.from(p.join(""), (c) => c.charCodeAt(0)));

Deno.test("LineSplitter splits lines the same however the input is chunked", () => {
  fc.assert(
    fc.property(input, chunkSizes, fc.integer({ min: 1, max: 40 }), (data, sizes, limit) => {
      const got = split(data, sizes, limit);
      assert.deepEqual(got.lines, model(data, limit));
      const tail = data.length - (data.lastIndexOf(0x0a) + 1);
      if (tail < limit) assert.equal(got.buffered, tail, "an unfinished line is kept whole");
      else assert.ok(got.buffered <= 1, "an over-long unfinished line is not kept");
    }),
    fuzzParams(4000),
  );
});
