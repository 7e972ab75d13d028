/**
 * The `Received:` trace line (RFC 5321 §4.4) and the unique message id it
 * carries.
 *
 * @module
 */

import { randomBytes } from "node:crypto";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Formats a date-time as RFC 5322 §3.3 does, in UTC: "Fri, 27 Nov 2026 09:45:57 +0000". */
export function formatDate(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:` +
    `${two(date.getUTCSeconds())} +0000`;
}

let lastMillis = 0;
let sequence = 0;

/**
 * Returns a new message id: the time in base 36, a per-process sequence and
 * 48 random bits. Ids are unique across processes and restarts, and are
 * valid POP3 unique-ids (RFC 1939 §7: printable ASCII, at most 70 octets).
 */
export function newMessageId(now: Date = new Date()): string {
  const millis = now.getTime();
  sequence = millis === lastMillis ? sequence + 1 : 0;
  lastMillis = millis;
  return `${millis.toString(36)}${sequence.toString(36)}.${randomBytes(6).toString("hex")}`;
}

/** What the trace line records about one message's arrival. */
export interface TraceInfo {
  /** The name the client gave in HELO or EHLO. */
  helo: string;
  /** The client's IP address. */
  clientAddress: string;
  /** This server's host name. */
  host: string;
  /**
   * The `with` keyword (RFC 3848): "SMTP" after HELO, "ESMTP" after EHLO,
   * with "S" added under TLS and "A" after AUTH.
   */
  protocol: "SMTP" | "ESMTP" | "ESMTPS" | "ESMTPA" | "ESMTPSA";
  /** The message's unique id. */
  id: string;
  /** The arrival time. */
  date: Date;
}

/**
 * The `with` keyword for a session (RFC 3848): "SMTP" after HELO, else
 * "ESMTP" with "S" under TLS and "A" after AUTH.
 */
export function withKeyword(
  session: { extended: boolean; tls: boolean; authenticated: boolean },
): TraceInfo["protocol"] {
  if (!session.extended) return "SMTP";
  if (session.authenticated) return session.tls ? "ESMTPSA" : "ESMTPA";
  return session.tls ? "ESMTPS" : "ESMTP";
}

/**
 * Builds the trace line, without line end:
 * `Received: from <helo> (<ip>) by <host> with <protocol> id <id>; <date>`.
 * The HELO name is client input: anything but visible ASCII is replaced so
 * the line stays one well-formed header line.
 */
export function traceLine(info: TraceInfo): string {
  const helo = info.helo.replace(/[^\x21-\x7e]|[();]/g, "_").slice(0, 255);
  return `Received: from ${helo} (${info.clientAddress}) by ${info.host} ` +
    `with ${info.protocol} id ${info.id}; ${formatDate(info.date)}`;
}
