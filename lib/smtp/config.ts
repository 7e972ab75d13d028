/**
 * The command line of `smtpmail.ts`: its flags, defaults and checks.
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
import type { SmtpLimits } from "./session.ts";
import { parseStoreFlag, STORE_FLAG, STORE_USAGE, type StoreChoice } from "../mailbox/open_store.ts";
import { parseTraceFlags, TRACE_FLAGS, TRACE_USAGE } from "../trace/flags.ts";
import type { TraceFormat } from "../trace/record.ts";

/** One-line usage of `smtpmail.ts`. */
export const SMTP_USAGE = "smtpmail.ts <my_port> [--root DIR] [--host ADDR] [--domain NAME]... " +
  "[--postmaster USER] [--max-message-size OCTETS] [--max-recipients N] [--quota OCTETS] [--max-connections N] " +
  "[--max-errors N] [--idle-timeout SECONDS] [--command-line-limit OCTETS] [--text-line-limit OCTETS] " +
  `${CONNECTION_FLAGS_USAGE} [--min-data-rate OCTETS_PER_SECOND] ${LOGIN_FLAGS_USAGE} ${TLS_USAGE} ${STORE_USAGE} ${TRACE_USAGE}`;

/** Everything `smtpmail.ts` is told on its command line. */
export interface SmtpConfig {
  /** Port to listen on. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** Data root holding userlogincred.txt and the user directories. */
  root: string;
  /** Extra local domains besides localhost and the host name. */
  domains: string[];
  /** User who gets postmaster's mail; undefined means the first user. */
  postmaster?: string;
  /** Per-session limits. */
  limits: SmtpLimits;
  /** Longest command line, CRLF included. */
  commandLine: number;
  /** Connections served at once. */
  maxConnections: number;
  /** Seconds without input before a session is closed (RFC 5321 §4.5.3.2.7: 5 minutes). */
  idleTimeoutSeconds: number;
  /** Caps per client address and the line deadline. */
  connections: ConnectionLimits;
  /** Octets per second that DATA must average after the line deadline's grace. */
  minDataRate: number;
  /** Delays, session cap and lockout for failed logins (SMTP AUTH). */
  login: LoginLimits;
  /** STARTTLS, the implicit-TLS port and who may log in without TLS. */
  tls: TlsConfig;
  /** Where the mailboxes are: files under the root, or a PostgreSQL database. */
  store: StoreChoice;
  /** How `--trace` writes every session to stdout; undefined when it is off. */
  trace?: TraceFormat;
}

/**
 * Parses `smtpmail.ts`'s arguments.
 *
 * @throws {UsageError} on an unknown flag, a missing port or a bad number
 */
export function parseSmtpArgs(args: string[]): SmtpConfig {
  const { values, positionals } = parseFlags(args, {
    root: { type: "string", default: "." },
    host: { type: "string", default: "127.0.0.1" },
    domain: { type: "string", multiple: true, default: [] },
    postmaster: { type: "string" },
    "max-message-size": { type: "string", default: String(10 * 1024 * 1024) },
    "max-recipients": { type: "string", default: "100" },
    quota: { type: "string" },
    "max-connections": { type: "string", default: "100" },
    "max-errors": { type: "string", default: "10" },
    "idle-timeout": { type: "string", default: "300" },
    "command-line-limit": { type: "string", default: "512" },
    "text-line-limit": { type: "string", default: "1000" },
    "min-data-rate": { type: "string", default: "500" },
    ...CONNECTION_FLAGS,
    ...LOGIN_FLAGS,
    ...TLS_FLAGS,
    ...STORE_FLAG,
    ...TRACE_FLAGS,
  }, { count: 1, names: "my_port" });
  const positive = (name: string) => positiveFlag(values, name);
  return {
    port: parsePort(positionals[0], "port"),
    host: values.host as string,
    root: values.root as string,
    domains: values.domain as string[],
    postmaster: values.postmaster as string | undefined,
    limits: {
      maxMessageSize: positive("max-message-size"),
      maxRecipients: positive("max-recipients"),
      maxErrors: positive("max-errors"),
      maxLine: positive("text-line-limit"),
      ...(values.quota === undefined ? {} : { quota: positive("quota") }),
    },
    commandLine: positive("command-line-limit"),
    maxConnections: positive("max-connections"),
    idleTimeoutSeconds: positive("idle-timeout"),
    connections: parseConnectionLimits(values),
    minDataRate: positive("min-data-rate"),
    login: parseLoginLimits(values),
    tls: parseTlsFlags(values),
    store: parseStoreFlag(values),
    trace: parseTraceFlags(values),
  };
}
