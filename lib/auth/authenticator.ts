/**
 * The one place where both servers check a login: password verification,
 * the delay after a failure, the lockout after many failures from one
 * client address or for one user, and the log lines.
 *
 * @module
 */

import { clientKey } from "../net/client_key.ts";
import type { UserDb } from "../users.ts";
import { FailureTable } from "./failure_table.ts";

/** One login attempt. */
export interface LoginAttempt {
  /** The user name as the client typed it. */
  name: string;
  /** The password as the client sent it. */
  password: string;
  /** The client's IP address. */
  clientAddress: string;
  /** Which server asks, for the log. */
  service: "smtp" | "pop3";
  /** Failed logins earlier in the same session. */
  sessionFailures: number;
}

/** How a login attempt ended. */
export type LoginOutcome =
  | { ok: true; user: string }
  /** Wrong name or password. */
  | { ok: false; reason: "invalid" }
  /** Too many recent failures for this address or user: refused without checking. */
  | { ok: false; reason: "locked" };

/** Time as the authenticator sees it; tests pass a fake one. */
export interface Clock {
  /** Milliseconds since some fixed moment. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Options for an `Authenticator`. */
export interface AuthenticatorOptions {
  /** Who may log in. */
  users: UserDb;
  /** Delay before answering a first failed login; it doubles with each further one. */
  failedLoginDelayMs: number;
  /** Failures from one client address, or for one user name, after which it is locked out (default 10). */
  lockoutAfter?: number;
  /** How long a lockout lasts, in milliseconds (default 5 minutes). */
  lockoutMs?: number;
  /** How long a failure is remembered after the last one, in milliseconds (default 15 minutes). */
  failureWindowMs?: number;
  /** Most addresses, and most user names, tracked at once (default 10,000). */
  maxTracked?: number;
  /** The clock (default the real one). */
  clock?: Clock;
  /** Receives one line per failed or refused login. */
  log(line: string): void;
}

/** The longest wait before answering a failed login. */
const MAX_DELAY_MS = 8000;

const LOCKED: LoginOutcome = { ok: false, reason: "locked" };
const INVALID: LoginOutcome = { ok: false, reason: "invalid" };

/**
 * Checks logins for both servers. A failed attempt is answered only after a
 * delay that doubles with the failures of the session, the client address or
 * the user name, whichever has most. After `lockoutAfter` failures within
 * the window, the address or user name is locked out: its attempts are
 * refused at once, without checking the password, until the lock expires. A
 * successful login clears its address's and user name's counts.
 */
export class Authenticator {
  #options: AuthenticatorOptions;
  #clock: Clock;
  #byAddress: FailureTable;
  #byUser: FailureTable;

  /** @param options the users, the delay, the lockout settings and the log */
  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const table = {
      lockoutAfter: options.lockoutAfter ?? 10,
      lockoutMs: options.lockoutMs ?? 5 * 60_000,
      windowMs: options.failureWindowMs ?? 15 * 60_000,
      maxEntries: options.maxTracked ?? 10_000,
    };
    this.#byAddress = new FailureTable(table);
    this.#byUser = new FailureTable(table);
  }

  /** Addresses and user names currently tracked, for tests and monitoring. */
  get tracked(): { addresses: number; users: number } {
    return { addresses: this.#byAddress.size, users: this.#byUser.size };
  }

  /**
   * Checks one attempt. A failure resolves only after the throttling delay;
   * a locked address or user name resolves "locked" at once.
   */
  async authenticate(attempt: LoginAttempt): Promise<LoginOutcome> {
    const address = clientKey(attempt.clientAddress);
    const name = attempt.name.toLowerCase();
    if (this.#refused(attempt, address, name)) return LOCKED;
    const user = await this.#options.users.verify(attempt.name, attempt.password);
    // A parallel attempt may have locked the address meanwhile: this one's result is then not revealed.
    if (this.#refused(attempt, address, name)) return LOCKED;
    if (user !== undefined) {
      this.#byAddress.clear(address);
      this.#byUser.clear(name);
      return { ok: true, user };
    }
    const now = this.#clock.now();
    const byAddress = this.#byAddress.fail(address, now);
    const byUser = this.#byUser.fail(name, now);
    const failures = Math.max(attempt.sessionFailures + 1, byAddress.failures, byUser.failures);
    const locks = [byAddress.locked && "address", byUser.locked && "user"].filter(Boolean).join(",");
    this.#log(
      attempt,
      "failed",
      `failures=${attempt.sessionFailures + 1} address_failures=${byAddress.failures} ` +
        `user_failures=${byUser.failures}${locks ? ` locked=${locks}` : ""}`,
    );
    await this.#clock.sleep(Math.min(this.#options.failedLoginDelayMs * 2 ** (failures - 1), MAX_DELAY_MS));
    return INVALID;
  }

  /** True (and logged) when the address or the user name is locked now. */
  #refused(attempt: LoginAttempt, address: string, name: string): boolean {
    const now = this.#clock.now();
    const until = this.#byAddress.lockedUntil(address, now) ?? this.#byUser.lockedUntil(name, now);
    if (until === undefined) return false;
    this.#log(attempt, "refused", `locked_until=${new Date(until).toISOString()}`);
    return true;
  }

  /** One log line; the user name is quoted as JSON, so no client input can pass for another field. */
  #log(attempt: LoginAttempt, event: "failed" | "refused", detail: string): void {
    this.#options.log(
      `${new Date().toISOString()} ${attempt.service} login ${event} client=${attempt.clientAddress} ` +
        `user=${JSON.stringify(attempt.name)} ${detail}`,
    );
  }
}
