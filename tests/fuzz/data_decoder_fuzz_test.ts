/**
 * Property-based fuzzing of `DataDecoder` (RFC 5321 §4.1.1.4, §4.5.2)
 * against a plain line-by-line model, over random byte strings with the
 * end marker at a random place, in random chunkings. Seed and replay: see
 * `fuzz.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { DataDecoder, type DataProblem } from "../../lib/smtp/data_decoder.ts";
import { bytes, chunk, chunkSizes, concat, fuzzParams, latin1 } from "./fuzz.ts";

/** The decoder's limits. */
interface Limits {
  maxSize: number;
  maxLine: number;
}

/** What decoding gives: stored text (Latin-1), size, problem and octets used; undefined when no end was found. */
type Outcome = { stored: string; size: number; problem?: DataProblem; used: number } | undefined;

/** Feeds the chunks to a decoder until it reports the end. */
function decode(input: Uint8Array, sizes: readonly number[], limits: Limits): Outcome {
  const data = new DataDecoder(limits);
  let offset = 0;
  for (const piece of chunk(input, sizes)) {
    const { used, done } = data.push(piece);
    if (done) {
      const r = data.result();
      const outcome = { stored: latin1(concat(r.chunks)), size: r.size, used: offset + used };
      return r.problem === undefined ? outcome : { ...outcome, problem: r.problem };
    }
    assert.equal(used, piece.length, "an open message takes the whole chunk");
    offset += piece.length;
  }
  return undefined;
}

/**
 * The intended rule, one LF-ended line at a time: the message ends at the
 * first line "." CRLF whose previous line ended in CRLF (or that starts the
 * data). Other lines are split at bare CRs and stored with CRLF; a lone
 * ".", and a "." just after a bare CR, are content and stored stuffed. A line longer than `maxLine` (its
 * stuffing dot not counted) is dropped with problem "line", its octets as
 * received still counted in the size; the first limit broken, in order,
 * names the problem.
 */
function model(input: Uint8Array, limits: Limits): Outcome {
  const s = latin1(input);
  let stored = "";
  let size = 0;
  let problem: DataProblem | undefined;
  let afterCrlf = true;
  for (let at = 0, lf = s.indexOf("\n"); lf >= 0; lf = s.indexOf("\n", at)) {
    const line = s.slice(at, lf + 1);
    const crlf = line.endsWith("\r\n");
    at = lf + 1;
    if (crlf && afterCrlf && line === ".\r\n") {
      const outcome = { stored: problem ? "" : stored, size, used: at };
      return problem === undefined ? outcome : { ...outcome, problem };
    }
    afterCrlf = crlf;
    if (line.length - (line[0] === "." ? 1 : 0) > limits.maxLine) {
      problem ??= "line";
      size += line.length - (line[0] === "." ? 1 : 0);
      continue;
    }
    for (const [i, piece] of line.slice(0, crlf ? -2 : -1).split("\r").entries()) {
      const stuff = piece === "." || (i > 0 && piece.startsWith("."));
      stored += `${stuff ? "." : ""}${piece}\r\n`;
      size += (stuff || !piece.startsWith(".") ? piece.length : piece.length - 1) + 2;
      if (size > limits.maxSize) problem ??= "size";
    }
  }
  return undefined;
}

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^\.?[a-z ]{0,20}\r\n$/) },
  { weight: 3, arbitrary: fc.constantFrom("\r\n", "\r", "\n", ".", "..", " ", "a", "Subject: x") },
  fc.constantFrom("\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r\n.\r", "\r\n.\r\n", ".\r\n"),
  fc.string({ unit: "binary-ascii", maxLength: 12 }),
  fc.uint8Array({ maxLength: 6 }).map(latin1),
  fc.integer({ min: 30, max: 90 }).map((n) => "z".repeat(n)),
);

/** Random data with the real end marker spliced in at a random place, or nowhere. */
const input = fc.tuple(
  fc.array(piece, { maxLength: 40, size: "medium" }),
  fc.nat(),
  fc.constantFrom("\r\n.\r\n", ".\r\n", ""),
)
  .map(([pieces, at, marker]) => {
    const i = at % (pieces.length + 1);
    const text = [...pieces.slice(0, i), marker, ...pieces.slice(i)].join("");
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  });

const limits = fc.constantFrom<Limits>(
  { maxSize: 1_000_000, maxLine: 1000 },
  { maxSize: 150, maxLine: 1000 },
  { maxSize: 1_000_000, maxLine: 40 },
  { maxSize: 40, maxLine: 30 },
);

Deno.test("DataDecoder result does not depend on how the input is chunked", () => {
  fc.assert(
    fc.property(input, chunkSizes, limits, (data, sizes, lim) => {
      assert.deepEqual(decode(data, sizes, lim), decode(data, [], lim));
    }),
    fuzzParams(4000),
  );
});

Deno.test("DataDecoder ends, normalizes, stuffs and counts as the line model says", () => {
  fc.assert(
    fc.property(input, chunkSizes, limits, (data, sizes, lim) => {
      const got = decode(data, sizes, lim);
      assert.deepEqual(got, model(data, lim));
      if (got === undefined) return;
      assert.doesNotMatch(got.stored, /\r(?!\n)|(?<!\r)\n/, "only CRLF line ends are stored");
      assert.ok(!("\r\n" + got.stored).includes("\r\n.\r\n"), "no stored line reads as the end marker");
      const stuffing = got.stored.split("\r\n").filter((l) => l.startsWith(".")).length;
      if (got.problem === undefined) {
        assert.equal(got.size, got.stored.length - stuffing, "size is the unstuffed length");
      }
    }),
    fuzzParams(4000),
  );
});

Deno.test("DataDecoder stops right after the first real end marker", () => {
  const text = fc.string({ unit: fc.constantFrom("a", ".", "\r", "\n"), maxLength: 40 });
  fc.assert(
    fc.property(text, text, chunkSizes, (before, after, sizes) => {
      const data = bytes(`${before}\r\n.\r\n${after}`);
      const got = decode(data, sizes, { maxSize: 1_000_000, maxLine: 1000 });
      assert.ok(got, "the end marker is found");
      assert.ok(got.used <= before.length + 5, "it is not overrun");
      const head = latin1(data.subarray(0, got.used));
      assert.ok(head === ".\r\n" || head.endsWith("\r\n.\r\n"), "it ends at CRLF . CRLF");
    }),
    fuzzParams(2000),
  );
});

Deno.test({
  name: "DataDecoder names the first limit broken, however the input is chunked",
  fn() {
    // Two lines over maxSize, then one over maxLine: "size" is broken first.
    const data = bytes(`aaaaaa\r\nbbbbbb\r\n${"c".repeat(30)}\r\n.\r\n`);
    const limits = { maxSize: 10, maxLine: 20 };
    assert.equal(decode(data, [16], limits)?.problem, "size");
    assert.equal(decode(data, [], limits)?.problem, "size"); // "line" today
  },
});
