/**
 * An independent reader of the mailbox file format (DESIGN.md, "The mailbox
 * file") for tests: records in SMTP wire form, each ended by a "." line,
 * with one `Received:` trace line added by the server.
 *
 * Deliberately written apart from lib/mailbox so a bug there cannot hide
 * itself in the tests.
 *
 * @module
 */

import { join } from "node:path";
import { concat, decode, encode, indexOfBytes } from "./bytes.ts";

const END = encode("\r\n.\r\n");
const TERMINATOR = encode(".\r\n");
const CRLF = encode("\r\n");

/** A mailbox file split into its records. */
export interface SplitMailbox {
  /** Complete records in file order, each with its ".\r\n" terminator. */
  records: Uint8Array[];
  /** Bytes after the last complete record: empty, or a torn record. */
  tail: Uint8Array;
}

/** Reads ROOT/USER/mymailbox; a missing file reads as empty. */
export async function readMailbox(root: string, user: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(join(root, user, "mymailbox"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Uint8Array(0);
    throw error;
  }
}

/**
 * Splits mailbox bytes into records. A record ends at CRLF "." CRLF; the
 * file reads as if a CRLF preceded it, so an empty message is just ".\r\n".
 */
export function splitMailbox(bytes: Uint8Array): SplitMailbox {
  const records: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    if (startsWith(bytes, TERMINATOR, start)) {
      records.push(bytes.subarray(start, start + 3));
      start += 3;
      continue;
    }
    const end = indexOfBytes(bytes, END, start);
    if (end < 0) break;
    records.push(bytes.subarray(start, end + 5));
    start = end + 5;
  }
  return { records, tail: bytes.subarray(start) };
}

/** Reads and splits ROOT/USER/mymailbox. */
export async function readRecords(root: string, user: string): Promise<SplitMailbox> {
  return splitMailbox(await readMailbox(root, user));
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array, at: number): boolean {
  return at + prefix.length <= bytes.length && prefix.every((b, i) => bytes[at + i] === b);
}

/** Splits bytes at each CRLF; the last element is what follows the last CRLF. */
export function splitCrlf(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = indexOfBytes(bytes, CRLF); i >= 0; i = indexOfBytes(bytes, CRLF, start)) {
    lines.push(bytes.subarray(start, i));
    start = i + 2;
  }
  lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Turns a stored record back into the message: drops the ".\r\n"
 * terminator and the extra "." of each stuffed line (RFC 5321 §4.5.2).
 *
 * @throws {Error} when the record does not end with its terminator
 */
export function unstuff(record: Uint8Array): Uint8Array {
  if (!(record.length >= 3 && startsWith(record, TERMINATOR, record.length - 3))) {
    throw new Error("record does not end with the '.' line");
  }
  const lines = splitCrlf(record.subarray(0, record.length - 3));
  if (lines.pop()?.length !== 0) throw new Error("record text does not end with CRLF");
  return concat(lines.flatMap((line) => [line[0] === 0x2e ? line.subarray(1) : line, CRLF]));
}

/** The fields of the server's `Received:` trace line. */
export interface Trace {
  /** The whole line, without CRLF. */
  line: string;
  /** The name the client gave in HELO/EHLO. */
  helo: string;
  /** The client's IP address. */
  ip: string;
  /** The server's host name. */
  host: string;
  /** "ESMTP" after EHLO, "SMTP" after HELO; "S" added under TLS, "A" after AUTH (RFC 3848). */
  protocol: string;
  /** The message id (POP3 UIDL). */
  id: string;
  /** The arrival time. */
  date: Date;
}

/** The server's trace line: `Received: from <helo> (<ip>) by <host> with <protocol> id <id>; <date>`. */
export const TRACE_LINE =
  /^Received: from (\S+) \(\[(?:IPv6:)?([^()\s\[\]]+)\]\) by (\S+) with (SMTP|(?:ESMTP|UTF8SMTP)S?A?) id ([\x21-\x3a\x3c-\x7e]{1,70}); ((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4})$/;

/** Parses a trace line, or returns undefined when it is not one of ours. */
export function parseTrace(line: string): Trace | undefined {
  const m = TRACE_LINE.exec(line);
  if (!m) return undefined;
  return { line, helo: m[1], ip: m[2], host: m[3], protocol: m[4], id: m[5], date: new Date(Date.parse(m[6])) };
}

/** A stored message split into the server's trace line and what the client sent. */
export interface Delivered {
  /** The parsed trace line. */
  trace: Trace;
  /** Index of the trace line among the message's lines (0 = first line). */
  traceIndex: number;
  /** The message exactly as the client sent it (unstuffed, CRLF line ends). */
  message: Uint8Array;
}

/**
 * Unstuffs a record and removes the server's trace line, which must be the
 * first `Received:` line of the header block.
 *
 * @throws {Error} when the record has no well-formed trace line
 */
export function delivered(record: Uint8Array): Delivered {
  const lines = splitCrlf(unstuff(record));
  const traceIndex = lines.findIndex((line) => line.length === 0 || decode(line.subarray(0, 9)) === "Received:");
  const trace = traceIndex < 0 ? undefined : parseTrace(decode(lines[traceIndex]));
  if (trace === undefined) {
    throw new Error(`no trace line in record starting ${JSON.stringify(decode(record.subarray(0, 300)))}`);
  }
  lines.splice(traceIndex, 1);
  const message = concat(lines.flatMap((line, i) => i === lines.length - 1 ? [line] : [line, CRLF]));
  return { trace, traceIndex, message };
}
