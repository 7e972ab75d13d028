/**
 * The one place where both servers check a login: password verification,
 * the pace of checks per client address and per user name, the block of an
 * address for a user after many failures, the delay before a failure is
 * answered, and the log lines.
 *
 * @module
 */

import { clientKey } from "../net/client_key.ts";
import type { UserDb } from "./users.ts";
import { FailureTable } from "./failure_table.ts";
import { Turnstile, TURNSTILE_FULL, TURNSTILE_SKIPPED } from "./turnstile.ts";
import { type Clock, systemClock } from "./clock.ts";

/** One login attempt. */
export interface LoginAttempt {
  /** The user name as the client typed it. */
  name: string;
  /** The password as the client sent it. */
  password: string;
  /** The client's IP address. */
  clientAddress: string;
  /** Which server asks, for the log. */
  service: "smtp" | "pop3" | "http";
  /** Failed logins earlier in the same session. */
  sessionFailures: number;
  /** True once the client is gone: an attempt that had to wait for its turn is then dropped unchecked ("locked"). */
  gone?(): boolean;
}

/** How a login attempt ended. */
export type LoginOutcome =
  | { ok: true; user: string }
  /** Wrong name or password. */
  | { ok: false; reason: "invalid" }
  /** Refused without checking: this address is blocked for this user, or too many of its attempts wait. */
  | { ok: false; reason: "locked" };

/** Options for an `Authenticator`. */
export interface AuthenticatorOptions {
  /** Who may log in. */
  users: UserDb;
  /**
   * The unit of every delay: a failure is answered this late, doubling with
   * the session's failures; an address that failed `FREE_FAILURES` times
   * has its checks spaced by this, doubling with its further failures; a
   * user name that failed `lockoutAfter` times, from anywhere, by this.
   */
  failedLoginDelayMs: number;
  /** Failures from one address for one user name after which that address is blocked for that name (default 10). */
  lockoutAfter?: number;
  /** How long such a block lasts, in milliseconds (default 5 minutes). */
  lockoutMs?: number;
  /** How long a failure is remembered after the last one, in milliseconds (default 15 minutes). */
  failureWindowMs?: number;
  /** Most keys of each kind (address, user name, both) tracked at once (default 10,000). */
  maxTracked?: number;
  /** The clock (default the real one). */
  clock?: Clock;
  /** Receives one line per failed or refused login. */
  log(line: string): void;
}

/** The longest delay or gap. */
const MAX_DELAY_MS = 8000;
/** Failures of an address within the window before its checks are paced. */
export const FREE_FAILURES = 3;
/** Checks of one address, or of one user name, that may wait their turn; more are refused at once. */
const MAX_WAITING = 8;

const LOCKED: LoginOutcome = { ok: false, reason: "locked" };
const INVALID: LoginOutcome = { ok: false, reason: "invalid" };

/**
 * Checks logins for both servers. An address's checks are let through one
 * at a time, and once it has failed `FREE_FAILURES` times within the window,
 * each a gap after the one before, however many sessions it runs in
 * parallel: at most one try per `failedLoginDelayMs`, then fewer. A user
 * name that failed `lockoutAfter` times from anywhere has its checks spaced
 * too, which delays everyone a little and locks nobody out. An address
 * that failed `lockoutAfter` times for one user name is blocked for that
 * name for `lockoutMs`: refused at once, without a check, while other
 * addresses log in as that user and that address as others. A failure is
 * answered late, the delay doubling with the session's failures. A success
 * clears only its address's failures for that name: an account of one's
 * own must not buy more guesses at others.
 */
export class Authenticator {
  #options: AuthenticatorOptions;
  #clock: Clock;
  #lockoutAfter: number;
  #byAddress: FailureTable;
  #byUser: FailureTable;
  #byPair: FailureTable;
  #addressTurns: Turnstile;
  #userTurns: Turnstile;

  /** @param options the users, the delay, the block settings and the log */
  constructor(options: AuthenticatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#lockoutAfter = options.lockoutAfter ?? 10;
    const table = {
      lockoutAfter: Infinity,
      lockoutMs: 0,
      windowMs: options.failureWindowMs ?? 15 * 60_000,
      maxEntries: options.maxTracked ?? 10_000,
    };
    this.#byAddress = new FailureTable(table);
    this.#byUser = new FailureTable(table);
    this.#byPair = new FailureTable({
      ...table,
      lockoutAfter: this.#lockoutAfter,
      lockoutMs: options.lockoutMs ?? 5 * 60_000,
    });
    const lanes = { maxWaiting: MAX_WAITING, maxGapMs: MAX_DELAY_MS, clock: this.#clock };
    this.#addressTurns = new Turnstile(lanes);
    this.#userTurns = new Turnstile(lanes);
  }

  /** Addresses, user names and address-name pairs with failures remembered, for tests and monitoring. */
  get tracked(): { addresses: number; users: number; pairs: number } {
    return { addresses: this.#byAddress.size, users: this.#byUser.size, pairs: this.#byPair.size };
  }

  /**
   * Checks one attempt: waits for its address's and its user name's turn,
   * then verifies the password. A failure resolves only after the session's
   * delay; a blocked address, or one with too many attempts waiting,
   * resolves "locked" without a check.
   */
  async authenticate(attempt: LoginAttempt): Promise<LoginOutcome> {
    const address = clientKey(attempt.clientAddress);
    const name = attempt.name.toLowerCase();
    const pair = `${address} ${name}`;
    if (this.#blocked(attempt, pair)) return LOCKED;
    const skip = () => attempt.gone?.() ?? false;
    const outcome = await this.#addressTurns.run(address, {
      gapMs: () => this.#addressGap(address),
      skip,
      check: () =>
        this.#userTurns.run(name, {
          gapMs: () => this.#userGap(name),
          skip,
          check: () => this.#check(attempt, address, name, pair),
        }),
    });
    if (outcome === TURNSTILE_FULL) {
      this.#log(attempt, "refused", "reason=throttled");
      return LOCKED;
    }
    if (outcome === TURNSTILE_SKIPPED || outcome === "blocked") return LOCKED;
    if (outcome.ok) return outcome;
    const delay = this.#options.failedLoginDelayMs * 2 ** attempt.sessionFailures;
    await this.#clock.sleep(Math.min(delay, MAX_DELAY_MS));
    return INVALID;
  }

  /** Verifies the password once the attempt's turn has come, and counts a failure. */
  async #check(
    attempt: LoginAttempt,
    address: string,
    name: string,
    pair: string,
  ): Promise<LoginOutcome | "blocked"> {
    // A check of this address that waited before this one may have blocked it.
    if (this.#blocked(attempt, pair)) return "blocked";
    const user = await this.#options.users.verify(attempt.name, attempt.password);
    if (user !== undefined) {
      this.#byPair.clear(pair);
      return { ok: true, user };
    }
    const now = this.#clock.now();
    const byAddress = this.#byAddress.fail(address, now).failures;
    const byUser = this.#byUser.fail(name, now).failures;
    const byPair = this.#byPair.fail(pair, now);
    this.#log(
      attempt,
      "failed",
      `failures=${attempt.sessionFailures + 1} address_failures=${byAddress} user_failures=${byUser}` +
        (byPair.locked ? " blocked=address-for-user" : ""),
    );
    return INVALID;
  }

  /** The least time between two checks of `address`: none until it has failed `FREE_FAILURES` times. */
  #addressGap(address: string): number {
    const failures = this.#byAddress.count(address, this.#clock.now());
    if (failures < FREE_FAILURES) return 0;
    return Math.min(this.#options.failedLoginDelayMs * 2 ** (failures - FREE_FAILURES), MAX_DELAY_MS);
  }

  /** The least time between two checks of user `name`: none until it has failed `lockoutAfter` times. */
  #userGap(name: string): number {
    return this.#byUser.count(name, this.#clock.now()) < this.#lockoutAfter ? 0 : this.#options.failedLoginDelayMs;
  }

  /** True (and logged) when this address is blocked for this user name now. */
  #blocked(attempt: LoginAttempt, pair: string): boolean {
    const until = this.#byPair.lockedUntil(pair, this.#clock.now());
    if (until === undefined) return false;
    this.#log(attempt, "refused", `reason=blocked until=${new Date(until).toISOString()}`);
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
