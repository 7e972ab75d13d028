/**
 * What the POP3 rules are given to work with: a way to open and log in to
 * sessions, and the message the run delivered through --smtp, if any. And
 * the steps many rules share: logging in, finding the run's message by its
 * mark, reading a message. Socket-free: sessions come from `open`.
 *
 * @module
 */

import type { LineTransport } from "../client/connection.ts";
import { greeting } from "./runner.ts";
import { isOk, Pop3Probe, unstuff } from "./pop3_probe.ts";
import { ProtocolError } from "./rule.ts";
import { markOf, type TestMessage } from "./test_message.ts";

/** A message found in a session: its number, and which of the run's own it is (if it is one). */
export interface Found {
  /** Its message number in this session. */
  n: number;
  /** The run's message it is, if it is one. */
  message?: TestMessage;
}

/** The context of the POP3 rules. */
export interface Pop3Check {
  /** Opens a new session: its greeting read, and under TLS already when the run asked for STLS. */
  open(): Promise<Pop3Probe>;
  /** The user name (--user). */
  user: string;
  /** The password (--pass). */
  pass: string;
  /** The messages the run delivered for these rules (--smtp) that arrived; none without --smtp. */
  own: TestMessage[];
  /** Why there is no message of the run's own, for the rules that need one. */
  noSeed: string;
  /** Waits before trying a login again (a maildrop still locked by the last session). */
  pause(ms: number): Promise<void>;
}

/** How long a login waits for a maildrop another session still holds (RFC 2449 8.1.2 [IN-USE]). */
const IN_USE_WAIT_MS = 10_000;

/**
 * Opens a session and logs in with USER and PASS, trying again while the
 * maildrop is still held by the session before (the server may release it
 * a moment after that session's end).
 *
 * @throws {ProtocolError} when the login is refused otherwise
 */
export async function login(check: Pop3Check): Promise<Pop3Probe> {
  const deadline = Date.now() + IN_USE_WAIT_MS;
  for (;;) {
    const s = await check.open();
    const user = await s.command(`USER ${check.user}`);
    const pass = isOk(user) ? await s.command(`PASS ${check.pass}`) : user;
    if (isOk(pass)) return s;
    await s.close();
    const held = /\[IN-USE\]|lock|in use|busy/i.test(pass);
    if (!held || Date.now() > deadline) throw new ProtocolError(`the login was refused: "${pass}"`);
    await check.pause(200);
  }
}

/** Logs in, runs `work`, then ends the session with QUIT whatever happened. */
export async function withLogin<T>(check: Pop3Check, work: (s: Pop3Probe) => Promise<T>): Promise<T> {
  const s = await login(check);
  try {
    return await work(s);
  } finally {
    await s.command("QUIT").catch(() => "");
    await s.close();
  }
}

/**
 * The number of messages in the maildrop (STAT, RFC 1939 5).
 *
 * @throws {ProtocolError} for a reply not of the form "+OK count octets"
 */
export async function count(s: Pop3Probe): Promise<number> {
  const stat = await s.command("STAT");
  const m = /^\+OK (\d+) (\d+)/.exec(stat);
  if (m === null) throw new ProtocolError(`STAT was answered "${stat}", not "+OK count octets"`);
  return Number(m[1]);
}

/** The most messages searched, from the last one back, for the run's own. */
const SEARCHED = 200;

/**
 * Visits the messages from the last one back (at most `SEARCHED`) with
 * their mark, read with TOP n 0 (or RETR where TOP is refused), until
 * `visit` returns true.
 */
export async function scanMarks(
  s: Pop3Probe,
  visit: (n: number, mark: string | undefined) => boolean | Promise<boolean>,
): Promise<void> {
  const total = await count(s);
  let top = true;
  for (let n = total; n >= 1 && n > total - SEARCHED; n--) {
    let reply = top ? await s.multi(`TOP ${n} 0`) : await s.multi(`RETR ${n}`);
    if (top && !isOk(reply.status)) {
      top = false;
      reply = await s.multi(`RETR ${n}`);
    }
    const message = unstuff(reply.lines);
    const end = message.indexOf("");
    if (await visit(n, markOf(end < 0 ? message : message.slice(0, end)))) return;
  }
}

/** The number of the message marked `mark` in this session, searched from the last message back. */
export async function findMark(s: Pop3Probe, mark: string): Promise<number | undefined> {
  let found: number | undefined;
  await scanMarks(s, (n, m) => {
    if (m === mark) found = n;
    return found !== undefined;
  });
  return found;
}

/**
 * The lines of message `n` as RETR sends them (still stuffed).
 *
 * @throws {ProtocolError} when RETR is refused
 */
export async function retrieve(s: Pop3Probe, n: number): Promise<string[]> {
  const { status, lines } = await s.multi(`RETR ${n}`);
  if (!isOk(status)) throw new ProtocolError(`RETR ${n} was answered "${status}"`);
  return lines;
}

/**
 * Makes a new session out of a connection: reads the greeting, and with
 * `stls` switches to TLS with STLS (RFC 2595 4), which must be answered +OK.
 *
 * @throws {ProtocolError} when the greeting is no status line or STLS is refused
 */
export async function openPop3(transport: LineTransport, stls: boolean): Promise<Pop3Probe> {
  const session = new Pop3Probe(transport);
  try {
    session.greeting = await greeting(session.status());
    if (stls) {
      const go = await session.command("STLS");
      if (!isOk(go)) throw new ProtocolError(`STLS was answered "${go}"`);
      await session.startTls();
    }
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}

/** The first of the run's own messages present in this session, searched from the last message back. */
export async function findOwn(s: Pop3Probe, check: Pop3Check): Promise<Required<Found> | undefined> {
  const own = new Map(check.own.map((message) => [message.mark, message]));
  let found: Required<Found> | undefined;
  await scanMarks(s, (n, mark) => {
    const message = mark === undefined ? undefined : own.get(mark);
    if (message !== undefined) found = { n, message };
    return found !== undefined;
  });
  return found;
}
