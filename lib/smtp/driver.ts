/**
 * Connects an `SmtpSession` to a connection, a mail store, the
 * authenticator and the TLS credentials: reads lines, sends replies,
 * carries out deliveries, logins and the STARTTLS upgrade.
 *
 * @module
 */

import type { Authenticator } from "../auth/authenticator.ts";
import { type MailStore, QuotaExceeded, StorageFull } from "../mailbox/store.ts";
import type { LineConn, ReadEnd } from "../net/line_conn.ts";
import type { SessionSlot } from "../net/slots.ts";
import { type TlsCredentials, tlsFailureLine } from "../net/tls.ts";
import { logValue } from "../log.ts";
import type { LogBudget } from "../log_budget.ts";
import { formatReply, Replies, type Reply } from "./reply.ts";
import type { MessageLog, SmtpAction, SmtpSession, Step } from "./session.ts";
import type { SmtpTrace } from "./session_trace.ts";

/** What the driver needs besides the session and the connection. */
export interface SmtpDriverOptions {
  /** Where messages go. */
  store: MailStore;
  /** Checks AUTH credentials. */
  auth: Authenticator;
  /** The certificate for STARTTLS; undefined when TLS is not configured. */
  tls?: TlsCredentials;
  /** Longest command line, CRLF included (RFC 5321 §4.5.3.1.4: 512). */
  commandLine: number;
  /** This server's host name, for 421 replies. */
  host: string;
  /** The client's IP address, for the log. */
  clientAddress: string;
  /** The session's place among the server's connections: told of progress, aborted when evicted. */
  slot: SessionSlot;
  /** Milliseconds the session may go without a message or a login. */
  noProgressMs: number;
  /** Receives one log line per message, per refused MAIL or RCPT, and per failed TLS handshake. */
  log(line: string): void;
  /** The server-wide bound on log lines of refused MAIL and RCPT commands. */
  refusals: LogBudget;
  /** The session's trace (`--trace`); when undefined, nothing is traced and nothing is spent on it. */
  trace?: SmtpTrace;
}

/** Longest SASL response line (RFC 4954 §4: 12288 octets), CRLF included. */
const AUTH_LINE = 12288 + 2;

/** Runs one SMTP session to its end and closes the connection. */
export async function driveSmtp(conn: LineConn, session: SmtpSession, options: SmtpDriverOptions): Promise<void> {
  const { trace } = options;
  try {
    send(conn, { replies: [session.greeting()] }, options);
    trace?.state(session.state);
    conn.expectProgress(options.noProgressMs);
    for (;;) {
      const input = session.state === "data"
        ? await conn.readChunk()
        : await conn.readLine(session.state === "auth" ? AUTH_LINE : options.commandLine);
      if (typeof input === "string") {
        send(conn, lastStep(input, session, options), options);
        break;
      }
      let step: Step;
      if (input instanceof Uint8Array) {
        const taken = session.receiveData(input);
        conn.unread(input.subarray(taken.used));
        step = taken.step;
        trace?.data(input.subarray(0, taken.used), session.state !== "data");
        // A message received, stored or refused, is progress.
        if (session.state !== "data") progressed(conn, options);
      } else {
        trace?.command(input, session.state);
        step = session.receive(input);
        // A message under way: of its address's sessions, this one is the last to be evicted.
        if (session.state === "data") options.slot.progress();
      }
      send(conn, step, options);
      if (step.action) step = await carryOut(step.action, conn, session, options);
      // After the action's replies: a transaction ends with its 250, not with the "." before it.
      trace?.state(session.state);
      if (step.close) break;
    }
  } finally {
    await conn.close();
    trace?.closed();
  }
}

/** The session made progress: its no-progress deadline starts again. */
function progressed(conn: LineConn, options: SmtpDriverOptions): void {
  options.slot.progress();
  conn.expectProgress(options.noProgressMs);
}

/** The session's last step when no more input will be read; why decides the reply (RFC 5321 §3.8: 421 before closing). */
function lastStep(end: ReadEnd, session: SmtpSession, options: SmtpDriverOptions): Step {
  const { host } = options;
  const closing = (r: Reply, why: string): Step => ({ ...session.abandon(why), replies: [r], close: true });
  switch (end) {
    case "eof":
      return session.abandon("connection closed");
    case "overflow":
      return session.overflow();
    case "timeout":
      return closing(Replies.idleTimeout(host), "idle timeout");
    case "stalled":
      return closing(Replies.noProgress(host), "no progress");
    case "aborted":
      return options.slot.evicted
        ? closing(Replies.evicted(host), "evicted")
        : closing(Replies.shuttingDown(host), "server stopping");
  }
}

/** Carries out one action, sends the session's answer to its outcome, and returns that step. */
async function carryOut(
  action: SmtpAction,
  conn: LineConn,
  session: SmtpSession,
  options: SmtpDriverOptions,
): Promise<Step> {
  let step: Step;
  switch (action.type) {
    case "deliver": {
      const result = await options.store.deliver(action.delivery).then(
        () => ({ ok: true as const }),
        (error: Error) => ({
          ok: false as const,
          error: error.message,
          overQuota: error instanceof QuotaExceeded ? error.user : undefined,
          full: error instanceof StorageFull,
        }),
      );
      step = session.complete(result, action.log);
      break;
    }
    case "authenticate": {
      // A failed login is answered late: replies already due (EHLO's, say) must not wait behind that delay.
      await conn.flush();
      const { name, password, sessionFailures } = action;
      const attempt = {
        name,
        password,
        clientAddress: options.clientAddress,
        service: "smtp" as const,
        sessionFailures,
        gone: () => conn.inputEnded || options.slot.signal.aborted,
      };
      const outcome = await options.auth.authenticate(attempt);
      if (outcome.ok) progressed(conn, options);
      step = session.authenticated(outcome);
      break;
    }
    case "starttls":
      return await startTls(conn, session, options);
  }
  send(conn, step, options);
  return step;
}

/**
 * STARTTLS (RFC 3207 §4): 454 when the certificate cannot be loaded now
 * or too many handshakes failed lately; otherwise the go-ahead, then the
 * handshake. A failed handshake is counted, logged and ends the session.
 */
async function startTls(conn: LineConn, session: SmtpSession, options: SmtpDriverOptions): Promise<Step> {
  const current = options.tls ? await options.tls.current() : { error: "TLS is not configured" };
  if ("error" in current) options.log(`${new Date().toISOString()} smtp TLS unavailable: ${current.error}`);
  const step = session.tlsReady("identity" in current);
  send(conn, step, options);
  if (!("identity" in current)) return step;
  const failure = await conn.startTls(current.identity);
  options.trace?.tls(failure);
  if (failure === undefined) return step;
  options.tls?.failed();
  options.log(tlsFailureLine("smtp", options.clientAddress, failure));
  return { ...step, close: true };
}

/** Sends a step's replies (traced when tracing) and logs its message or refusal. */
function send(conn: LineConn, step: Step, options: SmtpDriverOptions): void {
  for (const r of step.replies) {
    const text = formatReply(r);
    conn.write(text);
    options.trace?.reply(text);
  }
  if (step.log === undefined) return;
  if (step.log.outcome.startsWith("refused at ")) {
    const skipped = options.refusals.take(Date.now());
    if (skipped === undefined) return;
    if (skipped > 0) options.log(`${new Date().toISOString()} smtp refusals not logged: ${skipped}`);
  }
  options.log(formatLog(step.log));
}

/** Formats the one log line written per message. */
export function formatLog(log: MessageLog): string {
  const to = logValue(log.recipients.map((r) => `<${r}>`).join(","));
  const from = logValue(log.sender === "<>" ? "<>" : `<${log.sender}>`);
  const user = log.user === undefined ? "" : ` user=${logValue(log.user)}`;
  return `${new Date().toISOString()} smtp id=${log.id} client=${log.client}${user} from=${from} to=${to} ` +
    `size=${log.size} outcome=${log.outcome}`;
}
