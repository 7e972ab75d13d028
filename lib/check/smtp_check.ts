/**
 * What the SMTP rules are given to work with: a way to open sessions, the
 * addresses to use, and a record of the messages they got accepted (to be
 * read back and deleted through POP3 when the run has a POP3 reader). And
 * the steps many rules share: a transaction up to DATA, a message sent.
 *
 * @module
 */

import type { LineTransport } from "../client/connection.ts";
import { ProtocolError, type Verdict } from "./rule.ts";
import { greeting } from "./runner.ts";
import type { CheckedReply } from "./smtp_reply.ts";
import { shown, SmtpProbe } from "./smtp_probe.ts";
import { type TestMessage, testMessage } from "./test_message.ts";

/** The context of the SMTP rules. */
export interface SmtpCheck {
  /** Opens a new session: its greeting read, and under TLS already when the run asked for STARTTLS. */
  open(): Promise<SmtpProbe>;
  /** A recipient the server takes mail for (--rcpt). */
  rcpt: string;
  /** The envelope sender to use (--from, else the recipient). */
  from: string;
  /** The run's token, in every message sent. */
  token: string;
  /** Records a message the server accepted, for reading back and deleting. */
  accepted(message: TestMessage): void;
  /**
   * Reads an accepted message back through POP3, waiting for it to arrive:
   * its lines unstuffed, or undefined when it did not arrive. Undefined
   * when the run has no POP3 reader.
   */
  readBack?: (mark: string) => Promise<string[] | undefined>;
}

/** A test message of this run for `purpose`. */
export function messageFor(check: SmtpCheck, purpose: string, body: readonly string[]): TestMessage {
  return testMessage({ token: check.token, purpose, from: check.from, to: check.rcpt, date: new Date(), body });
}

/**
 * EHLO, MAIL and RCPT, then DATA, which must be answered 354.
 *
 * @throws {ProtocolError} when any is refused: the rule cannot go on
 */
export async function startData(session: SmtpProbe, check: SmtpCheck): Promise<void> {
  await session.ehlo();
  await expect(session, `MAIL FROM:<${check.from}>`, [250]);
  await expect(session, `RCPT TO:<${check.rcpt}>`, [250, 251]);
  await expect(session, "DATA", [354]);
}

/**
 * Sends a command that must get one of `codes`.
 *
 * @throws {ProtocolError} otherwise
 */
export async function expect(session: SmtpProbe, line: string, codes: number[]): Promise<CheckedReply> {
  const reply = await session.command(line);
  if (!codes.includes(reply.code)) {
    throw new ProtocolError(`${line.split(" ")[0]} was answered ${shown(reply)}, not ${codes.join(" or ")}`);
  }
  return reply;
}

/** Opens a session, runs `work` on it, and ends it with QUIT whatever happened. */
export async function withSession(check: SmtpCheck, work: (s: SmtpProbe) => Promise<Verdict>): Promise<Verdict> {
  const session = await check.open();
  try {
    return await work(session);
  } finally {
    await quit(session);
  }
}

/** Ends a session politely; a server that already closed is no error. */
export async function quit(session: SmtpProbe): Promise<void> {
  try {
    await session.command("QUIT");
  } catch {
    // Closed already, or a broken reply: the rule has its verdict.
  }
  await session.close();
}

/**
 * Makes a new session out of a connection: reads the greeting, and with
 * `starttls` does EHLO, STARTTLS (which must be answered 220) and the TLS
 * handshake, leaving the session as new under TLS (RFC 3207 4.2).
 *
 * @throws {ProtocolError} when the greeting is malformed or STARTTLS is refused
 */
export async function openSmtp(transport: LineTransport, starttls: boolean): Promise<SmtpProbe> {
  const session = new SmtpProbe(transport);
  try {
    session.greeting = await greeting(session.reply());
    if (starttls) {
      await session.ehlo();
      await expect(session, "STARTTLS", [220]);
      await session.startTls();
    }
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}
