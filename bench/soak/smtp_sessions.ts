/**
 * The SMTP sessions of the soak: each kind is one connection played to its
 * end, from a full delivery to a close in the middle of DATA.
 *
 * @module
 */

import { sourceAddress } from "./source_conn.ts";
import { SoakError, Wire } from "./wire.ts";

/** A user of the data root, with the password that logs in. */
export interface User {
  /** The name as in userlogincred.txt. */
  name: string;
  /** Its password. */
  password: string;
}

/** What every SMTP session needs. */
export interface SmtpTarget {
  /** Server port on 127.0.0.1. */
  port: number;
  /** The users mail goes to and logs in as. */
  users: readonly User[];
  /** The certificate to trust after STARTTLS. */
  caCerts: string[];
  /** A session still open after this long is closed and counted as an error. */
  deadlineMs: number;
}

/** The SMTP session kinds and their weights (percent of all sessions). */
export const SMTP_MIX = {
  /** Connect, read the greeting, close. */
  "greet-close": 20,
  /** EHLO, QUIT. */
  "ehlo-quit": 10,
  /** EHLO, MAIL, RSET, NOOP, NOOP, QUIT. */
  "rset-noop": 20,
  /** EHLO, MAIL, RCPT, DATA of 1-4 KiB, QUIT. */
  deliver: 12,
  /** EHLO, AUTH PLAIN as a user, MAIL and From: as that user, RCPT, DATA, QUIT. */
  submit: 4,
  /** From 127.1.x.y: EHLO, AUTH PLAIN with a wrong password (535, or 454 when throttled), QUIT. */
  "auth-fail": 6,
  /** EHLO, MAIL, RCPT, DATA, half the message, then close. */
  "data-close": 8,
  /** EHLO, STARTTLS, handshake, EHLO, QUIT. */
  starttls: 12,
  /** EHLO, STARTTLS, then garbage instead of a TLS handshake, close. */
  "tls-garbage": 4,
  /** An unknown command, MAIL without a path (501), RCPT to no such user (550), QUIT. */
  "bad-commands": 4,
} as const;

/** An SMTP session kind. */
export type SmtpKind = keyof typeof SMTP_MIX;

/** Outcome label of a session that went as planned. */
export const DONE = "ok";

/**
 * Outcome label of a login refused for now (SMTP 454, POP3 -ERR [SYS/TEMP]):
 * the servers may throttle an address that failed often, and all the load
 * comes from 127.0.0.1. Not an error.
 */
export const THROTTLED = "throttled";

/** `AUTH PLAIN` initial response for `name` and `password` (RFC 4616). */
export function plainCredentials(name: string, password: string): string {
  const bytes = new TextEncoder().encode(`\0${name}\0${password}`);
  return btoa(String.fromCharCode(...bytes));
}

/** The body size of session `n`: 1 to 4 KiB, spread evenly. */
export function messageSize(n: number): number {
  return 1024 + ((n * 2654435761) >>> 0) % 3073;
}

/**
 * A message of about `size` octets from `from` to `to`, dot-stuffing
 * unneeded (no line starts with "."), ending with the CRLF "." CRLF of DATA.
 */
export function message(n: number, from: string, to: string): string {
  const size = messageSize(n);
  const head = `From: <${from}>\r\nTo: <${to}>\r\nSubject: soak ${n}\r\n` +
    `Message-ID: <soak.${n}@localhost>\r\n\r\n`;
  const line = `soak message ${n} `.padEnd(76, "abcdefghijklmnopqrstuvwxyz".charAt(n % 26)) + "\r\n";
  return head + line.repeat(Math.max(1, Math.round((size - head.length) / line.length))) + ".\r\n";
}

/** EHLO and its reply. */
async function ehlo(wire: Wire): Promise<void> {
  await wire.command("EHLO soak.localhost", 250);
}

/** Sends one message to `to` in an open session after EHLO (and AUTH). */
async function transaction(wire: Wire, n: number, from: string, to: string): Promise<void> {
  await wire.command(`MAIL FROM:<${from}>`, 250);
  await wire.command(`RCPT TO:<${to}>`, 250);
  await wire.command("DATA", 354);
  await wire.send(message(n, from, to));
  await wire.expectSmtp(250, "end of DATA");
}

/** STARTTLS and the handshake. */
async function startTls(wire: Wire, target: SmtpTarget): Promise<void> {
  await wire.command("STARTTLS", 220);
  await wire.startTls(target.caCerts);
}

/**
 * Delivers one message to `user` over a session of its own (EHLO, MAIL,
 * RCPT, DATA, QUIT): the load's deliveries, and the POP3 soak's refills.
 *
 * @throws {SoakError} on any unexpected reply
 */
export async function deliverOne(target: SmtpTarget, n: number, user: string): Promise<void> {
  const wire = await Wire.open(target.port, target.deadlineMs);
  try {
    await wire.expectSmtp(220, "greeting");
    await ehlo(wire);
    await transaction(wire, n, "soak@example.org", `${user.toLowerCase()}@localhost`);
    await wire.command("QUIT", 221);
  } finally {
    wire.close();
  }
}

/**
 * Plays session `n` of `kind` against the server.
 *
 * @returns the outcome label: `DONE`, or `THROTTLED` when an AUTH was refused for now
 * @throws {SoakError} on an unexpected reply, a failed connection or the deadline
 */
export async function smtpSession(kind: SmtpKind, n: number, target: SmtpTarget): Promise<string> {
  const user = target.users[n % target.users.length];
  if (kind === "deliver") {
    await deliverOne(target, n, user.name);
    return DONE;
  }
  // Failed logins come from many addresses: the server paces failures per address.
  const source = kind === "auth-fail" ? sourceAddress(n) : undefined;
  const wire = await Wire.open(target.port, target.deadlineMs, source);
  try {
    await wire.expectSmtp(220, "greeting");
    if (kind === "greet-close") return DONE;
    await ehlo(wire);
    const outcome = await middle(wire, kind, n, user, target);
    if (outcome === "closed") return DONE;
    await wire.command("QUIT", 221);
    return outcome ?? DONE;
  } finally {
    wire.close();
  }
}

/** AUTH PLAIN as `name`: the reply's code, which must be `code` or 454 (refused for now). */
async function auth(wire: Wire, name: string, password: string, code: number): Promise<number> {
  await wire.send(`AUTH PLAIN ${plainCredentials(name, password)}\r\n`);
  const reply = await wire.smtp("AUTH");
  if (reply.code !== code && reply.code !== 454) {
    throw new SoakError(`AUTH: expected ${code}, got ${reply.last.slice(0, 80)}`);
  }
  return reply.code;
}

/**
 * The part of a session between EHLO and QUIT: "closed" when the session
 * ends without QUIT, `THROTTLED` when its AUTH was refused for now.
 */
async function middle(
  wire: Wire,
  kind: SmtpKind,
  n: number,
  user: User,
  target: SmtpTarget,
): Promise<"closed" | typeof THROTTLED | void> {
  const own = `${user.name.toLowerCase()}@localhost`;
  switch (kind) {
    case "rset-noop":
      await wire.command("MAIL FROM:<soak@example.org>", 250);
      await wire.command("RSET", 250);
      await wire.command("NOOP", 250);
      await wire.command("NOOP", 250);
      return;
    case "submit":
      if (await auth(wire, user.name, user.password, 235) === 454) return THROTTLED;
      await transaction(wire, n, own, `${target.users[(n + 1) % target.users.length].name.toLowerCase()}@localhost`);
      return;
    case "auth-fail":
      return await auth(wire, user.name, `${user.password}-wrong`, 535) === 454 ? THROTTLED : undefined;
    case "data-close": {
      await wire.command("MAIL FROM:<soak@example.org>", 250);
      await wire.command(`RCPT TO:<${own}>`, 250);
      await wire.command("DATA", 354);
      const text = message(n, "soak@example.org", own);
      await wire.send(text.slice(0, text.length >> 1));
      return "closed";
    }
    case "starttls":
      await startTls(wire, target);
      await ehlo(wire);
      return;
    case "tls-garbage":
      await wire.command("STARTTLS", 220);
      await wire.send("EHLO this is no TLS handshake\r\n");
      return "closed";
    case "bad-commands":
      await wire.command("FROBNICATE", 500);
      await wire.command("MAIL FROM:", 501);
      await wire.command("MAIL FROM:<soak@example.org>", 250);
      await wire.command("RCPT TO:<nobody-here@localhost>", 550);
      return;
    case "ehlo-quit":
      return;
    default:
      throw new SoakError(`no SMTP session of kind ${kind}`);
  }
}
