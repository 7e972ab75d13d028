/**
 * What SMTP's commands, reply codes, enhanced status codes, EHLO keywords
 * and session states mean, and the RFC sections defining them: one table
 * each, and small lookups that word them for a trace. Pure data, shared by
 * `smtpmail --trace`, the client's trace and the checker.
 *
 * @module
 */

import { type Annotation, describe } from "../trace/annotation.ts";
import type { SmtpState } from "./rules.ts";

/** Commands of RFC 5321 and its extensions, keyed by upper-case verb. */
export const SMTP_COMMANDS: Readonly<Record<string, Annotation>> = {
  EHLO: { ref: "RFC 5321 4.1.1.1", meaning: "the client introduces itself and asks for the server's extensions" },
  HELO: { ref: "RFC 5321 4.1.1.1", meaning: "the client introduces itself (plain SMTP, no extensions)" },
  MAIL: { ref: "RFC 5321 4.1.1.2", meaning: "starts a mail transaction, giving the sender's address" },
  RCPT: { ref: "RFC 5321 4.1.1.3", meaning: "names one recipient of the message" },
  DATA: { ref: "RFC 5321 4.1.1.4", meaning: "asks to send the message itself" },
  RSET: { ref: "RFC 5321 4.1.1.5", meaning: "abandons the mail transaction under way" },
  VRFY: { ref: "RFC 5321 4.1.1.6", meaning: "asks whether an address names a user here" },
  EXPN: { ref: "RFC 5321 4.1.1.7", meaning: "asks for the members of a mailing list" },
  HELP: { ref: "RFC 5321 4.1.1.8", meaning: "asks for help" },
  NOOP: { ref: "RFC 5321 4.1.1.9", meaning: "does nothing: checks that the server is there" },
  QUIT: { ref: "RFC 5321 4.1.1.10", meaning: "asks the server to close the session" },
  STARTTLS: { ref: "RFC 3207 4", meaning: "asks to switch the connection to TLS" },
  AUTH: { ref: "RFC 4954 4", meaning: "starts a SASL login (its credentials are masked here)" },
  BDAT: { ref: "RFC 3030 2", meaning: "sends the message in chunks (CHUNKING)" },
  ETRN: { ref: "RFC 1985", meaning: "asks the server to send the mail queued for a domain" },
  ATRN: { ref: "RFC 2645", meaning: "asks to turn the connection round to receive queued mail" },
  TURN: { ref: "RFC 821 4.1.1", meaning: "asks to swap the roles of client and server (obsolete)" },
  SEND: { ref: "RFC 821 4.1.1", meaning: "delivers to a user's terminal (obsolete)" },
  SOML: { ref: "RFC 821 4.1.1", meaning: "delivers to a terminal or else a mailbox (obsolete)" },
  SAML: { ref: "RFC 821 4.1.1", meaning: "delivers to a terminal and a mailbox (obsolete)" },
};

/** Client lines that are not commands. */
export const SMTP_CLIENT_LINES: Readonly<
  Record<"unknown" | "end of data" | "message" | "SASL response" | "SASL cancel" | "too long", Annotation>
> = {
  unknown: { ref: "RFC 5321 4.2.4", meaning: "not a command this server knows: expect 500" },
  "end of data": { ref: "RFC 5321 4.1.1.4", meaning: 'a line holding only "." ends the message' },
  message: { ref: "RFC 5321 4.1.1.4", meaning: "the message, shown by its first header lines; the rest is not traced" },
  "SASL response": { ref: "RFC 4954 4", meaning: "the client's answer to a 334 challenge, base64 (masked here)" },
  "SASL cancel": { ref: "RFC 4954 4", meaning: '"*" cancels the AUTH exchange' },
  "too long": { ref: "RFC 5321 4.5.3.1.4", meaning: "a line over the limit, not read as a command" },
};

/** Reply codes (RFC 5321 4.2.3, and the extensions' own). */
export const SMTP_REPLY_CODES: Readonly<Record<number, Annotation>> = {
  211: { ref: "RFC 5321 4.2.3", meaning: "system status" },
  214: { ref: "RFC 5321 4.2.3", meaning: "help message" },
  220: { ref: "RFC 5321 4.2.3", meaning: "service ready" },
  221: { ref: "RFC 5321 4.2.3", meaning: "service closing the connection" },
  235: { ref: "RFC 4954 6", meaning: "authentication succeeded" },
  250: { ref: "RFC 5321 4.2.3", meaning: "requested action okay, completed" },
  251: { ref: "RFC 5321 4.2.3", meaning: "user not local; will forward" },
  252: { ref: "RFC 5321 4.2.3", meaning: "cannot verify the user, but will accept the message" },
  334: { ref: "RFC 4954 4", meaning: "SASL challenge: send the next response" },
  354: { ref: "RFC 5321 4.2.3", meaning: 'start the message; end it with a line holding only "."' },
  421: { ref: "RFC 5321 4.2.3", meaning: "service not available, closing the connection" },
  450: { ref: "RFC 5321 4.2.3", meaning: "mailbox unavailable for now: try again later" },
  451: { ref: "RFC 5321 4.2.3", meaning: "aborted: local error in processing, try again later" },
  452: { ref: "RFC 5321 4.2.3", meaning: "not taken for now: insufficient storage" },
  454: { ref: "RFC 4954 6", meaning: "temporary authentication failure: try again later" },
  455: { ref: "RFC 5321 4.2.3", meaning: "server unable to accommodate the parameters" },
  500: { ref: "RFC 5321 4.2.3", meaning: "syntax error: command unrecognized or line too long" },
  501: { ref: "RFC 5321 4.2.3", meaning: "syntax error in the parameters or arguments" },
  502: { ref: "RFC 5321 4.2.3", meaning: "command not implemented" },
  503: { ref: "RFC 5321 4.2.3", meaning: "bad sequence of commands" },
  504: { ref: "RFC 5321 4.2.3", meaning: "command parameter not implemented" },
  530: { ref: "RFC 4954 6", meaning: "authentication required" },
  534: { ref: "RFC 4954 6", meaning: "authentication mechanism is too weak" },
  535: { ref: "RFC 4954 6", meaning: "authentication credentials invalid" },
  538: { ref: "RFC 4954 6", meaning: "encryption required for this authentication mechanism" },
  550: { ref: "RFC 5321 4.2.3", meaning: "not taken: mailbox unavailable or not allowed" },
  551: { ref: "RFC 5321 4.2.3", meaning: "user not local" },
  552: { ref: "RFC 5321 4.2.3", meaning: "aborted: exceeded storage allocation" },
  553: { ref: "RFC 5321 4.2.3", meaning: "not taken: mailbox name not allowed" },
  554: { ref: "RFC 5321 4.2.3", meaning: "transaction failed" },
  555: { ref: "RFC 5321 4.2.3", meaning: "MAIL or RCPT parameters not recognized or not implemented" },
};

/** What the first digit of any reply code says (RFC 5321 4.2.1); 0 for a code outside 2yz-5yz. */
export const SMTP_REPLY_CLASSES: Readonly<Record<number, Annotation>> = {
  0: { ref: "RFC 5321 4.2", meaning: "not a valid reply code: the first digit must be 2 to 5" },
  2: { ref: "RFC 5321 4.2.1", meaning: "positive completion: the action is done" },
  3: { ref: "RFC 5321 4.2.1", meaning: "positive intermediate: send more to go on" },
  4: { ref: "RFC 5321 4.2.1", meaning: "transient negative: not done, try again later" },
  5: { ref: "RFC 5321 4.2.1", meaning: "permanent negative: not done, do not repeat as it is" },
};

/** Where a reply code means more in answer to one command: keyed "VERB code", "." for the end of data. */
export const SMTP_REPLIES_TO: Readonly<Record<string, Annotation>> = {
  "STARTTLS 220": { ref: "RFC 3207 4", meaning: "go ahead: the TLS handshake starts now" },
  "STARTTLS 454": { ref: "RFC 3207 4", meaning: "TLS not available for now" },
  ". 250": { ref: "RFC 5321 4.1.1.4", meaning: "the message is accepted: the server is now responsible for it" },
};

/** Enhanced status codes (RFC 3463 3), keyed without their class digit: "1.1" for 2.1.1, 4.1.1, 5.1.1. */
export const SMTP_STATUS_CODES: Readonly<Record<string, Annotation>> = {
  "0.0": { ref: "RFC 3463", meaning: "other or undefined status" },
  "1.0": { ref: "RFC 3463", meaning: "other address status" },
  "1.1": { ref: "RFC 3463", meaning: "bad destination mailbox address" },
  "1.2": { ref: "RFC 3463", meaning: "bad destination system address" },
  "1.3": { ref: "RFC 3463", meaning: "bad destination mailbox address syntax" },
  "1.5": { ref: "RFC 3463", meaning: "destination address valid" },
  "1.7": { ref: "RFC 3463", meaning: "bad sender's mailbox address syntax" },
  "1.8": { ref: "RFC 3463", meaning: "bad sender's system address" },
  "2.0": { ref: "RFC 3463", meaning: "other or undefined mailbox status" },
  "2.1": { ref: "RFC 3463", meaning: "mailbox disabled, not accepting messages" },
  "2.2": { ref: "RFC 3463", meaning: "mailbox full" },
  "2.3": { ref: "RFC 3463", meaning: "message length exceeds an administrative limit" },
  "3.0": { ref: "RFC 3463", meaning: "other or undefined mail system status" },
  "3.1": { ref: "RFC 3463", meaning: "mail system full" },
  "3.2": { ref: "RFC 3463", meaning: "system not accepting network messages" },
  "3.4": { ref: "RFC 3463", meaning: "message too big for the system" },
  "4.2": { ref: "RFC 3463", meaning: "bad connection" },
  "4.7": { ref: "RFC 3463", meaning: "delivery time expired" },
  "5.0": { ref: "RFC 3463", meaning: "other or undefined protocol status" },
  "5.1": { ref: "RFC 3463", meaning: "invalid command" },
  "5.2": { ref: "RFC 3463", meaning: "syntax error" },
  "5.3": { ref: "RFC 3463", meaning: "too many recipients" },
  "5.4": { ref: "RFC 3463", meaning: "invalid command arguments" },
  "5.5": { ref: "RFC 3463", meaning: "wrong protocol version" },
  "5.6": { ref: "RFC 4954 6", meaning: "authentication exchange line is too long" },
  "6.0": { ref: "RFC 3463", meaning: "other or undefined media error" },
  "6.7": { ref: "RFC 6531", meaning: "non-ASCII addresses not permitted for that sender or recipient" },
  "7.0": { ref: "RFC 3463", meaning: "other or undefined security status" },
  "7.1": { ref: "RFC 3463", meaning: "delivery not authorized, message refused" },
  "7.8": { ref: "RFC 4954 6", meaning: "authentication credentials invalid" },
  "7.9": { ref: "RFC 4954 6", meaning: "authentication mechanism is too weak" },
  "7.11": { ref: "RFC 4954 6", meaning: "encryption required for this authentication mechanism" },
  "7.12": { ref: "RFC 4954 6", meaning: "a password transition is needed" },
};

/** EHLO keywords (the service extensions a server offers), keyed by upper-case keyword. */
export const SMTP_EHLO_KEYWORDS: Readonly<Record<string, Annotation>> = {
  PIPELINING: { ref: "RFC 2920", meaning: "the client may send several commands before reading the replies" },
  "8BITMIME": { ref: "RFC 6152", meaning: "messages may hold 8-bit text" },
  SIZE: { ref: "RFC 1870", meaning: "the largest message the server takes, in octets" },
  ENHANCEDSTATUSCODES: { ref: "RFC 2034", meaning: "replies carry an RFC 3463 status code after the reply code" },
  SMTPUTF8: { ref: "RFC 6531", meaning: "addresses and header fields may be UTF-8" },
  STARTTLS: { ref: "RFC 3207", meaning: "the connection can be switched to TLS" },
  AUTH: { ref: "RFC 4954", meaning: "the client may log in with one of these SASL mechanisms" },
  HELP: { ref: "RFC 5321 4.1.1.8", meaning: "the HELP command is available" },
  DSN: { ref: "RFC 3461", meaning: "delivery status notifications may be asked for" },
  CHUNKING: { ref: "RFC 3030", meaning: "the message may be sent in chunks with BDAT" },
  BINARYMIME: { ref: "RFC 3030", meaning: "messages may hold binary content" },
  VRFY: { ref: "RFC 5321 4.1.1.6", meaning: "the VRFY command is available: ask whether an address is a user here" },
  EXPN: { ref: "RFC 5321 4.1.1.7", meaning: "the EXPN command is available: ask for a mailing list's members" },
  ETRN: { ref: "RFC 1985", meaning: "the client may ask for the mail queued for its domain to be sent" },
};

/** The session's states as a trace names them: greeted, mail, recipients, data. */
export const SMTP_STATES: Readonly<Record<SmtpState, Annotation & { label: string }>> = {
  greet: {
    label: "connected",
    ref: "RFC 5321 4.1.4",
    meaning: "the server has greeted; the client must send EHLO or HELO first",
  },
  ready: { label: "greeted", ref: "RFC 5321 4.1.4", meaning: "no mail transaction under way; MAIL starts one" },
  mail: { label: "mail", ref: "RFC 5321 3.3", meaning: "the transaction has its sender; RCPT names recipients" },
  rcpt: { label: "recipients", ref: "RFC 5321 3.3", meaning: "recipients accepted; more RCPT, or DATA" },
  data: { label: "data", ref: "RFC 5321 4.1.1.4", meaning: 'the message follows, up to a line holding only "."' },
  auth: { label: "auth", ref: "RFC 4954 4", meaning: "a SASL exchange is under way: each client line answers a 334" },
};

/** Server lines after the first of a multi-line reply. */
export const SMTP_SERVER_LINES: Readonly<Record<"continued" | "unknown keyword", Annotation>> = {
  continued: { ref: "RFC 5321 4.2.1", meaning: "another line of the same reply" },
  "unknown keyword": { ref: "RFC 5321 4.1.1.1", meaning: "an extension this table does not know" },
};

/** Events of a session that are neither command nor reply: the connection, TLS, a message cut short. */
export const SMTP_EVENTS: Readonly<
  Record<"connected" | "implicit TLS" | "TLS started" | "TLS failed" | "cut short" | "closed", Annotation>
> = {
  connected: { ref: "RFC 5321 3.1", meaning: "a client connected; the server speaks first" },
  "implicit TLS": { ref: "RFC 8314 3.3", meaning: "the whole session runs under TLS from the start" },
  "TLS started": { ref: "RFC 3207 4.2", meaning: "the session starts afresh under TLS: EHLO again" },
  "TLS failed": { ref: "RFC 3207 4.1", meaning: "the handshake failed; the connection is closed" },
  "cut short": { ref: "RFC 5321 3.8", meaning: "the connection ended inside DATA: the message is not delivered" },
  closed: { ref: "RFC 5321 3.8", meaning: "the session is over" },
};

/** The note of a client command line: its verb's meaning, or that it is not a known command. */
export function smtpCommandNote(verb: string): string {
  const known = SMTP_COMMANDS[verb.toUpperCase()];
  return known ? describe(verb.toUpperCase(), known) : describe("unknown command", SMTP_CLIENT_LINES.unknown);
}

/**
 * The note of a reply's first line: the reply code's meaning (worded for
 * the command it answers where that says more), then the enhanced status
 * code's when there is one.
 *
 * @param status the enhanced status code in full ("5.1.1"), if any
 * @param answering the verb the reply answers, "." for the end of data
 */
export function smtpReplyNote(code: number, status?: string, answering?: string): string {
  const specific = answering === undefined ? undefined : SMTP_REPLIES_TO[`${answering} ${code}`];
  const known = specific ?? SMTP_REPLY_CODES[code];
  const codeNote = known
    ? describe(String(code), known)
    : describe(`${Math.floor(code / 100)}yz`, SMTP_REPLY_CLASSES[Math.floor(code / 100)] ?? SMTP_REPLY_CLASSES[0]);
  if (status === undefined) return codeNote;
  const detail = SMTP_STATUS_CODES[status.slice(2)];
  return detail ? `${codeNote}; ${describe(status, detail)}` : codeNote;
}

/** The note of an EHLO keyword line, or undefined for a keyword the table does not know. */
export function smtpKeywordNote(line: string): string | undefined {
  const keyword = line.split(" ")[0].toUpperCase();
  const known = SMTP_EHLO_KEYWORDS[keyword];
  return known ? describe(keyword, known) : undefined;
}

/** A state change as a trace shows it: `state greeted` and its note. */
export function smtpStateNote(state: SmtpState): { line: string; note: string } {
  const { label } = SMTP_STATES[state];
  return { line: `state ${label}`, note: describe(`${label} state`, SMTP_STATES[state]) };
}
