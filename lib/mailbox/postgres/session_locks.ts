/**
 * POP3 session locks shared by every front-end on one database: a
 * session-level advisory lock per mailbox, all of one process's held on
 * one connection of their own. A lock dies with that connection: when the
 * process is killed, at once; when its network is lost, once the server's
 * keepalives give up on it (about 25 s, see `database.ts`). When this
 * process loses the connection, every lock it held is lost with it, and
 * the sessions that held them can no longer commit deletions.
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";
import type { SessionLock } from "../store.ts";
import type { Database } from "./database.ts";

/** Advisory lock class of the POP3 session locks; the object is the mailbox name's hash. */
const SESSION_LOCK_CLASS = 0x6d61696c + 3;

/** The session locks this process holds, on their own connection. */
export class SessionLocks {
  readonly #db: Database;
  /** The connection holding the locks, once made; replaced after it fails. */
  #client: Promise<pg.Client> | undefined;
  /** Bumped each time the connection is lost: a lock taken in an earlier generation is gone. */
  #generation = 0;
  /** Each mailbox whose lock is held here, and the generation it was taken in. */
  readonly #held = new Map<string, number>();

  /** @param db where to make the connection */
  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Takes the user's lock without waiting.
   *
   * @returns the lock, or null when a session here or on another front-end holds it
   */
  async take(user: string): Promise<SessionLock | null> {
    // Advisory locks are re-entrant on one connection: a second session of this process is refused here.
    if (this.#held.has(user)) return null;
    this.#held.set(user, -1);
    let locked: boolean;
    let generation: number;
    try {
      const client = await this.#connection();
      generation = this.#generation;
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked",
        [SESSION_LOCK_CLASS, user],
      );
      locked = rows[0].locked;
    } catch (error) {
      this.#held.delete(user);
      throw error;
    }
    if (!locked) {
      this.#held.delete(user);
      return null;
    }
    this.#held.set(user, generation);
    let held = true;
    return {
      release: async () => {
        if (!held) return;
        held = false;
        this.#held.delete(user);
        if (generation !== this.#generation) return;
        const client = await this.#client?.catch(() => undefined);
        await client?.query("SELECT pg_advisory_unlock($1, hashtext($2))", [SESSION_LOCK_CLASS, user]).catch(() => {});
      },
    };
  }

  /** True unless this process took the user's lock and has lost it with its connection since. */
  stillHeld(user: string): boolean {
    const generation = this.#held.get(user);
    return generation === undefined || generation === this.#generation;
  }

  /** Makes the locks' connection now, rather than at the first `take`. */
  async connect(): Promise<void> {
    await this.#connection();
  }

  /** Closes the connection, which frees every lock still held. */
  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    await client?.end().catch(() => {});
  }

  /** The locks' connection, made anew after the last one failed. */
  #connection(): Promise<pg.Client> {
    if (this.#client === undefined) {
      const made = this.#db.dedicated();
      this.#client = made;
      made.then((client) => {
        const lost = () => {
          if (this.#client !== made) return;
          this.#client = undefined;
          this.#generation++;
        };
        client.on("error", lost);
        client.on("end", lost);
      }, () => {
        if (this.#client === made) this.#client = undefined;
      });
    }
    return this.#client;
  }
}
