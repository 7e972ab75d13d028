/**
 * One line of a protocol trace (`--trace`) and its two written forms: text
 * for people, one JSON object per line for tools. Pure.
 *
 * @module
 */

import { logLine } from "../log.ts";

/** Who a trace line is about: the client's line, the server's, or an event of the session (state, TLS). */
export type Direction = "C" | "S" | "-";

/** The formats of `--trace-format`. */
export type TraceFormat = "text" | "json";

/** One traced line or event of one session. */
export interface TraceRecord {
  /** When it was sent, received or happened. */
  time: Date;
  /** The protocol of the session. */
  protocol: "smtp" | "pop3";
  /** The session's number, counted from 1 in each server process. */
  session: number;
  /** "C" a client line, "S" a server line, "-" an event (state change, TLS, connection). */
  direction: Direction;
  /** The line as sent (secrets masked, message content summarised), or the event. */
  line: string;
  /** What it means and the RFC section defining it. */
  note: string;
}

/** Where the text form's notes begin, so that they line up. */
const NOTE_COLUMN = 64;

const DIRECTIONS: Record<Direction, string> = { C: "C:", S: "S:", "-": "--" };

/**
 * A record as one line of text, without its line end:
 * `09:45:57.123 smtp/1 C: MAIL FROM:<a@localhost>   # RFC 5321 4.1.1.2 MAIL: …`
 * (the time of day in UTC). Control and format characters in the line are
 * escaped as the log escapes them (`logLine`), so nothing a client sent can
 * start a line of its own or drive the terminal.
 */
export function formatText(record: TraceRecord): string {
  const time = record.time.toISOString().slice(11, 23);
  const head = `${time} ${record.protocol}/${record.session} ${DIRECTIONS[record.direction]} ${logLine(record.line)}`;
  return `${head.padEnd(NOTE_COLUMN - 2)}  # ${record.note}`;
}

/**
 * A record as one JSON object, without its line end, with the same fields:
 * `{"time":"2026-11-27T09:45:57.123Z","protocol":"smtp","session":1,
 * "direction":"C","line":"…","note":"…"}`. The line is escaped as in
 * `formatText`, so both forms carry the same text.
 */
export function formatJson(record: TraceRecord): string {
  return JSON.stringify({
    time: record.time.toISOString(),
    protocol: record.protocol,
    session: record.session,
    direction: record.direction,
    line: logLine(record.line),
    note: record.note,
  });
}

/** A record in the chosen format. */
export function formatRecord(record: TraceRecord, format: TraceFormat): string {
  return format === "json" ? formatJson(record) : formatText(record);
}
