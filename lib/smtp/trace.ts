/**
 * The `Received:` trace line (RFC 5321 §4.4) and the unique message id it
 * carries.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { plainAddress } from "../net/client_key.ts";

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
  /** The `with` keyword: see `withKeyword`. */
  protocol: Protocol;
  /** The message's unique id. */
  id: string;
  /** The arrival time. */
  date: Date;
}

/** The `with` keywords of RFC 3848 and, for SMTPUTF8 transactions, RFC 6531 §3.7.3. */
export type Protocol =
  | "SMTP"
  | "ESMTP"
  | "ESMTPS"
  | "ESMTPA"
  | "ESMTPSA"
  | "UTF8SMTP"
  | "UTF8SMTPS"
  | "UTF8SMTPA"
  | "UTF8SMTPSA";

/**
 * The `with` keyword for a transaction: "SMTP" after HELO, else "ESMTP",
 * or "UTF8SMTP" when MAIL had the SMTPUTF8 parameter, with "S" added under
 * TLS and "A" after AUTH.
 */
export function withKeyword(
  session: { extended: boolean; tls: boolean; authenticated: boolean; smtputf8: boolean },
): Protocol {
  if (!session.extended) return "SMTP";
  return `${session.smtputf8 ? "UTF8SMTP" : "ESMTP"}${session.tls ? "S" : ""}${session.authenticated ? "A" : ""}`;
}

/**
 * The client's IP address as an RFC 5321 §4.1.3 address literal:
 * "[192.0.2.1]", "[IPv6:2001:db8::1]"; an IPv4-mapped IPv6 address is
 * written as the IPv4 address it maps, an IPv6 address without its zone.
 */
export function addressLiteral(address: string): string {
  const plain = plainAddress(address);
  return plain.includes(":") ? `[IPv6:${plain}]` : `[${plain}]`;
}

/**
 * Builds the trace line, without line end:
 * `Received: from <helo> ([<ip>]) by <host> with <protocol> id <id>; <date>`.
 * The HELO name is client input: anything but visible ASCII is replaced so
 * the line stays one well-formed header line.
 */
export function traceLine(info: TraceInfo): string {
  const helo = info.helo.replace(/[^\x21-\x7e]|[();]/g, "_").slice(0, 255);
  return `Received: from ${helo} (${addressLiteral(info.clientAddress)}) by ${info.host} ` +
    `with ${info.protocol} id ${info.id}; ${formatDate(info.date)}`;
}
