/**
 * The flags both servers take against connection floods and slow clients,
 * with their defaults.
 *
 * @module
 */

import { positiveFlag } from "../cli.ts";

/** Usage text of the connection flags. */
export const CONNECTION_FLAGS_USAGE =
  "[--max-connections-per-address N] [--line-timeout SECONDS] [--no-progress-timeout SECONDS]";

/** The connection flags as `parseFlags` options. */
export const CONNECTION_FLAGS = {
  "max-connections-per-address": { type: "string", default: "20" },
  "line-timeout": { type: "string", default: "60" },
  "no-progress-timeout": { type: "string", default: "300" },
} as const;

/** What the connection flags say. */
export interface ConnectionLimits {
  /** Sessions at once from one client address (IPv6: one /64). */
  maxConnectionsPerAddress: number;
  /** Milliseconds within which a line must be complete once its first byte arrived. */
  lineTimeoutMs: number;
  /**
   * Milliseconds a session may go without progress, however busy its client
   * keeps it: SMTP, from the connection or the last message or login; POP3,
   * from the connection to the login.
   */
  noProgressMs: number;
}

/**
 * Reads the connection flags from parsed flag values.
 *
 * @throws {UsageError} when one is not a positive integer
 */
export function parseConnectionLimits(values: Record<string, unknown>): ConnectionLimits {
  return {
    maxConnectionsPerAddress: positiveFlag(values, "max-connections-per-address"),
    lineTimeoutMs: positiveFlag(values, "line-timeout") * 1000,
    noProgressMs: positiveFlag(values, "no-progress-timeout") * 1000,
  };
}
