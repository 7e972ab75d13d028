/**
 * Connects a `Pop3Session` to a connection, the user database and the mail
 * store: reads lines, sends replies, carries out logins, retrievals and the
 * final commit.
 *
 * @module
 */

import type { MailStore, SessionLock } from "../mailbox/store.ts";
import type { LineConn } from "../net/line_conn.ts";
import type { UserDb } from "../users.ts";
import { err } from "./reply.ts";
import type { LoginResult, Pop3Action, Pop3Session, Pop3Step } from "./session.ts";
import { TopCutter } from "./top_cutter.ts";

/** What the driver needs besides the session and the connection. */
export interface Pop3DriverOptions {
  /** The maildrops. */
  store: MailStore;
  /** Who may log in. */
  users: UserDb;
  /** Longest command line, CRLF included (RFC 2449 §4: 255). */
  commandLine: number;
  /** Delay before answering the first failed login; it doubles with each further failure. */
  failedLoginDelayMs: number;
  /** Failed logins after which the session is closed. */
  maxFailedLogins: number;
  /** The client's address, for the log. */
  clientAddress: string;
  /** Receives one log line per session. */
  log(line: string): void;
}

const decoder = new TextDecoder();
const TERMINATOR = new Uint8Array([0x2e, 0x0d, 0x0a]);
/** The longest wait between failed logins. */
const MAX_DELAY_MS = 8000;

/** Runs one POP3 session to its end, releases the maildrop and closes the connection. */
export async function drivePop3(conn: LineConn, session: Pop3Session, options: Pop3DriverOptions): Promise<void> {
  let lock: SessionLock | undefined;
  let failures = 0;
  let retrieved = 0;
  let outcome = "disconnected";
  const carryOut = async (action: Pop3Action): Promise<Pop3Step | undefined> => {
    switch (action.type) {
      case "login": {
        const result = await login(action.user, action.password, options);
        if (!result.ok && result.reason === "auth") {
          failures++;
          await sleep(Math.min(options.failedLoginDelayMs * 2 ** (failures - 1), MAX_DELAY_MS));
        }
        if (result.ok) lock = result.lock;
        const step = session.loggedIn(result);
        return failures >= options.maxFailedLogins ? { ...step, close: true } : step;
      }
      case "retrieve":
        retrieved++;
        await sendRecord(conn, options.store, session.user, action);
        return undefined;
      case "commit": {
        const ok = await options.store.remove(session.user, action.remove).then(() => true, () => false);
        outcome = ok ? `quit, deleted ${action.remove.size}` : "quit, commit failed";
        return session.committed({ ok });
      }
    }
  };
  try {
    conn.write(`${session.greeting()}\r\n`);
    for (;;) {
      const line = await conn.readLine(options.commandLine);
      if (line === "eof") break;
      if (line === "timeout" || line === "aborted") {
        // RFC 1939 §3: on the autologout timer, close without a reply and without deleting.
        if (line === "aborted") conn.write(`${err("[SYS/TEMP] Server shutting down")}\r\n`);
        outcome = line;
        break;
      }
      let step = session.receive(decoder.decode(line.bytes), line.tooLong);
      for (;;) {
        for (const r of step.replies) conn.write(`${r}\r\n`);
        const next = step.action ? await carryOut(step.action) : undefined;
        if (next === undefined) break;
        step = next;
      }
      if (step.close) {
        if (session.state === "authorization") outcome = failures > 0 ? "closed after failed logins" : "quit";
        break;
      }
    }
  } finally {
    await lock?.release();
    await conn.close();
    const user = session.user || "-";
    options.log(
      `${new Date().toISOString()} pop3 client=${options.clientAddress} user=${user} failed_logins=${failures} ` +
        `retrieved=${retrieved} outcome=${outcome}`,
    );
  }
}

/** Verifies the password, takes the maildrop lock and lists the maildrop. */
async function login(
  name: string,
  password: string,
  options: Pop3DriverOptions,
): Promise<LoginResult & ({ ok: false } | { ok: true; lock: SessionLock })> {
  const user = options.users.verify(name, password);
  if (user === undefined) return { ok: false, reason: "auth" };
  const lock = await options.store.lockSession(user).catch(() => undefined);
  if (lock === undefined) return { ok: false, reason: "temporary" };
  if (lock === null) return { ok: false, reason: "in-use" };
  try {
    return { ok: true, user, messages: await options.store.list(user), lock };
  } catch {
    await lock.release();
    return { ok: false, reason: "temporary" };
  }
}

/** Streams a record's stored bytes (or its TOP part) and the terminator, with backpressure. */
async function sendRecord(
  conn: LineConn,
  store: MailStore,
  user: string,
  action: Pop3Action & { type: "retrieve" },
): Promise<void> {
  const cutter = action.bodyLines === undefined
    ? undefined
    : new TopCutter(action.bodyLines, action.record.storedLength);
  const reader = store.read(user, action.record).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      conn.write(cutter ? cutter.take(value) : value);
      if (cutter?.done) break;
      await conn.flush();
    }
  } finally {
    await reader.cancel();
  }
  if (cutter) conn.write(TERMINATOR);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
