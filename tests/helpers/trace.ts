/**
 * Reading a server's `--trace` output in integration tests: its text lines
 * and JSON records from the server's stdout, split into fields, and waiting
 * for sessions to end in it.
 *
 * @module
 */

import type { TraceRecord } from "../../lib/trace/record.ts";
import { type ServerProcess, waitFor } from "./server_process.ts";

/** A text trace line as printed: `09:45:57.123 smtp/1 C: line   # note`. */
const TEXT_LINE = /^(\d\d:\d\d:\d\d\.\d{3}) (smtp|pop3)\/(\d+) (C:|S:|--) (.*?) +# (.*)$/;

/** The fields of one text trace line. */
export interface TextTraceLine {
  /** Time of day, UTC, as printed. */
  time: string;
  /** "smtp" or "pop3". */
  protocol: string;
  /** The session's number. */
  session: number;
  /** "C:", "S:" or "--". */
  direction: string;
  /** The line as traced. */
  line: string;
  /** Its annotation. */
  note: string;
}

/** The text trace lines a server has printed on stdout so far, as printed. */
export function traceText(server: ServerProcess): string[] {
  return server.stdoutText().split("\n").filter((line) => TEXT_LINE.test(line));
}

/**
 * Splits a text trace line into its fields.
 *
 * @throws {Error} when it is not one
 */
export function parseTraceText(text: string): TextTraceLine {
  const m = TEXT_LINE.exec(text);
  if (m === null) throw new Error(`not a trace line: ${JSON.stringify(text)}`);
  return { time: m[1], protocol: m[2], session: Number(m[3]), direction: m[4], line: m[5], note: m[6] };
}

/** The JSON trace records a server has printed on stdout so far (`--trace-format json`). */
export function traceRecords(server: ServerProcess): TraceRecord[] {
  return server.stdoutText().split("\n").filter((line) => line.startsWith("{")).map((line) => {
    const record = JSON.parse(line);
    return { ...record, time: new Date(record.time) };
  });
}

/** Waits until the trace on stdout shows `count` sessions closed, in either format. */
export async function waitForClosedSessions(server: ServerProcess, count: number): Promise<void> {
  await waitFor(
    `${count} closed sessions in the trace`,
    () => (server.stdoutText().match(/connection closed/g) ?? []).length >= count,
  );
}

/** The lines (as traced) of every record, `direction line` for text or JSON alike, for order checks. */
export function tracedLines(lines: { direction: string; line: string }[]): string[] {
  return lines.map((l) => `${l.direction.replace(":", "").replace("--", "-")} ${l.line}`);
}
