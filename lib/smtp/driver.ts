/**
 * Connects an `SmtpSession` to a connection and a mail store: reads lines,
 * sends replies, carries out deliveries.
 *
 * @module
 */

import type { MailStore } from "../mailbox/store.ts";
import type { LineConn } from "../net/line_conn.ts";
import { formatReply, Replies } from "./reply.ts";
import type { MessageLog, SmtpSession, Step } from "./session.ts";

/** Line limits applied while reading (RFC 5321 §4.5.3.1). */
export interface SmtpLineLimits {
  /** Longest command line, CRLF included (RFC 5321: 512). */
  commandLine: number;
  /** Longest text line in DATA, CRLF included (RFC 5321: 1000). */
  textLine: number;
}

/** What the driver needs besides the session and the connection. */
export interface SmtpDriverOptions {
  /** Where messages go. */
  store: MailStore;
  /** Line limits. */
  lines: SmtpLineLimits;
  /** This server's host name, for 421 replies. */
  host: string;
  /** Receives one log line per message. */
  log(line: string): void;
}

/** Runs one SMTP session to its end and closes the connection. */
export async function driveSmtp(conn: LineConn, session: SmtpSession, options: SmtpDriverOptions): Promise<void> {
  try {
    conn.write(formatReply(session.greeting()));
    for (;;) {
      const limit = session.state === "data" ? options.lines.textLine : options.lines.commandLine;
      const line = await conn.readLine(limit);
      if (line === "eof") break;
      if (line === "timeout" || line === "aborted") {
        const r = line === "timeout" ? Replies.idleTimeout(options.host) : Replies.shuttingDown(options.host);
        conn.write(formatReply(r));
        break;
      }
      let step = session.receive(line);
      send(conn, step, options);
      if (step.action) {
        const { delivery, log } = step.action;
        const result = await options.store.deliver(delivery).then(
          () => ({ ok: true as const }),
          (error: Error) => ({ ok: false as const, error: error.message }),
        );
        step = session.complete(result, log);
        send(conn, step, options);
      }
      if (step.close) break;
    }
  } finally {
    await conn.close();
  }
}

function send(conn: LineConn, step: Step, options: SmtpDriverOptions): void {
  for (const r of step.replies) conn.write(formatReply(r));
  if (step.log) options.log(formatLog(step.log));
}

/** Formats the one log line written per message. */
export function formatLog(log: MessageLog): string {
  const to = log.recipients.map((r) => `<${r}>`).join(",");
  const from = log.sender === "<>" ? "<>" : `<${log.sender}>`;
  return `${new Date().toISOString()} smtp id=${log.id} client=${log.client} from=${from} to=${to} ` +
    `size=${log.size} outcome=${log.outcome}`;
}
