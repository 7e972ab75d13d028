/**
 * Starts the POP3 server from a parsed configuration.
 *
 * @module
 */

import { hostname } from "node:os";
import { openDataRoot } from "../data_root.ts";
import type { StderrLog } from "../log.ts";
import { LineConn } from "../net/line_conn.ts";
import { type RunningServer, startServer } from "../net/server.ts";
import type { Pop3Config } from "./config.ts";
import { drivePop3 } from "./driver.ts";
import { err } from "./reply.ts";
import { Pop3Session } from "./session.ts";

/** Longest POP3 command line, CRLF included (RFC 2449 §4). */
const COMMAND_LINE = 255;

/**
 * Opens the data root and starts listening; log lines go to `log`.
 *
 * @throws {SyntaxError} when userlogincred.txt is malformed
 */
export async function startPop3Server(config: Pop3Config, log: StderrLog): Promise<RunningServer> {
  const { users, store } = await openDataRoot(config.root);
  const host = hostname();
  return await startServer({
    host: config.host,
    port: config.port,
    maxConnections: config.maxConnections,
    refuse: (socket) => socket.end(`${err("[SYS/TEMP] Too many connections, try again later")}\r\n`),
    serve: (socket, signal) => {
      const conn = new LineConn(socket, { idleTimeoutMs: config.idleTimeoutSeconds * 1000, signal });
      return drivePop3(conn, new Pop3Session(host), {
        store,
        users,
        commandLine: COMMAND_LINE,
        failedLoginDelayMs: config.failedLoginDelayMs,
        maxFailedLogins: config.maxFailedLogins,
        clientAddress: socket.remoteAddress ?? "unknown",
        log: (line) => log.line(line),
      });
    },
  });
}
