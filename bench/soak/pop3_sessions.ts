/**
 * The POP3 sessions of the soak: each kind is one connection played to its
 * end, from RETR and DELE of a message to a close while holding the
 * maildrop. A committed DELE is made good by one delivery over SMTP, so
 * every maildrop keeps about the size it was filled to.
 *
 * @module
 */

import { DONE, plainCredentials, THROTTLED, type User } from "./smtp_sessions.ts";
import { sourceAddress } from "./source_conn.ts";
import { SoakError, Wire } from "./wire.ts";

/** What every POP3 session needs. */
export interface Pop3Target {
  /** POP3 server port on 127.0.0.1. */
  port: number;
  /** The users who log in. */
  users: readonly User[];
  /** The certificate to trust after STLS. */
  caCerts: string[];
  /** A session still open after this long is closed and counted as an error. */
  deadlineMs: number;
  /** Delivers one message to `user` (over SMTP), replacing one that was deleted. */
  refill(n: number, user: string): Promise<void>;
  /** Whose turn it is to log in as each user. */
  turns: UserTurns;
}

/**
 * One login at a time per user on the client side, as one user's mail
 * client does not race itself: a session connects, reads the greeting and
 * then waits, its connection open, for the user's previous session to end.
 * Without it 100 clients fight over 3 maildrops and nearly every login
 * meets -ERR [IN-USE].
 */
export class UserTurns {
  #tails = new Map<string, Promise<void>>();

  /** Resolves when it is `user`'s turn, to the function that ends it. */
  async take(user: string): Promise<() => void> {
    const before = this.#tails.get(user) ?? Promise.resolve();
    const mine = Promise.withResolvers<void>();
    const tail = before.then(() => mine.promise);
    this.#tails.set(user, tail);
    await before;
    return () => {
      mine.resolve();
      if (this.#tails.get(user) === tail) this.#tails.delete(user);
    };
  }
}

/** The POP3 session kinds and their weights (percent of all sessions). */
export const POP3_MIX = {
  /** Connect, read the greeting, close. */
  "greet-close": 20,
  /** CAPA, QUIT. */
  "capa-quit": 12,
  /** USER, PASS, STAT, RETR, DELE, QUIT; then one delivery over SMTP to make it good. */
  "retr-dele": 12,
  /** AUTH PLAIN, STAT, LIST, UIDL, QUIT (nothing deleted). */
  "login-list": 6,
  /** From 127.1.x.y: USER, PASS with a wrong password (-ERR [AUTH], or [SYS/TEMP] when throttled), QUIT. */
  "login-fail": 8,
  /** USER, PASS, STAT, then close without QUIT while holding the maildrop. */
  "login-close": 6,
  /** STLS, handshake, CAPA, QUIT. */
  stls: 14,
  /** STLS, then garbage instead of a TLS handshake, close. */
  "stls-garbage": 3,
  /** An unknown command, STAT before login, PASS before USER, QUIT. */
  "bad-commands": 8,
  /** USER, QUIT. */
  "user-quit": 11,
} as const;

/** A POP3 session kind. */
export type Pop3Kind = keyof typeof POP3_MIX;

/** Outcome label of a login that met another session's lock: expected with 3 maildrops and 100 clients. */
export const IN_USE = "in-use";

/** The message count from a STAT reply ("+OK count octets"). */
function statCount(line: string): number {
  const m = /^\+OK (\d+) \d+/.exec(line);
  if (!m) throw new SoakError(`STAT: cannot read ${line.slice(0, 80)}`);
  return Number(m[1]);
}

/**
 * Logs in as `user` with USER/PASS or AUTH PLAIN (RFC 5034); `IN_USE` when
 * another session holds the maildrop (RFC 2449 §8.1.1), `THROTTLED` when
 * the login is refused for now.
 */
async function logIn(wire: Wire, user: User, how: "USER" | "AUTH"): Promise<"ok" | typeof IN_USE | typeof THROTTLED> {
  if (how === "USER") {
    await wire.ok(`USER ${user.name}`);
    await wire.send(`PASS ${user.password}\r\n`);
  } else {
    await wire.send(`AUTH PLAIN ${plainCredentials(user.name, user.password)}\r\n`);
  }
  return loginReply(await wire.pop3(how), "+OK");
}

/**
 * Reads the answer to a login: `expected` ("+OK", or "-ERR [AUTH]" for a
 * wrong password), -ERR [IN-USE], or -ERR [SYS/TEMP] (refused for now).
 */
function loginReply(line: string, expected: string): "ok" | typeof IN_USE | typeof THROTTLED {
  if (line.startsWith(expected)) return "ok";
  if (line.startsWith("-ERR [IN-USE]")) return IN_USE;
  if (line.startsWith("-ERR [SYS/TEMP]")) return THROTTLED;
  throw new SoakError(`login: expected ${expected}, got ${line.slice(0, 80)}`);
}

/**
 * Plays session `n` of `kind` against the server.
 *
 * @returns the outcome label: `DONE`; `IN_USE` when a login found the
 *   maildrop locked; `THROTTLED` when a login was refused for now
 * @throws {SoakError} on an unexpected reply, a failed connection or the deadline
 */
export async function pop3Session(kind: Pop3Kind, n: number, target: Pop3Target): Promise<string> {
  const user = target.users[n % target.users.length];
  // Failed logins come from many addresses: the server paces failures per address.
  const wire = await Wire.open(target.port, target.deadlineMs, kind === "login-fail" ? sourceAddress(n) : undefined);
  let refill = false;
  try {
    const greeting = await wire.pop3("greeting");
    if (!greeting.startsWith("+OK")) throw new SoakError(`greeting: ${greeting.slice(0, 80)}`);
    if (kind === "greet-close") return DONE;
    if (kind === "retr-dele" || kind === "login-close" || kind === "login-list") {
      const endTurn = await target.turns.take(user.name);
      try {
        const outcome = await maildropSession(wire, kind, n, user);
        refill = outcome === "refill";
        return outcome === "refill" || outcome === "kept" ? DONE : outcome;
      } finally {
        endTurn();
      }
    }
    const outcome = await middle(wire, kind, user, target);
    if (outcome === "closed") return DONE;
    await wire.ok("QUIT");
    return outcome ?? DONE;
  } finally {
    wire.close();
    if (refill) await target.refill(n, user.name);
  }
}

/**
 * The kinds that log in and hold the maildrop, after the greeting.
 *
 * @returns "refill" when a DELE was committed (or the maildrop was empty),
 *   "kept" when nothing was deleted, or why the login was refused
 */
async function maildropSession(
  wire: Wire,
  kind: Pop3Kind,
  n: number,
  user: User,
): Promise<"refill" | "kept" | typeof IN_USE | typeof THROTTLED> {
  const login = await logIn(wire, user, kind === "login-list" ? "AUTH" : "USER");
  if (login !== "ok") {
    await wire.ok("QUIT");
    return login;
  }
  const count = statCount(await wire.ok("STAT"));
  if (kind === "login-list") {
    await wire.ok("LIST");
    await wire.multiline("LIST");
    await wire.ok("UIDL");
    await wire.multiline("UIDL");
    await wire.ok("QUIT");
    return "kept";
  }
  if (kind === "login-close") {
    // Dropped while holding the maildrop; closed before the turn ends, so the next login finds it released or not.
    wire.close();
    return "kept";
  }
  if (count > 0) {
    const msg = 1 + (n % count);
    await wire.ok(`RETR ${msg}`);
    await wire.multiline("RETR");
    await wire.ok(`DELE ${msg}`);
  }
  // A QUIT that cannot commit the DELE answers -ERR: an error, and nothing to refill.
  await wire.ok("QUIT");
  // An empty maildrop (never expected) gets a message too, to be read next time.
  return "refill";
}

/**
 * The rest of the other kinds, before QUIT: "closed" when the session ends
 * without QUIT, `THROTTLED` when a failed login was refused for now.
 */
async function middle(
  wire: Wire,
  kind: Pop3Kind,
  user: User,
  target: Pop3Target,
): Promise<"closed" | typeof THROTTLED | void> {
  switch (kind) {
    case "capa-quit":
      await wire.ok("CAPA");
      await wire.multiline("CAPA");
      return;
    case "login-fail":
      await wire.ok(`USER ${user.name}`);
      await wire.send(`PASS ${user.password}-wrong\r\n`);
      return loginReply(await wire.pop3("PASS"), "-ERR [AUTH]") === THROTTLED ? THROTTLED : undefined;
    case "stls":
      await wire.ok("STLS");
      await wire.startTls(target.caCerts);
      await wire.ok("CAPA");
      await wire.multiline("CAPA");
      return;
    case "stls-garbage":
      await wire.ok("STLS");
      await wire.send("USER this is no TLS handshake\r\n");
      return "closed";
    case "bad-commands":
      for (const command of ["FROBNICATE", "STAT", "PASS secret"]) {
        await wire.send(`${command}\r\n`);
        const line = await wire.pop3(command);
        if (!line.startsWith("-ERR")) throw new SoakError(`${command}: expected -ERR, got ${line.slice(0, 80)}`);
      }
      return;
    case "user-quit":
      await wire.ok(`USER ${user.name}`);
      return;
    default:
      throw new SoakError(`no POP3 session of kind ${kind}`);
  }
}
