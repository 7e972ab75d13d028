/**
 * Starts the SMTP server from a parsed configuration.
 *
 * @module
 */

import { hostname } from "node:os";
import { UsageError } from "../cli.ts";
import { openDataRoot } from "../data_root.ts";
import type { StderrLog } from "../log.ts";
import { LineConn } from "../net/line_conn.ts";
import { type RunningServer, startServer } from "../net/server.ts";
import type { SmtpConfig } from "./config.ts";
import { driveSmtp } from "./driver.ts";
import { formatReply, reply } from "./reply.ts";
import { SmtpSession } from "./session.ts";

/**
 * Opens the data root and starts listening; log lines go to `log`.
 *
 * @throws {SyntaxError} when userlogincred.txt is malformed
 * @throws {UsageError} when --postmaster names no user
 */
export async function startSmtpServer(config: SmtpConfig, log: StderrLog): Promise<RunningServer> {
  const { users, store } = await openDataRoot(config.root);
  const postmaster = users.find(config.postmaster ?? users.names[0]);
  if (postmaster === undefined) throw new UsageError(`Cannot use --postmaster ${config.postmaster}: no such user`);
  const host = hostname();
  const domains = new Set(["localhost", host, ...config.domains].map((d) => d.toLowerCase()));
  return await startServer({
    host: config.host,
    port: config.port,
    maxConnections: config.maxConnections,
    refuse: (socket) => {
      socket.end(formatReply(reply(421, "3.2", `${host} Too many connections, try again later`)));
    },
    serve: (socket, signal) => {
      const conn = new LineConn(socket, { idleTimeoutMs: config.idleTimeoutSeconds * 1000, signal });
      const session = new SmtpSession({
        host,
        clientAddress: socket.remoteAddress ?? "unknown",
        findUser: (local) => users.find(local),
        isLocalDomain: (domain) => domains.has(domain.toLowerCase()),
        postmaster,
        limits: config.limits,
      });
      return driveSmtp(conn, session, {
        store,
        commandLine: config.commandLine,
        host,
        log: (line) => log.line(line),
      });
    },
  });
}
