/**
 * Starts the POP3 server from a parsed configuration: the plain port with
 * STLS when a certificate is given, and the implicit-TLS port if asked.
 *
 * @module
 */

import type { Socket } from "node:net";
import { hostname } from "node:os";
import { Authenticator } from "../auth/authenticator.ts";
import { openDataRoot } from "../data_root.ts";
import type { StderrLog } from "../log.ts";
import { LineConn } from "../net/line_conn.ts";
import type { SessionSlot } from "../net/server.ts";
import { acceptConnection, loadTls, type ServerPair, startListeners } from "../tls_setup.ts";
import type { Pop3Config } from "./config.ts";
import { drivePop3 } from "./driver.ts";
import { err } from "./reply.ts";
import { Pop3Session } from "./session.ts";
import { Pop3Trace } from "./session_trace.ts";
import { TraceSink } from "../trace/sink.ts";
import { type RunningHttpServer, startHttpServer } from "../http/server.ts";

/** Longest POP3 command line, CRLF included (RFC 2449 §4). */
const COMMAND_LINE = 255;

/** Octets a client may send without a line end before it is cut off: far past any line a POP3 client sends. */
const MAX_LINE_RUN = 64 * 1024;

/**
 * Opens the data root, loads the certificate and starts listening; log
 * lines go to `log`. With `config.http`, the web inbox and JSON API are
 * served too, from the same store and logins; `httpUrl` says where.
 *
 * @throws {SyntaxError} when userlogincred.txt is malformed
 * @throws {UsageError} when the certificate or key cannot be used
 */
export async function startPop3Server(
  config: Pop3Config,
  log: StderrLog,
): Promise<ServerPair & { httpUrl?: string }> {
  const opened = await openDataRoot(config.root, config.store, {
    program: "popserver",
    sessions: true,
    log: (line) => log.line(line),
  });
  const { users } = opened;
  const store = opened.store.store;
  const tls = await loadTls(config.tls);
  const host = hostname();
  const auth = new Authenticator({ users, ...config.login, log: (line) => log.line(line) });
  const logLine = (line: string) => log.line(line);
  const sink = config.trace === undefined
    ? undefined
    : new TraceSink({ format: config.trace, protocol: "pop3", onError: (line) => log.line(line) });
  const serve = (implicitTls: boolean) => async (socket: Socket, slot: SessionSlot): Promise<void> => {
    const accepted = await acceptConnection(socket, {
      implicitTls,
      tls,
      config: config.tls,
      service: "pop3",
      log: logLine,
    });
    if (accepted === undefined) return;
    const { stream, clientAddress, facts } = accepted;
    const trace = sink && new Pop3Trace(sink.session());
    trace?.opened(clientAddress, implicitTls);
    const conn = new LineConn(stream, {
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      signal: slot.signal,
      lineTimeoutMs: config.connections.lineTimeoutMs,
      maxLineRun: MAX_LINE_RUN,
    });
    const session = new Pop3Session(host, facts);
    await drivePop3(conn, session, {
      store,
      auth,
      tls,
      commandLine: COMMAND_LINE,
      maxFailedLogins: config.login.maxFailedLogins,
      maxErrors: config.maxErrors,
      clientAddress,
      slot,
      noProgressMs: config.connections.noProgressMs,
      log: logLine,
      trace,
    });
  };
  let http: RunningHttpServer | undefined;
  const pair = await startListeners(config, {
    log: (line) => log.line(line),
    refuse: (socket, reason, implicitTls) => {
      log.line(`${new Date().toISOString()} pop3 refused client=${socket.remoteAddress} reason=${reason}`);
      // On the implicit-TLS port a plaintext reply would only be garbage to the client.
      if (implicitTls) return void socket.destroy();
      const from = reason === "address" ? " from your address" : "";
      socket.end(`${err(`[SYS/TEMP] Too many connections${from}, try again later`)}\r\n`);
    },
    serve,
    release: async () => {
      await http?.shutdown();
      await opened.store.close();
      await sink?.close();
    },
  });
  if (config.http === undefined) return pair;
  try {
    const httpTls = config.http.tls ? tls : undefined;
    http = await startHttpServer({
      host: config.host,
      port: config.http.port,
      tls: httpTls,
      store,
      auth,
      log: logLine,
    });
  } catch (error) {
    await pair.shutdown(0);
    throw error;
  }
  return { ...pair, httpUrl: http.url };
}
