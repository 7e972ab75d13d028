/**
 * Time as the login checks see it: the authenticator's delays and the
 * turnstile's gaps. Tests pass a fake one.
 *
 * @module
 */

/** A clock: what time it is, and waiting. */
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
