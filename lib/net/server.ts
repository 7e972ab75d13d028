/**
 * A TCP listener shared by both servers: accepts connections, caps how many
 * run at once in all and from one client address, and shuts down gracefully.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";
import { clientKey } from "./client_key.ts";

/** Why a connection is turned away: the server is full, or the client's address has its share. */
export type RefusalReason = "busy" | "address";

/** Options for `startServer`. */
export interface ServerOptions {
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** The caps on connections served at once, which listeners of one program share; more are refused through `refuse`. */
  caps: ConnectionCaps;
  /** Serves one connection; `signal` aborts when the server shuts down. */
  serve(socket: Socket, signal: AbortSignal): Promise<void>;
  /** Writes a log line: here, a session that failed unexpectedly. */
  log(line: string): void;
  /** Answers a connection over a cap (e.g. with 421) and ends it; it is destroyed a little later regardless. */
  refuse(socket: Socket, reason: RefusalReason): void;
}

/** How long a refused connection may take to read its answer before it is destroyed. */
const REFUSED_LINGER_MS = 5000;

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

/**
 * Starts listening; resolves once connections are accepted.
 *
 * @throws {Deno.errors.NotCapable} when this process may not listen on the host and port (`--allow-net`)
 */
export function startServer(options: ServerOptions): Promise<RunningServer> {
  checkNetPermission(options.host, options.port);
  const sessions = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const { caps } = options;
  const stop = new AbortController();
  // Half-open: a client that has sent its last command and shut down its side still gets the replies.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const key = clientKey(socket.remoteAddress ?? "unknown");
    const refusal = stop.signal.aborted ? "busy" : caps.take(key);
    if (refusal !== undefined) return turnAway(socket, refusal, options);
    sockets.add(socket);
    const session = options.serve(socket, stop.signal)
      .catch((error) => {
        const trace = String(error?.stack ?? error).replace(/\s*\n\s*/g, " ");
        options.log(`${new Date().toISOString()} session error client=${socket.remoteAddress}: ${trace}`);
      })
      .finally(() => {
        sockets.delete(socket);
        socket.destroy();
        sessions.delete(session);
        caps.release(key);
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

/** Connections open at once, in all and per client key (address, or IPv6 /64), each up to its cap. */
export class ConnectionCaps {
  #open = 0;
  readonly #max: number;
  readonly #perAddress: AddressCounts;

  /** @param limits connections at once in all, and from one client address */
  constructor(limits: { maxConnections: number; maxConnectionsPerAddress: number }) {
    this.#max = limits.maxConnections;
    this.#perAddress = new AddressCounts(limits.maxConnectionsPerAddress);
  }

  /** Counts in one more connection from `key`, or says why it is over a cap. */
  take(key: string): RefusalReason | undefined {
    if (this.#open >= this.#max) return "busy";
    if (!this.#perAddress.take(key)) return "address";
    this.#open++;
    return undefined;
  }

  /** Counts out a connection that `take` counted in. */
  release(key: string): void {
    this.#open--;
    this.#perAddress.release(key);
  }
}

/** Connections open per client key, each up to a cap; keys with none are not kept. */
class AddressCounts {
  #counts = new Map<string, number>();
  #cap: number;

  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Counts one more connection for `key`, unless it has its cap already. */
  take(key: string): boolean {
    const open = this.#counts.get(key) ?? 0;
    if (open >= this.#cap) return false;
    this.#counts.set(key, open + 1);
    return true;
  }

  /** Counts one connection of `key` less. */
  release(key: string): void {
    const open = (this.#counts.get(key) ?? 1) - 1;
    if (open > 0) this.#counts.set(key, open);
    else this.#counts.delete(key);
  }
}

/**
 * Lets `refuse` answer, then makes sure the socket goes: a client that never
 * reads its answer or never closes must not hold a socket that no cap counts.
 */
function turnAway(socket: Socket, reason: RefusalReason, options: ServerOptions): void {
  socket.on("error", () => socket.destroy());
  socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
  options.refuse(socket, reason);
}

/**
 * Fails early, with a message naming the address, when the process may not
 * listen there (`--allow-net`; the tasks allow 127.0.0.1 only, see README).
 * Where Deno may ask the user (a terminal, no `--no-prompt`), it asks.
 */
function checkNetPermission(host: string, port: number): void {
  const name = host.includes(":") ? `[${host}]` : host;
  const descriptor = { name: "net", host: `${name}:${port}` } as const;
  const state = Deno.permissions.querySync(descriptor).state;
  if (state === "granted" || (state === "prompt" && Deno.permissions.requestSync(descriptor).state === "granted")) {
    return;
  }
  throw new Deno.errors.NotCapable(`Cannot listen on ${name}:${port}: not allowed; run Deno with --allow-net=${name}`);
}
