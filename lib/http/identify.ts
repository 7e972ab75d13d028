/**
 * Who sends an HTTP request: HTTP Basic with the users of
 * `userlogincred.txt`, checked by the servers' one `Authenticator` (so the
 * same pacing and blocks as POP3), a Bearer token made at login, or the web
 * inbox's session cookie.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Authenticator } from "../auth/authenticator.ts";
import { cookieValue, parseBasic, parseBearer } from "./credentials.ts";
import type { SessionTable } from "./sessions.ts";

/** The name of the web inbox's session cookie. */
export const SESSION_COOKIE = "mail_session";

/** How a request was authenticated; a cookie's session token comes along for the CSRF check. */
export type Identity =
  | { user: string; via: "basic" | "bearer" }
  | { user: string; via: "cookie"; token: string };

/** Why a request is not authenticated. */
export type IdentityFailure = "missing" | "invalid" | "locked";

/** How long a Basic credential that passed is taken without a new check, in milliseconds. */
const BASIC_CACHE_MS = 60_000;
/** Most Basic credentials remembered at once. */
const BASIC_CACHE_SIZE = 1000;

/** Finds the user of each request. */
export class RequestIdentifier {
  #auth: Authenticator;
  #sessions: SessionTable;
  /** Digest of a Basic header that passed → its user and until when it is taken unchecked. */
  #passed = new Map<string, { user: string; until: number }>();

  /** @param options the servers' authenticator and the login tokens */
  constructor(options: { auth: Authenticator; sessions: SessionTable }) {
    this.#auth = options.auth;
    this.#sessions = options.sessions;
  }

  /**
   * Identifies a request by its `Authorization` header (Basic or Bearer),
   * else by its session cookie. A Basic password is checked at most once a
   * minute per credential: a hashed password costs scrypt's time, and a
   * test script sends many requests.
   */
  async identify(request: Request, clientAddress: string): Promise<Identity | IdentityFailure> {
    const header = request.headers.get("authorization");
    if (header !== null) {
      const bearer = parseBearer(header);
      if (bearer !== undefined) {
        const user = this.#sessions.user(bearer);
        return user === undefined ? "invalid" : { user, via: "bearer" };
      }
      const basic = parseBasic(header);
      if (basic === undefined) return "invalid";
      const user = await this.login(basic.name, basic.password, clientAddress, header);
      return typeof user === "string" ? { user, via: "basic" } : user.failure;
    }
    const token = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
    if (token === undefined) return "missing";
    const user = this.#sessions.user(token);
    return user === undefined ? "missing" : { user, via: "cookie", token };
  }

  /**
   * Checks a user name and password through the authenticator (service
   * "http"), answering from the cache of recent successes when `cacheKey`
   * is given.
   *
   * @returns the canonical user name, or why not
   */
  async login(
    name: string,
    password: string,
    clientAddress: string,
    cacheKey?: string,
  ): Promise<string | { failure: "invalid" | "locked" }> {
    const key = cacheKey === undefined ? undefined : createHash("sha256").update(cacheKey).digest("base64");
    const now = Date.now();
    const cached = key === undefined ? undefined : this.#passed.get(key);
    if (cached !== undefined && cached.until > now) return cached.user;
    const outcome = await this.#auth.authenticate({
      name,
      password,
      clientAddress,
      service: "http",
      sessionFailures: 0,
    });
    if (!outcome.ok) return { failure: outcome.reason };
    if (key !== undefined) {
      this.#passed.delete(key);
      if (this.#passed.size >= BASIC_CACHE_SIZE) this.#passed.delete(this.#passed.keys().next().value!);
      this.#passed.set(key, { user: outcome.user, until: now + BASIC_CACHE_MS });
    }
    return outcome.user;
  }
}
