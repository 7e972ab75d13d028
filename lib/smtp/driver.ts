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

/** What the driver needs besides the session and the connection. */
export interface SmtpDriverOptions {
  /** Where messages go. */
  store: MailStore;
  /** Longest command line, CRLF included (RFC 5321 §4.5.3.1.4: 512). */
  commandLine: number;
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
      const input = session.state === "data" ? await conn.readChunk() : await conn.readLine(options.commandLine);
      if (input === "eof") break;
      if (input === "timeout" || input === "aborted") {
        const r = input === "timeout" ? Replies.idleTimeout(options.host) : Replies.shuttingDown(options.host);
        conn.write(formatReply(r));
        break;
      }
      let step: Step;
      if (input instanceof Uint8Array) {
        const taken = session.receiveData(input);
        conn.unread(input.subarray(taken.used));
        step = taken.step;
      } else {
        step = session.receive(input);
      }
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
