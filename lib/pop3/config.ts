/**
 * The command line of `popserver.ts`: its flags, defaults and checks.
 *
 * @module
 */

import { LOGIN_FLAGS, LOGIN_FLAGS_USAGE, type LoginLimits, parseLoginLimits } from "../auth/login_flags.ts";
import { parseFlags, parsePort, positiveFlag } from "../cli.ts";
import {
  CONNECTION_FLAGS,
  CONNECTION_FLAGS_USAGE,
  type ConnectionLimits,
  parseConnectionLimits,
} from "../net/connection_flags.ts";
import { parseTlsFlags, TLS_FLAGS, TLS_USAGE, type TlsConfig } from "../tls_setup.ts";
import { parseStoreFlag, STORE_FLAG, STORE_USAGE, type StoreChoice } from "../mailbox/open_store.ts";
import { parseTraceFlags, TRACE_FLAGS, TRACE_USAGE } from "../trace/flags.ts";
import { HTTP_FLAGS, HTTP_USAGE, type HttpConfig, parseHttpFlags } from "../http/config.ts";
import type { TraceFormat } from "../trace/record.ts";

/** One-line usage of `popserver.ts`. */
export const POP3_USAGE = "popserver.ts <pop3_port> [--root DIR] [--host ADDR] [--max-connections N] " +
  `[--idle-timeout SECONDS] [--max-errors N] ${CONNECTION_FLAGS_USAGE} ${LOGIN_FLAGS_USAGE} ${TLS_USAGE} ${STORE_USAGE} ${TRACE_USAGE} ${HTTP_USAGE}`;

/** Everything `popserver.ts` is told on its command line. */
export interface Pop3Config {
  /** Port to listen on. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** Data root holding userlogincred.txt and the user directories. */
  root: string;
  /** Connections served at once. */
  maxConnections: number;
  /** Seconds without input before a session is closed (RFC 1939 §3: at least 10 minutes). */
  idleTimeoutSeconds: number;
  /** Error replies in one session after which it is closed. */
  maxErrors: number;
  /** Caps per client address and the line deadline. */
  connections: ConnectionLimits;
  /** Delays, session cap and lockout for failed logins. */
  login: LoginLimits;
  /** STLS, the implicit-TLS port and who may log in without TLS. */
  tls: TlsConfig;
  /** Where the mailboxes are: files under the root, or a PostgreSQL database. */
  store: StoreChoice;
  /** How `--trace` writes every session to stdout; undefined when it is off. */
  trace?: TraceFormat;
  /** The web inbox and JSON API (`--http`); undefined when off. */
  http?: HttpConfig;
}

/**
 * Parses `popserver.ts`'s arguments.
 *
 * @throws {UsageError} on an unknown flag, a missing port or a bad number
 */
export function parsePop3Args(args: string[]): Pop3Config {
  const { values, positionals } = parseFlags(args, {
    root: { type: "string", default: "." },
    host: { type: "string", default: "127.0.0.1" },
    "max-connections": { type: "string", default: "100" },
    "idle-timeout": { type: "string", default: "600" },
    "max-errors": { type: "string", default: "20" },
    ...CONNECTION_FLAGS,
    ...LOGIN_FLAGS,
    ...TLS_FLAGS,
    ...STORE_FLAG,
    ...TRACE_FLAGS,
    ...HTTP_FLAGS,
  }, { count: 1, names: "pop3_port" });
  const positive = (name: string) => positiveFlag(values, name);
  return {
    port: parsePort(positionals[0], "port"),
    host: values.host as string,
    root: values.root as string,
    maxConnections: positive("max-connections"),
    idleTimeoutSeconds: positive("idle-timeout"),
    maxErrors: positive("max-errors"),
    connections: parseConnectionLimits(values),
    login: parseLoginLimits(values),
    tls: parseTlsFlags(values),
    store: parseStoreFlag(values),
    trace: parseTraceFlags(values),
    http: parseHttpFlags(values),
  };
}
