/**
 * The failed-login flags both servers take, with their defaults.
 *
 * @module
 */

import { positiveFlag } from "../cli.ts";

/** Usage text of the failed-login flags. */
export const LOGIN_FLAGS_USAGE =
  "[--failed-login-delay MS] [--max-failed-logins N] [--lockout-after N] [--lockout SECONDS]";

/** The failed-login flags as `parseFlags` options. */
export const LOGIN_FLAGS = {
  "failed-login-delay": { type: "string", default: "1000" },
  "max-failed-logins": { type: "string", default: "3" },
  "lockout-after": { type: "string", default: "10" },
  lockout: { type: "string", default: "300" },
} as const;

/** What the failed-login flags say. */
export interface LoginLimits {
  /**
   * Delay before answering a first failed login, doubled for each further
   * one of the session (at most 8 s); also the least time between checks of
   * an address that has failed 3 times (doubling likewise), and of a user
   * name that has failed `lockoutAfter` times.
   */
  failedLoginDelayMs: number;
  /** Failed logins after which a session is closed. */
  maxFailedLogins: number;
  /** Failures within 15 minutes from one client address for one user name that block that address for that name. */
  lockoutAfter: number;
  /** How long such a block lasts, in milliseconds. */
  lockoutMs: number;
}

/**
 * Reads the failed-login flags from parsed flag values.
 *
 * @throws {UsageError} when one is not a positive integer
 */
export function parseLoginLimits(values: Record<string, unknown>): LoginLimits {
  return {
    failedLoginDelayMs: positiveFlag(values, "failed-login-delay"),
    maxFailedLogins: positiveFlag(values, "max-failed-logins"),
    lockoutAfter: positiveFlag(values, "lockout-after"),
    lockoutMs: positiveFlag(values, "lockout") * 1000,
  };
}
