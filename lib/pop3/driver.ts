/**
 * Connects a `Pop3Session` to a connection, the user database and the mail
 * store: reads lines, sends replies, carries out logins, retrievals and the
 * final commit.
 *
 * @module
 */

import type { Maildrop, MailStore, SessionLock } from "../mailbox/store.ts";
import type { LineConn, ReadEnd } from "../net/line_conn.ts";
import type { SessionSlot } from "../net/slots.ts";
import type { Authenticator, LoginAttempt } from "../auth/authenticator.ts";
import { type TlsCredentials, tlsFailureLine } from "../net/tls.ts";
import { err } from "./reply.ts";
import type { LoginResult, Pop3Action, Pop3Session, Pop3Step } from "./session.ts";
import type { Pop3Trace } from "./session_trace.ts";
import { TopCutter } from "./top_cutter.ts";

/** What the driver needs besides the session and the connection. */
export interface Pop3DriverOptions {
  /** The maildrops. */
  store: MailStore;
  /** Checks logins. */
  auth: Authenticator;
  /** The certificate for STLS; undefined when TLS is not configured. */
  tls?: TlsCredentials;
  /** Longest command line, CRLF included (RFC 2449 §4: 255). */
  commandLine: number;
  /** Failed logins after which the session is closed. */
  maxFailedLogins: number;
  /** Error replies after which the session is closed. */
  maxErrors: number;
  /** The client's address, for the log. */
  clientAddress: string;
  /** The session's place among the server's connections: protected once logged in, aborted when evicted. */
  slot: SessionSlot;
  /** Milliseconds from the connection within which the client must log in. */
  noProgressMs: number;
  /** Receives one log line per session. */
  log(line: string): void;
  /** The session's trace (`--trace`); when undefined, nothing is traced and nothing is spent on it. */
  trace?: Pop3Trace;
}

const decoder = new TextDecoder();
const TERMINATOR = new Uint8Array([0x2e, 0x0d, 0x0a]);
/** Characters of reply lines gathered into one write: a few lines' worth, so that they die young. */
const SEND_PIECE = 2048;

/** For each way input ends but the client's own: the session's logged outcome, and its last reply if any. */
const ENDINGS: Record<Exclude<ReadEnd, "eof">, [string, string | undefined]> = {
  timeout: ["timeout", undefined],
  stalled: ["no login in time", "[SYS/TEMP] Too long without logging in, closing connection"],
  overflow: ["line too long", "Line too long, closing connection"],
  aborted: ["aborted", "[SYS/TEMP] Server shutting down"],
};
const EVICTED: [string, string] = ["evicted", "[SYS/TEMP] Too many connections from your address, closing connection"];

/** Runs one POP3 session to its end, releases the maildrop and closes the connection. */
export async function drivePop3(conn: LineConn, session: Pop3Session, options: Pop3DriverOptions): Promise<void> {
  await new Pop3Run(conn, session, options).run();
}

/** One session's run: the maildrop it holds, and the counts and outcome for its log line. */
class Pop3Run {
  #conn: LineConn;
  #session: Pop3Session;
  #options: Pop3DriverOptions;
  #lock: SessionLock | undefined;
  #maildrop: Maildrop | undefined;
  #failures = 0;
  #errors = 0;
  #retrieved = 0;
  #topped = 0;
  #outcome = "disconnected";

  constructor(conn: LineConn, session: Pop3Session, options: Pop3DriverOptions) {
    this.#conn = conn;
    this.#session = session;
    this.#options = options;
  }

  async run(): Promise<void> {
    const conn = this.#conn;
    try {
      this.#say(this.#session.greeting());
      this.#options.trace?.state(this.#session.state);
      conn.expectProgress(this.#options.noProgressMs);
      for (;;) {
        const line = await conn.readLine(this.#options.commandLine);
        if (typeof line === "string") {
          this.#end(line);
          break;
        }
        const text = decoder.decode(line.bytes);
        this.#options.trace?.command(text, line.tooLong);
        const step = await this.#play(this.#session.receive(text, line.tooLong));
        if (step.close) {
          if (this.#session.state === "authorization" && this.#outcome === "disconnected") {
            this.#outcome = this.#failures > 0 ? "closed after failed logins" : "quit";
          }
          break;
        }
        if (this.#errors >= this.#options.maxErrors) {
          this.#say(err("Too many errors, closing connection"));
          this.#outcome = "too many errors";
          break;
        }
      }
    } finally {
      await this.#finish();
    }
  }

  /** Says goodbye, as the reason no more input will be read asks, and notes it as the outcome. */
  #end(end: ReadEnd): void {
    if (end === "eof") return;
    const evicted = end === "aborted" && this.#options.slot.evicted;
    const [outcome, goodbye] = evicted ? EVICTED : ENDINGS[end];
    // RFC 1939 §3: on the autologout timer, close without a reply (and without deleting).
    if (goodbye !== undefined) this.#say(err(goodbye));
    this.#outcome = outcome;
  }

  /** Sends one reply line, traced when tracing. */
  #say(line: string): void {
    this.#conn.write(`${line}\r\n`);
    this.#options.trace?.reply(line);
  }

  /** Sends a step's replies and carries out its action, and those of the steps that follow; returns the last step. */
  async #play(first: Pop3Step): Promise<Pop3Step> {
    let step = first;
    for (;;) {
      await this.#send(step.replies);
      // Before the action: QUIT enters UPDATE, and the deletions then carried out belong to it (RFC 1939 6).
      this.#options.trace?.state(this.#session.state);
      const next = step.action ? await this.#carryOut(step.action) : undefined;
      if (next === undefined) return step;
      step = next;
    }
  }

  /**
   * Writes reply lines straight into the connection's output buffers, which
   * are flushed as they fill: a long LIST or UIDL leaves in pieces of 64
   * KiB, and nothing but the line being written is alive at any time,
   * however large the maildrop.
   */
  async #send(replies: Iterable<string>): Promise<void> {
    let piece = "";
    const { trace } = this.#options;
    for (const r of replies) {
      if (r.startsWith("-ERR")) this.#errors++;
      trace?.reply(r);
      piece += `${r}\r\n`;
      if (piece.length < SEND_PIECE) continue;
      this.#conn.write(piece);
      piece = "";
      if (this.#conn.outputFull) await this.#conn.flush();
    }
    if (piece !== "") this.#conn.write(piece);
  }

  async #carryOut(action: Pop3Action): Promise<Pop3Step | undefined> {
    const session = this.#session;
    switch (action.type) {
      case "login": {
        // A failed login is answered late: replies already due (USER's, say) must not wait behind that delay.
        await this.#conn.flush();
        const result = await login({
          name: action.user,
          password: action.password,
          sessionFailures: this.#failures,
          gone: () => this.#conn.inputEnded || this.#options.slot.signal.aborted,
        }, this.#options);
        if (!result.ok && (result.reason === "auth" || result.reason === "locked")) this.#failures++;
        if (result.ok) {
          ({ lock: this.#lock, maildrop: this.#maildrop } = result);
          this.#loggedIn();
        }
        const step = session.loggedIn(result);
        return this.#failures >= this.#options.maxFailedLogins ? { ...step, close: true } : step;
      }
      case "starttls": {
        const failure = await startTls(this.#conn, session, this.#options);
        if (failure === undefined) return undefined;
        this.#outcome = failure;
        return { replies: [], close: true };
      }
      case "retrieve":
        if (action.bodyLines === undefined) this.#retrieved++;
        else this.#topped++;
        await sendRecord(this.#conn, this.#maildrop!, action, this.#options.trace);
        return undefined;
      case "commit": {
        this.#maildrop?.close();
        const ok = await this.#options.store.remove(session.user, action.remove).then(() => true, () => false);
        this.#outcome = ok ? `quit, deleted ${action.remove.size}` : "quit, commit failed";
        return session.committed({ ok });
      }
    }
  }

  /** A session holding its maildrop is never evicted, and has no deadline for progress any more. */
  #loggedIn(): void {
    this.#options.slot.protect();
    this.#options.slot.progress();
    this.#conn.expectProgress(undefined);
  }

  /** Releases the maildrop, closes the connection and writes the session's log line. */
  async #finish(): Promise<void> {
    this.#maildrop?.close();
    await this.#lock?.release();
    await this.#conn.close();
    this.#options.trace?.closed();
    const { clientAddress, log } = this.#options;
    log(
      `${new Date().toISOString()} pop3 client=${clientAddress} user=${this.#session.user || "-"} ` +
        `failed_logins=${this.#failures} retrieved=${this.#retrieved} top=${this.#topped} outcome=${this.#outcome}`,
    );
  }
}

/**
 * STLS (RFC 2595 §4): a temporary error when the certificate cannot be
 * loaded now or too many handshakes failed lately; otherwise "+OK", then
 * the handshake (counted when it fails).
 *
 * @returns undefined when the session goes on (under TLS or not), or the
 *   session's outcome after a failed handshake (logged at once on a line
 *   of its own), after which it must end
 */
async function startTls(conn: LineConn, session: Pop3Session, options: Pop3DriverOptions): Promise<string | undefined> {
  const current = options.tls ? await options.tls.current() : { error: "TLS is not configured" };
  if ("error" in current) options.log(`${new Date().toISOString()} pop3 TLS unavailable: ${current.error}`);
  for (const r of session.tlsReady("identity" in current).replies) {
    conn.write(`${r}\r\n`);
    options.trace?.reply(r);
  }
  if (!("identity" in current)) return undefined;
  const failure = await conn.startTls(current.identity);
  options.trace?.tls(failure);
  if (failure === undefined) return undefined;
  options.tls?.failed();
  options.log(tlsFailureLine("pop3", options.clientAddress, failure));
  return "TLS handshake failed";
}

/** Verifies the password, takes the maildrop lock and opens the maildrop. */
async function login(
  credentials: Pick<LoginAttempt, "name" | "password" | "sessionFailures" | "gone">,
  options: Pop3DriverOptions,
): Promise<LoginResult & ({ ok: false } | { ok: true; lock: SessionLock; maildrop: Maildrop })> {
  const attempt = { ...credentials, clientAddress: options.clientAddress, service: "pop3" as const };
  const outcome = await options.auth.authenticate(attempt);
  if (!outcome.ok) return { ok: false, reason: outcome.reason === "locked" ? "locked" : "auth" };
  const user = outcome.user;
  const lock = await options.store.lockSession(user).catch(() => undefined);
  if (lock === undefined) return { ok: false, reason: "temporary" };
  if (lock === null) return { ok: false, reason: "in-use" };
  try {
    return { ok: true, user, maildrop: await options.store.openMaildrop(user), lock };
  } catch {
    await lock.release();
    return { ok: false, reason: "temporary" };
  }
}

/**
 * Sends a record's stored bytes (or its TOP part) and the terminator. Output
 * is flushed only when enough has gathered, so many small pipelined RETRs
 * leave in few writes; memory stays bounded by the flush threshold. The
 * trace, if any, sees every byte sent.
 */
async function sendRecord(
  conn: LineConn,
  maildrop: Maildrop,
  action: Pop3Action & { type: "retrieve" },
  trace: Pop3Trace | undefined,
): Promise<void> {
  const { index, bodyLines } = action;
  const cutter = bodyLines === undefined ? undefined : new TopCutter(bodyLines, maildrop.storedLength(index));
  for await (const chunk of maildrop.read(index)) {
    const piece = cutter ? cutter.take(chunk) : chunk;
    conn.write(piece);
    trace?.content(piece);
    if (conn.outputFull) await conn.flush();
    if (cutter?.done) break;
  }
  if (cutter) {
    conn.write(TERMINATOR);
    trace?.content(TERMINATOR);
  }
  trace?.contentEnd();
}
