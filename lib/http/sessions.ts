/**
 * The tokens made at login (web sessions and API tokens) and the CSRF token
 * that goes with each. Bounded: the oldest tokens go first when it is full,
 * and a token expires a fixed time after it was made.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Options for a `SessionTable`. */
export interface SessionTableOptions {
  /** How long a token is valid, in milliseconds. */
  lifetimeMs: number;
  /** Most tokens held at once; making one more forgets the oldest. */
  maxSessions: number;
  /** The clock, in milliseconds (default `Date.now`). */
  now?: () => number;
}

interface Session {
  user: string;
  expires: number;
}

/** Tokens made at login, each naming its user until it expires or is ended. */
export class SessionTable {
  #sessions = new Map<string, Session>();
  #options: SessionTableOptions;
  #now: () => number;
  /** The key of the CSRF tokens: made at start, so a restart ends every web session's forms too. */
  #secret = randomBytes(32);

  /** @param options lifetime, bound and clock */
  constructor(options: SessionTableOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Tokens held, for tests and monitoring. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Makes a new token for `user`: 32 random octets, base64url. */
  create(user: string): { token: string; expires: Date } {
    this.#prune();
    while (this.#sessions.size >= this.#options.maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const token = randomBytes(32).toString("base64url");
    const expires = this.#now() + this.#options.lifetimeMs;
    this.#sessions.set(token, { user, expires });
    return { token, expires: new Date(expires) };
  }

  /** The user of a valid token, or undefined for an unknown or expired one. */
  user(token: string): string | undefined {
    const session = this.#sessions.get(token);
    if (session === undefined) return undefined;
    if (session.expires > this.#now()) return session.user;
    this.#sessions.delete(token);
    return undefined;
  }

  /** Ends a token; an unknown one is ignored. */
  end(token: string): void {
    this.#sessions.delete(token);
  }

  /** The CSRF token of a session token: an HMAC of it, so nothing more is stored. */
  csrf(token: string): string {
    return createHmac("sha256", this.#secret).update(token).digest("base64url");
  }

  /** Whether `csrf` is the CSRF token of `token`, compared in constant time. */
  checkCsrf(token: string, csrf: string | null | undefined): boolean {
    if (typeof csrf !== "string") return false;
    const expected = Buffer.from(this.csrf(token));
    const given = Buffer.from(csrf);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** Forgets expired tokens, oldest first (they were made in order, with one lifetime). */
  #prune(): void {
    const now = this.#now();
    for (const [token, session] of this.#sessions) {
      if (session.expires > now) break;
      this.#sessions.delete(token);
    }
  }
}
