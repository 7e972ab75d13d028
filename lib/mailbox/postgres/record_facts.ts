/**
 * What the PostgreSQL store keeps beside a record's bytes: its lengths and
 * the header fields a listing shows, read from the record as delivered.
 *
 * @module
 */

import { parseRecordHeader, type RecordHeader } from "../record.ts";

/** The longest start of a record whose header is read, as the mailbox scanner reads it. */
const HEADER_CAP = 64 * 1024;

/** A record's lengths and header. */
export interface RecordFacts {
  /** Octets in stored form, terminator included. */
  storedLength: number;
  /** Octets a POP3 client sees: unstuffed, without the terminator line. */
  size: number;
  /** From, To, Subject, and the id and time of our trace line. */
  header: RecordHeader;
}

/**
 * Reads the facts of one record in stored form (dot-stuffed CRLF lines,
 * ending with ".\r\n"), given as chunks in order.
 */
export function recordFacts(record: readonly Uint8Array[]): RecordFacts {
  let storedLength = 0;
  // Lines that begin with a dot after a CRLF, as the mailbox scanner counts them: stuffed ones, and the terminator.
  let dotted = 0;
  let previous = 0x0a;
  let beforePrevious = 0x0d;
  const head: Uint8Array[] = [];
  let headLength = 0;
  for (const chunk of record) {
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x2e && previous === 0x0a && beforePrevious === 0x0d) dotted++;
      beforePrevious = previous;
      previous = chunk[i];
    }
    storedLength += chunk.length;
    if (headLength < HEADER_CAP) {
      const part = chunk.subarray(0, HEADER_CAP - headLength);
      head.push(part);
      headLength += part.length;
    }
  }
  const header = new Uint8Array(headLength);
  let at = 0;
  for (const part of head) {
    header.set(part, at);
    at += part.length;
  }
  return { storedLength, size: storedLength - 3 - (dotted - 1), header: parseRecordHeader(header) };
}
