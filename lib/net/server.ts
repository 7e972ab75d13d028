/**
 * A TCP listener shared by both servers: accepts connections, caps how many
 * run at once in all and from one client address (evicting a session of an
 * over-represented address when full), and shuts down gracefully.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";
import { clientKey } from "./client_key.ts";
import { ConnectionCaps, type RefusalReason, type SessionSlot } from "./slots.ts";

export { ConnectionCaps, type RefusalReason, type SessionSlot };

/** Options for `startServer`. */
export interface ServerOptions {
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** The caps on connections served at once, which listeners of one program share; more are refused through `refuse`. */
  caps: ConnectionCaps;
  /** Serves one connection; its slot's signal aborts when the server shuts down or evicts the session. */
  serve(socket: Socket, slot: SessionSlot): Promise<void>;
  /** Writes a log line: here, a session that failed unexpectedly, or one evicted. */
  log(line: string): void;
  /** Answers a connection over a cap (e.g. with 421) and ends it; it is destroyed a little later regardless. */
  refuse(socket: Socket, reason: RefusalReason): void;
}

/** How long a refused connection may take to read its answer before it is destroyed. */
const REFUSED_LINGER_MS = 5000;

/** How long an evicted session may take to say goodbye before its socket is destroyed. */
const EVICTED_LINGER_MS = 5000;

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
  let stopping = false;
  // Half-open: a client that has sent its last command and shut down its side still gets the replies.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const taken = stopping ? { refusal: "busy" as const } : caps.take(clientKey(address), address);
    if ("refusal" in taken) return turnAway(socket, taken.refusal, options);
    const { slot, evicted } = taken;
    if (evicted) options.log(`${new Date().toISOString()} evicted client=${evicted.address} for client=${address}`);
    slot.whenEvicted(() => lingerThenDestroy(socket));
    sockets.add(socket);
    const session = options.serve(socket, slot)
      .catch((error) => {
        const trace = String(error?.stack ?? error).replace(/\s*\n\s*/g, " ");
        options.log(`${new Date().toISOString()} session error client=${address}: ${trace}`);
      })
      .finally(() => {
        sockets.delete(socket);
        socket.destroy();
        sessions.delete(session);
        caps.release(slot);
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
          stopping = true;
          caps.abortAll();
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

/**
 * Makes sure an evicted session's socket goes soon: its session says
 * goodbye at its next read, but it may be busy, or its client may take none
 * of the goodbye, while its slot is already another's.
 */
function lingerThenDestroy(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), EVICTED_LINGER_MS);
  socket.once("close", () => clearTimeout(timer));
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
