/**
 * Starts the SMTP server from a parsed configuration: the plain port with
 * STARTTLS when a certificate is given, and the implicit-TLS port if asked.
 *
 * @module
 */

import type { Socket } from "node:net";
import { hostname } from "node:os";
import { Authenticator } from "../auth/authenticator.ts";
import { UsageError } from "../cli.ts";
import { openDataRoot } from "../data_root.ts";
import type { StderrLog } from "../log.ts";
import { LogBudget } from "../log_budget.ts";
import { LineConn } from "../net/line_conn.ts";
import type { RefusalReason, SessionSlot } from "../net/server.ts";
import { acceptConnection, loadTls, type ServerPair, startListeners } from "../tls_setup.ts";
import type { SmtpConfig } from "./config.ts";
import { driveSmtp } from "./driver.ts";
import { formatReply, reply } from "./reply.ts";
import { SmtpSession } from "./session.ts";
import { SmtpTrace } from "./session_trace.ts";
import { TraceSink } from "../trace/sink.ts";

/** The least run of octets without a line end after which a client is cut off (see `maxLineRun`). */
const MIN_LINE_RUN = 64 * 1024;

/** Log lines of refused MAIL and RCPT commands: a burst of 100, then 10 a second (about 130 MB a day at most). */
const REFUSAL_LOG_BUDGET = { burst: 100, perSecond: 10 };

/**
 * Opens the data root, loads the certificate and starts listening; log
 * lines go to `log`.
 *
 * @throws {SyntaxError} when userlogincred.txt is malformed
 * @throws {UsageError} when --postmaster names no user, or the certificate or key cannot be used
 */
export async function startSmtpServer(config: SmtpConfig, log: StderrLog): Promise<ServerPair> {
  const opened = await openDataRoot(config.root, config.store, { program: "smtpmail", log: (line) => log.line(line) });
  const { users } = opened;
  const store = opened.store.store;
  const postmaster = users.find(config.postmaster ?? users.names[0]);
  if (postmaster === undefined) throw new UsageError(`Cannot use --postmaster ${config.postmaster}: no such user`);
  const tls = await loadTls(config.tls);
  const host = hostname();
  const domains = new Set(["localhost", host, ...config.domains].map((d) => d.toLowerCase()));
  const auth = new Authenticator({ users, ...config.login, log: (line) => log.line(line) });
  const refusals = new LogBudget(REFUSAL_LOG_BUDGET);
  const sink = config.trace === undefined
    ? undefined
    : new TraceSink({ format: config.trace, protocol: "smtp", onError: (line) => log.line(line) });
  const serve = (implicitTls: boolean) => async (socket: Socket, slot: SessionSlot): Promise<void> => {
    const logLine = (line: string) => log.line(line);
    const accepted = await acceptConnection(socket, {
      implicitTls,
      tls,
      config: config.tls,
      service: "smtp",
      log: logLine,
    });
    if (accepted === undefined) return;
    const { stream, clientAddress, facts } = accepted;
    const trace = sink && new SmtpTrace(sink.session());
    trace?.opened(clientAddress, implicitTls);
    const conn = new LineConn(stream, {
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      signal: slot.signal,
      lineTimeoutMs: config.connections.lineTimeoutMs,
      minDataRate: config.minDataRate,
      maxLineRun: maxLineRun(config),
    });
    const session = new SmtpSession({
      host,
      clientAddress,
      ...facts,
      findUser: (local) => users.find(local),
      isLocalDomain: (domain) => domains.has(domain.toLowerCase()),
      postmaster,
      limits: { ...config.limits, maxFailedLogins: config.login.maxFailedLogins },
    });
    await driveSmtp(conn, session, {
      store,
      auth,
      tls,
      commandLine: config.commandLine,
      host,
      clientAddress,
      slot,
      noProgressMs: config.connections.noProgressMs,
      log: logLine,
      refusals,
      trace,
    });
  };
  return await startListeners(config, {
    log: (line) => log.line(line),
    refuse: (socket, reason, implicitTls) => refuse(socket, reason, { host, implicitTls, log }),
    serve,
    release: async () => {
      await opened.store.close();
      await sink?.close();
    },
  });
}

/**
 * Octets a client may send without a line end before it is cut off: well
 * past every line limit (command, AUTH response, text line), so that only a
 * client that is not speaking SMTP meets it.
 */
function maxLineRun(config: SmtpConfig): number {
  return Math.max(MIN_LINE_RUN, 2 * Math.max(config.commandLine, config.limits.maxLine));
}

/** Turns away a connection over a cap: logged, then 421 on the plain port, closed at once on the implicit-TLS one. */
function refuse(
  socket: Socket,
  reason: RefusalReason,
  where: { host: string; implicitTls: boolean; log: StderrLog },
): void {
  where.log.line(`${new Date().toISOString()} smtp refused client=${socket.remoteAddress} reason=${reason}`);
  // On the implicit-TLS port a plaintext reply would only be garbage to the client.
  if (where.implicitTls) return void socket.destroy();
  // The server's own capacity is a system condition (4.3.2); one client's share, a policy (4.7.0).
  socket.end(formatReply(
    reason === "address"
      ? reply(421, "7.0", `${where.host} Too many connections from your address, try again later`)
      : reply(421, "3.2", `${where.host} Too many connections, try again later`),
  ));
}
