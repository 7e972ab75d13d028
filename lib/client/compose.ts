/**
 * Turns a typed mail into an RFC 5322 message and into SMTP DATA. The typed
 * From, To and Subject lines come first, so our server stores the message in
 * the assignment's layout; Date and Message-ID follow, and MIME headers when
 * the text is not ASCII or must be encoded.
 *
 * @module
 */

import type { TypedMail } from "./mail_format.ts";
import { encodeQuotedPrintable, encodeWords, isAscii } from "./mime_encode.ts";

/** What the SMTP server announced in its EHLO reply that matters for composing. */
export interface ServerFeatures {
  /** SMTPUTF8 (RFC 6531): UTF-8 header fields may be sent as they are. */
  smtputf8: boolean;
  /** 8BITMIME (RFC 6152): a body with 8-bit octets may be sent as it is. */
  eightBitMime: boolean;
}

/** Inputs of `composeMessage` besides the mail. */
export interface ComposeOptions {
  /** The Date field's time. */
  date: Date;
  /** Minutes east of UTC for the Date field (+330 for India); the local offset when left out. */
  utcOffsetMinutes?: number;
  /** The Message-ID, angle brackets included. */
  messageId: string;
  /** What the server can take. */
  features: ServerFeatures;
}

/** A composed message and the MAIL parameters it needs. */
export interface ComposedMessage {
  /** Header and body lines, without line ends and not dot-stuffed. */
  lines: string[];
  /** True when UTF-8 header text is sent as it is: MAIL needs the SMTPUTF8 parameter. */
  smtputf8: boolean;
  /** True when 8-bit octets are sent: MAIL needs BODY=8BITMIME. */
  eightBit: boolean;
}

/** Most octets in a line of a message, line end excluded (RFC 5322 §2.1.1). */
const MAX_LINE_OCTETS = 998;

const encoder = new TextEncoder();

/** True when a body line can be sent as it is: short enough, and no CR, which SMTP allows only before LF. */
function sendableAsIs(line: string): boolean {
  return !line.includes("\r") && encoder.encode(line).length <= MAX_LINE_OCTETS;
}

/**
 * Builds the message. A non-ASCII subject is sent in UTF-8 when the server
 * has SMTPUTF8, else as encoded words (RFC 2047); a non-ASCII body is sent
 * as 8bit when it has 8BITMIME, else as quoted-printable (RFC 2045), which
 * is also used for a body with a line over 998 octets or a stray CR.
 */
export function composeMessage(mail: TypedMail, options: ComposeOptions): ComposedMessage {
  const { features } = options;
  const subjectAscii = isAscii(mail.subject);
  const bodyAscii = mail.body.every(isAscii);
  const bodySendable = mail.body.every(sendableAsIs);
  const rawSubject = subjectAscii || features.smtputf8;
  const rawBody = bodySendable && (bodyAscii || features.eightBitMime);
  const subject = rawSubject ? [`Subject: ${mail.subject}`] : encodeWords(mail.subject).map(
    (w, i) => i === 0 ? `Subject: ${w}` : ` ${w}`,
  );
  const lines = [
    `From: ${mail.from}`,
    `To: ${mail.to}`,
    ...subject,
    `Date: ${formatDate(options.date, options.utcOffsetMinutes)}`,
    `Message-ID: ${options.messageId}`,
  ];
  if (!subjectAscii || !bodyAscii || !bodySendable) {
    const encoding = !rawBody ? "quoted-printable" : bodyAscii ? "7bit" : "8bit";
    lines.push(
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=UTF-8",
      `Content-Transfer-Encoding: ${encoding}`,
    );
  }
  lines.push("", ...(rawBody ? mail.body : encodeQuotedPrintable(mail.body)));
  return {
    lines,
    smtputf8: !subjectAscii && rawSubject,
    eightBit: (!subjectAscii && rawSubject) || (!bodyAscii && rawBody),
  };
}

/**
 * Encodes message lines as SMTP DATA (RFC 5321 §4.5.2): CRLF line ends, a
 * "." doubled at the start of a line, and the final ".\r\n".
 */
export function dotStuff(lines: readonly string[]): string {
  return lines.map((line) => `${line.startsWith(".") ? "." : ""}${line}\r\n`).join("") + ".\r\n";
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Formats a date-time as RFC 5322 §3.3 does, at the given offset:
 * "Fri, 27 Nov 2026 15:15:57 +0530".
 */
export function formatDate(date: Date, utcOffsetMinutes = -date.getTimezoneOffset()): string {
  const t = new Date(date.getTime() + utcOffsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, "0");
  const sign = utcOffsetMinutes < 0 ? "-" : "+";
  const offset = Math.abs(utcOffsetMinutes);
  return `${DAYS[t.getUTCDay()]}, ${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()} ` +
    `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} ` +
    `${sign}${two(Math.floor(offset / 60))}${two(offset % 60)}`;
}

/** Returns a new Message-ID (RFC 5322 §3.6.4) at `domain`: time, then 64 random bits. */
export function newMessageId(domain: string, now: Date = new Date()): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0"));
  return `<${now.getTime().toString(36)}.${random.join("")}@${domain}>`;
}
