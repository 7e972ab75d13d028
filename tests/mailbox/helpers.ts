/**
 * Shared helpers of the mailbox tests: wire lines, records and streams.
 *
 * @module
 */

import { AssertionError } from "node:assert/strict";
import { buildRecord } from "../../lib/mailbox/record.ts";
import { concatBytes as concat } from "../../lib/bytes.ts";

const encoder = new TextEncoder();

/** The trace time used by `traceLine` unless told otherwise. */
export const TRACE_DATE = "Fri, 27 Nov 2026 09:45:57 +0000";

/** `TRACE_DATE` as a `Date`. */
export const TRACE_TIME = new Date(Date.UTC(2026, 10, 27, 9, 45, 57));

/** Encodes text as UTF-8, or returns bytes as they are. */
export function bytesOf(message: string | Uint8Array): Uint8Array {
  return typeof message === "string" ? encoder.encode(message) : message;
}

/**
 * Splits a message of CRLF lines into wire lines, dot-stuffed, as the SMTP
 * DATA decoder hands them over.
 *
 * @throws {RangeError} When the message does not end with CRLF.
 */
export function wireLines(message: string | Uint8Array): Uint8Array[] {
  const bytes = bytesOf(message);
  const lines: Uint8Array[] = [];
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(0x0a, start);
    while (end >= 0 && (end === start || bytes[end - 1] !== 0x0d)) {
      end = bytes.indexOf(0x0a, end + 1);
    }
    if (end < 0) throw new RangeError("Cannot split message: no final CRLF");
    const line = bytes.subarray(start, end + 1);
    lines.push(line[0] === 0x2e ? concat([Uint8Array.of(0x2e), line]) : line);
    start = end + 1;
  }
  return lines;
}

/** Our trace line with the given id. */
export function traceLine(id: string, date: string = TRACE_DATE): string {
  return `Received: from client.example ([127.0.0.1]) by mail.test with ESMTP id ${id}; ${date}`;
}

/** The stored record of a message (CRLF lines, unstuffed) with trace `id`. */
export function recordOf(message: string | Uint8Array, id: string): Uint8Array[] {
  return buildRecord(wireLines(message), traceLine(id));
}

/** Octets of the message as POP3 shows it once our trace line is added. */
export function sizeOf(message: string | Uint8Array, id: string): number {
  return bytesOf(message).length + bytesOf(traceLine(id)).length + 2;
}

/**
 * The index lines (`mymailbox.idx` after its header, without line ends)
 * of a mailbox holding records of `message` with these trace ids, in order.
 */
export function indexLinesOf(message: string | Uint8Array, ids: string[]): string[] {
  let offset = 0;
  return ids.map((id) => {
    const length = concat(recordOf(message, id)).length;
    const line = `${offset} ${length} ${sizeOf(message, id)} ${id}`;
    offset += length;
    return line;
  });
}

/** Joins byte arrays into one new array (`lib/bytes.ts`). */
export { concat };

/** Reads a whole stream into one byte array. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(chunks);
}

/** A message from our own client: From, To, Subject, a blank line, a body. */
export function simpleMessage(subject: string, body: string): string {
  return `From: alice@localhost\r\nTo: Andrew@localhost\r\nSubject: ${subject}\r\n\r\n${body}`;
}

/**
 * Asserts two byte arrays are equal, reporting the first difference only
 * (a full diff of large arrays takes the test runner's memory).
 */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  if (at === actual.length && at === expected.length) return;
  const show = (bytes: Uint8Array) => JSON.stringify(new TextDecoder().decode(bytes.subarray(at, at + 40)));
  throw new AssertionError({
    message: `${what} differ at ${at} of ${actual.length} (expected ${expected.length}): ` +
      `${show(actual)} !== ${show(expected)}`,
  });
}

/** Asserts two lists of records are equal with `assertBytes`. */
export function assertRecords(actual: Uint8Array[], expected: Uint8Array[]): void {
  if (actual.length !== expected.length) {
    throw new AssertionError({ message: `${actual.length} records, expected ${expected.length}` });
  }
  actual.forEach((record, i) => assertBytes(record, expected[i], `record ${i}`));
}
