/**
 * The command line of `popserver.ts`: its flags, defaults and checks.
 *
 * @module
 */

import { parseFlags, parsePort, positiveFlag } from "../cli.ts";

/** One-line usage of `popserver.ts`. */
export const POP3_USAGE = "popserver.ts <pop3_port> [--root DIR] [--host ADDR] [--max-connections N] " +
  "[--idle-timeout SECONDS] [--failed-login-delay MS] [--max-failed-logins N]";

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
  /** Delay before answering the first failed login, doubled for each further one. */
  failedLoginDelayMs: number;
  /** Failed logins after which a session is closed. */
  maxFailedLogins: number;
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
    "failed-login-delay": { type: "string", default: "1000" },
    "max-failed-logins": { type: "string", default: "3" },
  }, { count: 1, names: "pop3_port" });
  const positive = (name: string) => positiveFlag(values, name);
  return {
    port: parsePort(positionals[0], "port"),
    host: values.host as string,
    root: values.root as string,
    maxConnections: positive("max-connections"),
    idleTimeoutSeconds: positive("idle-timeout"),
    failedLoginDelayMs: positive("failed-login-delay"),
    maxFailedLogins: positive("max-failed-logins"),
  };
}
