/**
 * POP3 replies (RFC 1939 §3): the one place where reply lines are built.
 *
 * @module
 */

/** A positive reply line: "+OK text" ("+OK" alone for empty text). */
export function ok(text: string): string {
  return text === "" ? "+OK" : `+OK ${text}`;
}

/**
 * A negative reply line. Put a response code (RFC 2449 §8) at the start of
 * `text` where one applies: "[AUTH] ...", "[IN-USE] ...", "[SYS/TEMP] ...".
 */
export function err(text: string): string {
  return `-ERR ${text}`;
}

/**
 * A multi-line reply: the status line, the lines dot-stuffed, then the
 * terminating "." line (RFC 1939 §3). Lines are taken as they are sent.
 */
export function* multiline(status: string, lines: Iterable<string>): Generator<string> {
  yield status;
  for (const line of lines) yield line.startsWith(".") ? `.${line}` : line;
  yield ".";
}
