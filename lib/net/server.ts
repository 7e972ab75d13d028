/**
 * A TCP listener shared by both servers: accepts connections, caps how many
 * run at once, and shuts down gracefully.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";

/** Options for `startServer`. */
export interface ServerOptions {
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Connections served at once; more are refused through `refuse`. */
  maxConnections: number;
  /** Serves one connection; `signal` aborts when the server shuts down. */
  serve(socket: Socket, signal: AbortSignal): Promise<void>;
  /** Answers a connection over the cap (e.g. with 421) and closes it. */
  refuse(socket: Socket): void;
}

/** A running server. */
export interface RunningServer {
  /** The address actually bound, as "host:port". */
  address: string;
  /** The port actually bound. */
  port: number;
  /**
   * Stops accepting, asks open sessions to finish (they answer 421 at their
   * next read), and resolves when all have ended or `graceMs` has passed.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** Starts listening; resolves once connections are accepted. */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  const sessions = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const stop = new AbortController();
  const server = createServer({ noDelay: true }, (socket) => {
    if (sessions.size >= options.maxConnections || stop.signal.aborted) {
      options.refuse(socket);
      return;
    }
    sockets.add(socket);
    const session = options.serve(socket, stop.signal)
      .catch((error) => console.error(`session error: ${error?.stack ?? error}`))
      .finally(() => {
        sockets.delete(socket);
        socket.destroy();
        sessions.delete(session);
      });
    sessions.add(session);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : options.port;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        address: `${host}:${port}`,
        port,
        shutdown: async (graceMs) => {
          stop.abort();
          const closed = new Promise<void>((done) => server.close(() => done()));
          let timer: ReturnType<typeof setTimeout> | undefined;
          const grace = new Promise<void>((done) => timer = setTimeout(done, graceMs));
          await Promise.race([Promise.all(sessions), grace]);
          clearTimeout(timer);
          for (const socket of sockets) socket.destroy();
          await closed;
        },
      });
    });
  });
}
