/**
 * SMTP replies: the one place where reply lines are built.
 *
 * @module
 */

/**
 * An SMTP reply (RFC 5321 §4.2). `status` is the enhanced status code of
 * RFC 3463 without its class digit ("1.1"); the class is taken from the
 * reply code when formatting, so the two cannot disagree.
 */
export interface Reply {
  /** Three-digit reply code. */
  code: number;
  /** Enhanced status code without its class digit, e.g. "5.4"; omitted on 220, EHLO/HELO and 354. */
  status?: string;
  /** Text lines; a multi-line reply has more than one. */
  lines: string[];
}

/** Builds a reply with an enhanced status code. */
export function reply(code: number, status: string, ...lines: string[]): Reply {
  return { code, status, lines };
}

/** Builds a reply that carries no enhanced status code (220, 250 to EHLO, 354). */
export function plainReply(code: number, ...lines: string[]): Reply {
  return { code, lines };
}

/**
 * Formats a reply as wire text: one line per text line, "-" after the code on
 * all but the last (RFC 5321 §4.2.1), each ending in CRLF. A 334 challenge
 * keeps its space even when the challenge is empty (RFC 4954 §4). Reply text
 * may echo client input, so anything outside HT and printable ASCII (the
 * RFC 5321 §4.2 textstring) becomes "?": no bare CR, LF or 8-bit byte can
 * reach the wire from here.
 */
export function formatReply(r: Reply): string {
  const prefix = r.status === undefined ? "" : `${Math.floor(r.code / 100)}.${r.status} `;
  const lines = r.lines.length > 0 ? r.lines : [""];
  return lines.map((text, i) => {
    const sep = i === lines.length - 1 ? " " : "-";
    const line = `${r.code}${sep}${prefix}${text.replace(/[^\t\x20-\x7e]/g, "?")}`;
    return (r.code === 334 ? line : line.trimEnd()) + "\r\n";
  }).join("");
}

/** Replies used by more than one handler. */
export const Replies = {
  ok: () => reply(250, "0.0", "OK"),
  syntax: (what: string) => reply(501, "5.2", `Syntax error: ${what}`),
  unknownCommand: () => reply(500, "5.1", "Command not recognized"),
  notImplemented: () => reply(502, "5.1", "Command not implemented"),
  badSequence: (what: string) => reply(503, "5.1", `Bad sequence of commands: ${what}`),
  lineTooLong: () => reply(500, "5.0", "Line too long"),
  /** RFC 4954 §4. */
  authLineTooLong: () => reply(500, "5.6", "Authentication exchange line is too long"),
  messageLineTooLong: (maxLine: number) => reply(500, "5.0", `Message has a line longer than ${maxLine} octets`),
  /** After a line that goes on far past its limit: the rest of the input is not read. */
  lineOverflow: (host: string) => reply(421, "7.0", `${host} Line too long, closing connection`),
  noProgress: (host: string) => reply(421, "4.2", `${host} Too long without a message or login, closing connection`),
  /** The session made room for a client from another address (see `ConnectionCaps`). */
  evicted: (host: string) => reply(421, "7.0", `${host} Too many connections from your address, closing connection`),
  tooManyErrors: () => reply(421, "7.0", "Too many errors, closing connection"),
  shuttingDown: (host: string) => reply(421, "3.2", `${host} Service shutting down, closing connection`),
  idleTimeout: (host: string) => reply(421, "4.2", `${host} Idle timeout, closing connection`),
  localError: () => reply(451, "3.0", "Local error in processing, try again later"),
  notOwnSender: (user: string, what: string) =>
    reply(550, "7.1", `${what} must be your own address (authenticated as ${user})`),
} as const;
