/**
 * Byte helpers for integration tests: encoding, joining, searching, and an
 * equality assertion that reports the first difference instead of dumping
 * megabytes.
 *
 * @module
 */

import assert from "node:assert/strict";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `bytes` decoded as UTF-8 (bad bytes become U+FFFD). */
export function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Joins byte arrays into one new array (`lib/bytes.ts`). */
export { concatBytes as concat } from "../../lib/bytes.ts";

/** Index of the first occurrence of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.length === 0) return from;
  for (let i = haystack.indexOf(needle[0], from); i >= 0; i = haystack.indexOf(needle[0], i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    let k = 1;
    while (k < needle.length && haystack[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

/** Counts the non-overlapping occurrences of `needle` in `haystack`. */
export function countBytes(haystack: Uint8Array, needle: Uint8Array): number {
  let count = 0;
  for (let i = indexOfBytes(haystack, needle); i >= 0; i = indexOfBytes(haystack, needle, i + needle.length)) count++;
  return count;
}

/** Shows bytes as a JSON string, non-ASCII bytes escaped, for messages. */
export function show(bytes: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...bytes));
}

/**
 * Asserts two byte arrays are equal; on failure names the lengths and the
 * first differing offset with some context from each side.
 */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  if (actual.length === expected.length && actual.every((b, i) => b === expected[i])) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const around = (b: Uint8Array) => show(b.subarray(Math.max(0, i - 40), i + 40));
  assert.fail(
    `${what} differ at offset ${i} (actual ${actual.length} bytes, expected ${expected.length}):\n` +
      `  actual   ${around(actual)}\n  expected ${around(expected)}`,
  );
}
