/**
 * Shared pieces of the property-based fuzz tests (fast-check): run
 * settings, byte generators, command-line mutations and chunking.
 *
 * Each property draws a fresh random seed per run. On failure fast-check
 * prints the seed, the path of the shrunk counterexample and the
 * counterexample itself. To replay it, or to pin the seed in general:
 *
 *     FUZZ_SEED=<seed> FUZZ_PATH=<path> deno test --allow-all tests/fuzz/
 *
 * `FUZZ_RUNS=<factor>` multiplies every property's run count, for a
 * longer soak than the default, which keeps the suite under ~20 s.
 *
 * @module
 */

import fc from "fast-check";
import { concatBytes as concat } from "../../lib/bytes.ts";

const encoder = new TextEncoder();

/** Reads an environment variable when allowed to, else undefined. */
function env(name: string): string | undefined {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted"
    ? Deno.env.get(name)
    : undefined;
}

/**
 * The fast-check parameters of one property: `numRuns` scaled by
 * FUZZ_RUNS, and FUZZ_SEED/FUZZ_PATH when set (see the module comment).
 */
export function fuzzParams<T>(numRuns: number): fc.Parameters<T> {
  const seed = env("FUZZ_SEED");
  const path = env("FUZZ_PATH");
  const factor = Number(env("FUZZ_RUNS") ?? "1");
  return {
    numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(factor) ? factor : 1))),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

/** Encodes text as UTF-8. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Joins byte arrays into one new array (`lib/bytes.ts`). */
export { concat };

/** Bytes as a Latin-1 string, one char per octet: for readable comparisons and searches. */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/**
 * Splits `data` into chunks whose sizes cycle through `sizes` (each at
 * least 1); an empty `sizes` gives the whole input as one chunk. The
 * chunks are copies, so a consumer that keeps them cannot see later ones.
 */
export function chunk(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  if (sizes.length === 0) return data.length === 0 ? [] : [data.slice()];
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]);
    out.push(data.slice(at, at + size));
    at += size;
  }
  return out;
}

/** Chunk size lists for `chunk`: whole, single octets, small and mixed sizes. */
export const chunkSizes: fc.Arbitrary<readonly number[]> = fc.oneof(
  fc.constant([]),
  fc.constant([1]),
  fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
  fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 }),
);

/** Octets that break parsers: NUL, CR, LF, DEL, 8-bit, and invalid UTF-8 sequences. */
export const nastyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(
    [0x00],
    [0x0d],
    [0x0a],
    [0x0d, 0x0a],
    [0x09],
    [0x7f],
    [0x80],
    [0xff],
    [0xc3],
    [0xc3, 0xa9],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x80, 0xa8],
    [0xc2, 0x85],
  ).map((b) => Uint8Array.from(b)),
  fc.uint8Array({ minLength: 1, maxLength: 4 }),
);

/** One edit of a command line; see `mutate`. */
export type Mutation =
  | { op: "case"; at: number }
  | { op: "space"; at: number; n: number }
  | { op: "cut"; at: number }
  | { op: "insert"; at: number; what: Uint8Array }
  | { op: "long"; n: number };

/** Edits that turn a good command line into a doubtful one. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant("case" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("space" as const), at: fc.nat(), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), what: nastyBytes }),
  fc.record({ op: fc.constant("long" as const), n: fc.integer({ min: 200, max: 700 }) }),
);

/** Applies mutations to a line (without its line end), in order. */
export function mutate(line: Uint8Array, edits: readonly Mutation[]): Uint8Array {
  let b = line;
  for (const m of edits) {
    const at = m.op === "long" ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case "case":
        if (at < b.length && /[a-z]/i.test(String.fromCharCode(b[at]))) {
          b = b.slice();
          b[at] ^= 0x20;
        }
        break;
      case "space":
        b = concat([b.subarray(0, at), bytes(" ".repeat(m.n)), b.subarray(at)]);
        break;
      case "cut":
        b = b.subarray(0, at);
        break;
      case "insert":
        b = concat([b.subarray(0, at), m.what, b.subarray(at)]);
        break;
      case "long":
        b = concat([b, bytes("x".repeat(m.n))]);
        break;
    }
  }
  return b;
}

/**
 * A command line from `lines`, usually sent as it is and ended by CRLF,
 * sometimes mutated or ended by a bare LF or nothing.
 */
export function commandLine(lines: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array> {
  const edits = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, fc.array(mutation, { maxLength: 3 }));
  const end = fc.constantFrom("\r\n", "\r\n", "\r\n", "\r\n", "\n", "");
  return fc.tuple(lines, edits, end).map(([l, e, n]) => concat([mutate(bytes(l), e), bytes(n)]));
}

/** True when `text` is an RFC 5321 `textstring` (HT, SP, printable US-ASCII) or empty. */
export function isTextString(text: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(text);
}
