/**
 * What POP3's commands and their +OK and -ERR replies, response codes,
 * capabilities and session states mean, and the RFC sections defining them:
 * one table each, and small lookups that word them for a trace. Pure data,
 * shared by `popserver --trace`, the client's trace and the checker.
 *
 * @module
 */

import { type Annotation, describe } from "../trace/annotation.ts";
import type { Pop3State } from "./session_types.ts";

/** A command's meaning, and what its positive and negative replies mean (RFC 1939's "Possible Responses"). */
export interface Pop3CommandAnnotation extends Annotation {
  /** What "+OK" to it means. */
  ok: string;
  /** What "-ERR" to it means. */
  err: string;
}

const NOT_NOW = "not allowed in this state";

/** Commands of RFC 1939 and its extensions, keyed by upper-case keyword. */
export const POP3_COMMANDS: Readonly<Record<string, Pop3CommandAnnotation>> = {
  USER: { ref: "RFC 1939 7", meaning: "names the maildrop to log in to", ok: "name taken: send PASS", err: "refused" },
  PASS: {
    ref: "RFC 1939 7",
    meaning: "gives the password (masked here)",
    ok: "logged in: the maildrop is locked and ready",
    err: "wrong name or password, or the maildrop cannot be locked",
  },
  APOP: {
    ref: "RFC 1939 7",
    meaning: "logs in with an MD5 digest of the greeting's timestamp and a shared secret",
    ok: "logged in: the maildrop is locked and ready",
    err: "refused",
  },
  AUTH: {
    ref: "RFC 5034 4",
    meaning: "starts a SASL login, or asks for the mechanisms (credentials masked here)",
    ok: "logged in, or the mechanisms follow",
    err: "login refused, or mechanism not supported",
  },
  STLS: {
    ref: "RFC 2595 4",
    meaning: "asks to switch the connection to TLS",
    ok: "go ahead: the TLS handshake starts now",
    err: "TLS not available now",
  },
  CAPA: {
    ref: "RFC 2449 5",
    meaning: "asks for the server's capabilities",
    ok: "the capabilities follow, one per line",
    err: "not supported",
  },
  QUIT: {
    ref: "RFC 1939 6",
    meaning: "ends the session; after login, messages marked deleted are removed first",
    ok: "goodbye; deletions done",
    err: "some messages marked deleted could not be removed",
  },
  STAT: {
    ref: "RFC 1939 5",
    meaning: "asks for the number of messages and their total size",
    ok: "count and size in octets",
    err: NOT_NOW,
  },
  LIST: {
    ref: "RFC 1939 5",
    meaning: "asks for the size of one message, or of each",
    ok: "the size, or a listing follows: number and size per line",
    err: `no such message, or ${NOT_NOW}`,
  },
  RETR: {
    ref: "RFC 1939 5",
    meaning: "asks for a whole message",
    ok: 'the message follows, up to a line holding only "."',
    err: `no such message, or ${NOT_NOW}`,
  },
  DELE: {
    ref: "RFC 1939 5",
    meaning: "marks a message deleted; it is removed at QUIT",
    ok: "marked deleted",
    err: `no such message, already deleted, or ${NOT_NOW}`,
  },
  NOOP: { ref: "RFC 1939 5", meaning: "does nothing: checks that the server is there", ok: "still here", err: NOT_NOW },
  RSET: {
    ref: "RFC 1939 5",
    meaning: "unmarks every message marked deleted",
    ok: "nothing is marked deleted any more",
    err: NOT_NOW,
  },
  TOP: {
    ref: "RFC 1939 7",
    meaning: "asks for a message's header and its first N lines of body",
    ok: 'they follow, up to a line holding only "."',
    err: `no such message, or ${NOT_NOW}`,
  },
  UIDL: {
    ref: "RFC 1939 7",
    meaning: "asks for the unique-id of one message, or of each",
    ok: "the unique-id, or a listing follows: number and unique-id per line",
    err: `no such message, or ${NOT_NOW}`,
  },
};

/** Client lines that are not commands. */
export const POP3_CLIENT_LINES: Readonly<
  Record<"unknown" | "SASL response" | "SASL cancel" | "too long", Annotation>
> = {
  unknown: { ref: "RFC 1939 3", meaning: "not a command this server knows: expect -ERR" },
  "SASL response": { ref: "RFC 5034 4", meaning: 'the client\'s answer to a "+" challenge, base64 (masked here)' },
  "SASL cancel": { ref: "RFC 5034 4", meaning: '"*" cancels the AUTH exchange' },
  "too long": { ref: "RFC 2449 4", meaning: "a line over 255 octets, not read as a command" },
};

/** Server lines other than a command's status line. */
export const POP3_SERVER_LINES: Readonly<
  Record<
    "greeting" | "challenge" | "end" | "LIST" | "UIDL" | "AUTH" | "capability" | "more" | "message" | "unknown",
    Annotation
  >
> = {
  greeting: { ref: "RFC 1939 4", meaning: "the server is ready; the client must log in" },
  challenge: { ref: "RFC 5034 4", meaning: "SASL challenge: send the next response" },
  end: { ref: "RFC 1939 3", meaning: 'a line holding only "." ends the multi-line reply' },
  LIST: { ref: "RFC 1939 5", meaning: "message number and size in octets" },
  UIDL: { ref: "RFC 1939 7", meaning: "message number and unique-id, the same in every session" },
  AUTH: { ref: "RFC 5034 4", meaning: "a SASL mechanism the server offers" },
  capability: { ref: "RFC 2449 6", meaning: "a capability this table does not know" },
  more: { ref: "RFC 1939 3", meaning: "further lines of the listing, not traced" },
  message: { ref: "RFC 1939 5", meaning: "the message, shown by its first header lines; the rest is not traced" },
  unknown: { ref: "RFC 1939 3", meaning: "no command this server carries out, so the reply is -ERR" },
};

/** Extended response codes at the start of a reply's text (RFC 2449 8, RFC 3206). */
export const POP3_RESPONSE_CODES: Readonly<Record<string, Annotation>> = {
  "LOGIN-DELAY": { ref: "RFC 2449 8.1.1", meaning: "logged in too recently: wait before logging in again" },
  "IN-USE": { ref: "RFC 2449 8.1.2", meaning: "the password was right, but another session holds the maildrop" },
  "SYS/TEMP": { ref: "RFC 3206 4", meaning: "a temporary problem of the server: try again later" },
  "SYS/PERM": { ref: "RFC 3206 4", meaning: "a lasting problem of the server: ask its administrator" },
  AUTH: { ref: "RFC 3206 5", meaning: "the credentials are the problem (wrong, or refused as sent)" },
};

/** Capabilities listed by CAPA, keyed by upper-case name. */
export const POP3_CAPABILITIES: Readonly<Record<string, Annotation>> = {
  TOP: { ref: "RFC 2449 6.1", meaning: "the TOP command is available" },
  USER: { ref: "RFC 2449 6.2", meaning: "USER and PASS may be used to log in" },
  SASL: { ref: "RFC 2449 6.3", meaning: "AUTH may be used with these SASL mechanisms" },
  "RESP-CODES": { ref: "RFC 2449 6.4", meaning: 'a reply text beginning with "[" holds a response code' },
  "LOGIN-DELAY": { ref: "RFC 2449 6.5", meaning: "the least time between two logins" },
  PIPELINING: { ref: "RFC 2449 6.6", meaning: "the client may send several commands before reading the replies" },
  EXPIRE: { ref: "RFC 2449 6.7", meaning: "how long the server keeps messages" },
  UIDL: { ref: "RFC 2449 6.8", meaning: "the UIDL command is available" },
  IMPLEMENTATION: { ref: "RFC 2449 6.9", meaning: "the server software's name" },
  STLS: { ref: "RFC 2595 4", meaning: "the connection can be switched to TLS" },
  "AUTH-RESP-CODE": { ref: "RFC 3206", meaning: "failed logins say [AUTH] when the credentials are the problem" },
};

/** The session's states (RFC 1939 3), as a trace names them. */
export const POP3_STATES: Readonly<Record<Pop3State, Annotation & { label: string }>> = {
  authorization: {
    label: "AUTHORIZATION",
    ref: "RFC 1939 4",
    meaning: "the client must identify itself (USER and PASS, or AUTH)",
  },
  transaction: {
    label: "TRANSACTION",
    ref: "RFC 1939 5",
    meaning: "the maildrop is locked: read, list, mark messages deleted",
  },
  update: { label: "UPDATE", ref: "RFC 1939 6", meaning: "deletions are carried out now, then the session ends" },
};

/** Events of a session that are neither command nor reply: the connection and TLS. */
export const POP3_EVENTS: Readonly<
  Record<"connected" | "implicit TLS" | "TLS started" | "TLS failed" | "closed", Annotation>
> = {
  connected: { ref: "RFC 1939 3", meaning: "a client connected; the server speaks first" },
  "implicit TLS": { ref: "RFC 8314 3.3", meaning: "the whole session runs under TLS from the start" },
  "TLS started": { ref: "RFC 2595 4", meaning: "TLS is up; what came before is forgotten: CAPA again" },
  "TLS failed": { ref: "RFC 2595 4", meaning: "the handshake failed; the connection is closed" },
  closed: { ref: "RFC 1939 6", meaning: "the session is over (one that ends without QUIT deletes nothing)" },
};

/** The note of a client command line: its keyword's meaning, or that it is not a known command. */
export function pop3CommandNote(keyword: string): string {
  const known = POP3_COMMANDS[keyword.toUpperCase()];
  return known ? describe(keyword.toUpperCase(), known) : describe("unknown command", POP3_CLIENT_LINES.unknown);
}

/**
 * The note of a status line: what "+OK" or "-ERR" means in answer to
 * `answering`, then its response code's meaning when it has one.
 *
 * @param answering the command keyword it answers, undefined for the greeting
 */
export function pop3StatusNote(line: string, answering?: string): string {
  const positive = line.startsWith("+OK");
  const status = positive ? "+OK" : "-ERR";
  const command = answering === undefined ? undefined : POP3_COMMANDS[answering];
  const base = answering === undefined
    ? describe(`greeting ${status}`, POP3_SERVER_LINES.greeting)
    : command === undefined
    ? describe(status, POP3_SERVER_LINES.unknown)
    : describe(`${answering} ${status}`, { ref: command.ref, meaning: positive ? command.ok : command.err });
  const code = /^(?:\+OK|-ERR) \[([^\]]+)\]/.exec(line)?.[1];
  const known = code === undefined ? undefined : POP3_RESPONSE_CODES[code.toUpperCase()];
  return known ? `${base}; ${describe(`[${code}]`, known)}` : base;
}

/** The note of a CAPA line, or undefined for a capability the table does not know. */
export function pop3CapabilityNote(line: string): string | undefined {
  const name = line.split(" ")[0].toUpperCase();
  const known = POP3_CAPABILITIES[name];
  return known ? describe(name, known) : undefined;
}

/** A state change as a trace shows it: `state TRANSACTION` and its note. */
export function pop3StateNote(state: Pop3State): { line: string; note: string } {
  const { label } = POP3_STATES[state];
  return { line: `state ${label}`, note: describe(`${label} state`, POP3_STATES[state]) };
}
