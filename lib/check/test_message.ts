/**
 * The messages the checker sends: each marked with a header field holding
 * the run's token, so that it can find them in a POP3 maildrop and delete
 * exactly those, and nothing else. Pure.
 *
 * @module
 */

import { dotStuff } from "../client/compose.ts";

/** The header field that marks the checker's messages. */
export const MARK_FIELD = "X-Check-Server";

/** A message the checker sends, by lines (unstuffed, no line ends). */
export interface TestMessage {
  /** The value of its `MARK_FIELD`: the run's token and what the message is for. */
  mark: string;
  /** Its header lines. */
  header: string[];
  /** Its body lines. */
  body: string[];
}

/** Body lines that begin with a dot, which SMTP DATA and POP3 RETR must carry by dot-stuffing (RFC 5321 4.5.2). */
export const DOT_LINES: readonly string[] = [
  "The lines below begin with dots:",
  ".",
  "..",
  ".leading dot",
  "..two leading dots",
  " . not at the start",
  "",
  "end",
];

/**
 * A test message from `from` to `to`.
 *
 * @param token the run's token, in its mark
 * @param purpose what it is for, in its mark and subject: "dot-stuffing"
 */
export function testMessage(
  options: { token: string; purpose: string; from: string; to: string; date: Date; body: readonly string[] },
): TestMessage {
  const mark = `${options.token} ${options.purpose}`;
  return {
    mark,
    header: [
      `From: <${options.from}>`,
      `To: <${options.to}>`,
      `Subject: check-server ${options.purpose}`,
      `Date: ${options.date.toUTCString().replace("GMT", "+0000")}`,
      `Message-ID: <${options.token}.${options.purpose}@check-server.invalid>`,
      `${MARK_FIELD}: ${mark}`,
    ],
    body: [...options.body],
  };
}

/** The message's lines: header, empty line, body. */
export function messageLines(message: TestMessage): string[] {
  return [...message.header, "", ...message.body];
}

/**
 * The message as SMTP DATA sends it: CRLF line ends, lines beginning with
 * "." doubled, then the end marker CRLF . CRLF (RFC 5321 4.5.2, 4.1.1.4).
 */
export function dataWire(message: TestMessage): string {
  return dotStuff(messageLines(message));
}

/** The mark in a message's header lines, if it has one. */
export function markOf(header: readonly string[]): string | undefined {
  const prefix = `${MARK_FIELD.toLowerCase()}:`;
  const line = header.find((l) => l.toLowerCase().startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/** A new run's token: letters and digits, unique enough to never match another run's messages. */
export function newToken(now: Date = new Date()): string {
  return `chk${now.getTime().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
