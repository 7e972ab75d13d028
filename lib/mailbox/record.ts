/**
 * Building and parsing one mailbox record: a message in SMTP wire form
 * (CRLF lines, dot-stuffed) with our `Received:` trace line, ended by a line
 * holding a single "." (see `../shared/DESIGN.md`, "The mailbox file").
 *
 * @module
 */

import { createHash } from "node:crypto";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header fields whose presence, in this order, puts the trace after Subject. */
const LEADING_FIELDS = ["from", "to", "subject"];

/** The fields `parseRecordHeader` reports. */
const WANTED_FIELDS = new Set(["from", "to", "subject"]);

/**
 * Longest leading From/To/Subject block after which the trace line is
 * still put: past it the trace goes first, so that a reader that looks at
 * the first 64 KiB of a record (as the mailbox scanner does) always finds it.
 */
export const LEADING_BLOCK_LIMIT = 16 * 1024;

/**
 * A field of ours put right after a trace line that went first when the
 * message itself begins with a space or tab: that line, a continuation,
 * would otherwise continue our trace field. It continues this one instead,
 * and no sender byte is changed.
 */
const STRAY_CONTINUATION_FIELD = "X-Stray-Continuation: the message began with the folded line that follows";

/**
 * A POP3 unique-id: 1 to 70 printable characters (RFC 1939 §7, UIDL); ";"
 * is excluded because it ends the id in a trace line.
 */
const TRACE_ID = /\sid\s+([\x21-\x3a\x3c-\x7e]{1,70})\s*$/i;

/** The header fields of one record, as `parseRecordHeader` reads them. */
export interface RecordHeader {
  /** The first `From:` value, unfolded and trimmed, or "". */
  from: string;
  /** The first `To:` value, unfolded and trimmed, or "". */
  to: string;
  /** The first `Subject:` value, unfolded and trimmed, or "". */
  subject: string;
  /** The id from the first `Received:` field, or undefined when it has none. */
  id: string | undefined;
  /** The date-time of the first `Received:` field, or `new Date(0)`. */
  received: Date;
}

/**
 * Builds the stored record of a message: the message with the trace line
 * inserted, then the ".\r\n" terminator.
 *
 * The trace goes right after the `Subject:` field (and its continuation
 * lines) when the header block begins with `From:`, `To:`, `Subject:` in
 * that order and that block is at most `LEADING_BLOCK_LIMIT` octets, which
 * gives the assignment's layout; otherwise it becomes the first line, where
 * RFC 5321 §4.4 puts trace fields. Either way the trace line is the first
 * line of the record that begins a `Received:` field, and no sender line
 * can continue it (see `STRAY_CONTINUATION_FIELD`): what it says is ours.
 *
 * @param chunks The message in wire form: dot-stuffed, CRLF line ends,
 *   without the end-of-data line; each chunk holds whole lines. They are
 *   not copied.
 * @param traceLine The trace header field without its CRLF.
 * @returns The record's chunks, in order.
 * @throws {TypeError} When `traceLine` contains CR or LF.
 */
export function buildRecord(chunks: Uint8Array[], traceLine: string): Uint8Array[] {
  if (/[\r\n]/.test(traceLine)) {
    throw new TypeError(`Cannot build record: trace line contains CR or LF: ${JSON.stringify(traceLine)}`);
  }
  const at = tracePosition(chunks);
  const first = chunks.find((c) => c.length > 0);
  const folds = at.chunk === 0 && at.offset === 0 && (first?.[0] === 0x20 || first?.[0] === 0x09);
  const trace = encoder.encode(`${traceLine}\r\n${folds ? `${STRAY_CONTINUATION_FIELD}\r\n` : ""}`);
  const record = chunks.slice(0, at.chunk);
  const split = chunks[at.chunk];
  if (split !== undefined && at.offset > 0) record.push(split.subarray(0, at.offset));
  record.push(trace);
  if (split !== undefined) record.push(at.offset > 0 ? split.subarray(at.offset) : split);
  for (let i = at.chunk + 1; i < chunks.length; i++) record.push(chunks[i]);
  record.push(Uint8Array.of(0x2e, 0x0d, 0x0a));
  return record.filter((c) => c.length > 0);
}

/** The whole lines of the chunks, as chunk index and byte range. */
function* linesOf(chunks: Uint8Array[]): Generator<{ chunk: number; start: number; end: number }> {
  for (let chunk = 0; chunk < chunks.length; chunk++) {
    const bytes = chunks[chunk];
    for (let start = 0; start < bytes.length;) {
      const lf = bytes.indexOf(0x0a, start);
      const end = lf < 0 ? bytes.length : lf + 1;
      yield { chunk, start, end };
      start = end;
    }
  }
}

/** Where the trace line goes: after a leading From/To/Subject block, else at the start. */
function tracePosition(chunks: Uint8Array[]): { chunk: number; offset: number } {
  let expected = 0;
  let after = { chunk: 0, offset: 0 };
  let octets = 0;
  for (const { chunk, start, end } of linesOf(chunks)) {
    octets += end - start;
    if (octets > LEADING_BLOCK_LIMIT) return { chunk: 0, offset: 0 };
    const line = chunks[chunk].subarray(start, end);
    const continuation = line[0] === 0x20 || line[0] === 0x09;
    if (continuation && expected > 0) {
      after = { chunk, offset: end };
      continue;
    }
    if (expected === LEADING_FIELDS.length) break;
    if (!startsField(line, LEADING_FIELDS[expected])) return { chunk: 0, offset: 0 };
    expected++;
    after = { chunk, offset: end };
  }
  return expected === LEADING_FIELDS.length ? normalizePosition(chunks, after) : { chunk: 0, offset: 0 };
}

/** Turns an offset at the end of a chunk into the start of the next one. */
function normalizePosition(chunks: Uint8Array[], at: { chunk: number; offset: number }) {
  return at.offset === chunks[at.chunk].length ? { chunk: at.chunk + 1, offset: 0 } : at;
}

/** Whether `line` starts the header field `name` (lower case), as in "Name:". */
function startsField(line: Uint8Array, name: string): boolean {
  if (line.length <= name.length || line[name.length] !== 0x3a) return false;
  for (let k = 0; k < name.length; k++) {
    // Setting bit 0x20 lower-cases ASCII letters; `name` holds only letters.
    if ((line[k] | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Reads From, To, Subject and our trace line from a record's header block.
 *
 * Values are unfolded (RFC 5322 §2.2.3), trimmed and decoded as UTF-8 with
 * U+FFFD for bad bytes; encoded words (RFC 2047) are left as they are. The
 * first line that begins a `Received:` field is our trace line
 * (`buildRecord` puts it before any other): the id and the time are read
 * from that one line, never from lines that continue the field, which a
 * sender may have written. The id is the token after " id " ending at the
 * line's last ";", the time the RFC 5322 date-time after that ";".
 *
 * @param header The record's header block in stored form, up to the empty
 *   line; anything after the first empty line is ignored.
 */
export function parseRecordHeader(header: Uint8Array): RecordHeader {
  const fields = firstFields(decoder.decode(header));
  const trace = fields.get(TRACE) ?? "";
  const semicolon = trace.lastIndexOf(";");
  const id = semicolon < 0 ? undefined : TRACE_ID.exec(trace.slice(0, semicolon))?.[1];
  const time = semicolon < 0 ? NaN : Date.parse(trace.slice(semicolon + 1));
  return {
    from: fields.get("from") ?? "",
    to: fields.get("to") ?? "",
    subject: fields.get("subject") ?? "",
    id,
    received: new Date(Number.isNaN(time) ? 0 : time),
  };
}

/** The key under which `firstFields` gives the first line of the first `Received:` field. */
const TRACE = "received line";

/**
 * The first value of each wanted field, keyed by lower-case name, and the
 * first line of the first `Received:` field (without its name) as `TRACE`.
 */
function firstFields(text: string): Map<string, string> {
  const found = new Map<string, string>();
  let name = "";
  let value = "";
  const keep = () => {
    if (WANTED_FIELDS.has(name) && !found.has(name)) {
      found.set(name, value.trim());
    }
  };
  for (const raw of text.split("\r\n")) {
    if (raw === "") break;
    if (raw[0] === " " || raw[0] === "\t") {
      value += raw;
      continue;
    }
    keep();
    const line = raw[0] === "." ? raw.slice(1) : raw;
    const colon = line.indexOf(":");
    name = colon < 0 ? "" : line.slice(0, colon).trimEnd().toLowerCase();
    value = colon < 0 ? "" : line.slice(colon + 1);
    if (name === "received" && !found.has(TRACE)) found.set(TRACE, value);
  }
  keep();
  return found;
}

/**
 * The id of a record without a usable trace line (a hand-edited mailbox):
 * the first 32 hex digits of the SHA-256 of its stored bytes, so it stays
 * the same across sessions.
 *
 * @param record The record's stored bytes, terminator included, in order.
 */
export async function fallbackId(
  record: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of record) hash.update(chunk);
  return hash.digest("hex").slice(0, 32);
}

/**
 * Makes the ids of one listing unique, as UIDL needs (RFC 1939 §7): an id
 * seen before in file order gets ".2", ".3", … So identical hand-made
 * records, which share a fallback id, stay apart, and removing one keeps
 * the other. Records appended later never change earlier ids.
 *
 * @param ids The records' ids in file order.
 */
export function uniqueIds(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.map((id) => {
    let unique = id;
    for (let n = 2; seen.has(unique); n++) unique = `${id.slice(0, 60)}.${n}`;
    seen.add(unique);
    return unique;
  });
}

/** Octets in all of a record's chunks (or any byte arrays). */
export function totalLength(chunks: Uint8Array[]): number {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  return total;
}
