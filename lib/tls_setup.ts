/**
 * What both servers share about TLS and logins: the flags, loading the
 * certificate, the implicit-TLS listener beside the plain one (RFC 8314),
 * and which clients may log in without TLS.
 *
 * @module
 */

import { parseInteger, parsePort, UsageError } from "./cli.ts";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { plainAddress } from "./net/client_key.ts";
import { ConnectionCaps, type RefusalReason, type RunningServer, type SessionSlot, startServer } from "./net/server.ts";
import { acceptTls, HANDSHAKE_TIMEOUT_MS, TlsCredentials, tlsFailureLine } from "./net/tls.ts";

/** The flags' part of both usage lines. */
export const TLS_USAGE = "[--tls-cert FILE --tls-key FILE [--tls-port PORT] [--tls-failure-limit N]] " +
  "[--allow-plaintext-login] [--untrusted-loopback]";

/** The flags, for `parseFlags`. */
export const TLS_FLAGS = {
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-port": { type: "string" },
  "tls-failure-limit": { type: "string" },
  "allow-plaintext-login": { type: "boolean", default: false },
  "untrusted-loopback": { type: "boolean", default: false },
} as const;

/** TLS and login settings from the command line. */
export interface TlsConfig {
  /** The PEM certificate and key files; undefined when TLS is off. */
  files?: { certFile: string; keyFile: string };
  /** The implicit-TLS port (RFC 8314 §3.3); 0 picks a free one. */
  port?: number;
  /** Failed handshakes within 10 s past which no new one starts (`DEFAULT_TLS_FAILURE_LIMIT` when unset). */
  failureLimit?: number;
  /** Let clients that are not on loopback log in without TLS. */
  allowPlaintextLogin: boolean;
  /** Treat loopback clients as remote, for testing the rules for remote clients. */
  untrustedLoopback: boolean;
}

/**
 * Reads the TLS flags from `parseFlags` values.
 *
 * @throws {UsageError} when only one of --tls-cert and --tls-key is given,
 *   or --tls-port or --tls-failure-limit without them, or a bad port or limit
 */
export function parseTlsFlags(values: Record<string, unknown>): TlsConfig {
  const cert = values["tls-cert"] as string | undefined;
  const key = values["tls-key"] as string | undefined;
  const port = values["tls-port"] as string | undefined;
  const limit = values["tls-failure-limit"] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("Use --tls-cert and --tls-key together");
  if (port !== undefined && cert === undefined) throw new UsageError("Cannot use --tls-port without --tls-cert");
  if (limit !== undefined && cert === undefined) {
    throw new UsageError("Cannot use --tls-failure-limit without --tls-cert");
  }
  const failureLimit = limit === undefined ? undefined : parseInteger(limit, "--tls-failure-limit");
  if (failureLimit === 0) throw new UsageError("Cannot parse --tls-failure-limit: 0 (at least 1)");
  return {
    files: cert === undefined ? undefined : { certFile: cert, keyFile: key! },
    port: port === undefined ? undefined : parsePort(port, "--tls-port"),
    failureLimit,
    allowPlaintextLogin: values["allow-plaintext-login"] === true,
    untrustedLoopback: values["untrusted-loopback"] === true,
  };
}

/**
 * Loads the certificate and key when TLS is configured.
 *
 * @throws {UsageError} saying which file is unreadable or wrong
 */
export async function loadTls(config: TlsConfig): Promise<TlsCredentials | undefined> {
  if (config.files === undefined) return undefined;
  try {
    return await TlsCredentials.load(config.files, config.failureLimit);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * True when a client at `address` may be trusted like a local user: a
 * loopback address (127.0.0.0/8, ::1), unless --untrusted-loopback.
 */
export function isTrustedLoopback(address: string, config: TlsConfig): boolean {
  if (config.untrustedLoopback) return false;
  const plain = plainAddress(address);
  return plain === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}

/**
 * Runs the TLS handshake at the start of an implicit-TLS connection
 * (RFC 8314 §3.3), before anything reads the socket: the client's
 * handshake comes at once, and must reach TLS intact. A failure is logged
 * and the socket destroyed.
 *
 * @returns the secure stream, or undefined after a failure
 */
export async function acceptImplicitTls(
  socket: Socket,
  tls: TlsCredentials,
  what: { service: string; log(line: string): void },
): Promise<Duplex | undefined> {
  const current = await tls.current();
  const secure = "error" in current
    ? new Error(current.error)
    : await acceptTls(socket, current.identity, HANDSHAKE_TIMEOUT_MS);
  if (!(secure instanceof Error)) return secure;
  if (!("error" in current)) tls.failed();
  what.log(tlsFailureLine(what.service, socket.remoteAddress ?? "unknown", secure.message));
  socket.destroy();
  return undefined;
}

/** What a session is told about its connection's security. */
export interface ConnectionFacts {
  /** Whether TLS is off, offered (STARTTLS/STLS) or already up (implicit-TLS port). */
  tls: "none" | "available" | "active";
  /** True when the client counts as local (`isTrustedLoopback`). */
  loopback: boolean;
  /** True when passwords may be sent without TLS from anywhere (--allow-plaintext-login). */
  allowPlaintextLogin: boolean;
}

/**
 * Accepts one connection for either server: on the implicit-TLS port runs
 * the handshake first (`acceptImplicitTls`), then works out what the
 * session must know about TLS and the client.
 *
 * @returns the stream to serve and the facts, or undefined after a failed handshake
 */
export async function acceptConnection(
  socket: Socket,
  options: {
    implicitTls: boolean;
    tls: TlsCredentials | undefined;
    config: TlsConfig;
    service: string;
    log(line: string): void;
  },
): Promise<{ stream: Duplex; clientAddress: string; facts: ConnectionFacts } | undefined> {
  const { implicitTls, tls, config } = options;
  const clientAddress = socket.remoteAddress ?? "unknown";
  const stream = implicitTls ? await acceptImplicitTls(socket, tls!, options) : socket;
  if (stream === undefined) return undefined;
  const facts: ConnectionFacts = {
    tls: implicitTls ? "active" : tls ? "available" : "none",
    loopback: isTrustedLoopback(clientAddress, config),
    allowPlaintextLogin: config.allowPlaintextLogin,
  };
  return { stream, clientAddress, facts };
}

/** A server listening on a plain port and, optionally, an implicit-TLS port. */
export interface ServerPair extends RunningServer {
  /** The implicit-TLS listener's address, as "host:port", when there is one. */
  tlsAddress?: string;
}

/** The flags of a server that its listeners take: where to listen, and the caps on sessions. */
export interface ListenerConfig {
  /** Address to listen on. */
  host: string;
  /** The plain port; 0 picks a free one. */
  port: number;
  /** The implicit-TLS port, if any (RFC 8314 §3.3). */
  tls: { port?: number };
  /** Sessions at once in all, over both ports together. */
  maxConnections: number;
  /** Sessions at once from one client address, over both ports together. */
  connections: { maxConnectionsPerAddress: number };
}

/** What a server does with the connections its listeners accept. */
export interface ListenerHandlers {
  /** Writes a log line. */
  log(line: string): void;
  /** Turns away a connection over a cap, on the implicit-TLS port or not. */
  refuse(socket: Socket, reason: RefusalReason, implicitTls: boolean): void;
  /** Serves one connection of the implicit-TLS port or not. */
  serve(implicitTls: boolean): (socket: Socket, slot: SessionSlot) => Promise<void>;
  /** Lets go of what the sessions shared (the store's connections, the trace), once they have ended at shutdown. */
  release(): Promise<void>;
}

/**
 * Starts the plain listener and, when asked, the implicit-TLS one beside
 * it, with one set of connection caps for both: they count sessions of one
 * server. Shutting the pair down stops both. If the second cannot listen,
 * the first is stopped before the error is passed on.
 */
export async function startListeners(config: ListenerConfig, handlers: ListenerHandlers): Promise<ServerPair> {
  const caps = new ConnectionCaps({
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.connections.maxConnectionsPerAddress,
  });
  const listen = (port: number, implicitTls: boolean): Promise<RunningServer> =>
    startServer({
      host: config.host,
      port,
      caps,
      log: handlers.log,
      refuse: (socket, reason) => handlers.refuse(socket, reason, implicitTls),
      serve: handlers.serve(implicitTls),
    });
  const plain = await listen(config.port, false);
  const tlsPort = config.tls.port;
  const secure = tlsPort === undefined ? undefined : await listen(tlsPort, true).catch(async (error) => {
    await plain.shutdown(0);
    throw error;
  });
  return {
    address: plain.address,
    port: plain.port,
    ...(secure && { tlsAddress: secure.address }),
    shutdown: async (graceMs) => {
      await Promise.all([plain.shutdown(graceMs), secure?.shutdown(graceMs)]);
      await handlers.release();
    },
  };
}
