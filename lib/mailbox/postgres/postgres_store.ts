/**
 * The mail store on PostgreSQL: several SMTP and POP3 front-ends, on one
 * machine or many, share the same mailboxes. PostgreSQL gives the
 * durability (a delivery's `250` waits for its commit), the all-or-nothing
 * transactions and the locks; its own replication and failover take it
 * past one database.
 *
 * @module
 */

// @ts-types="@types/pg"
import pg from "pg";
import { QuotaExceeded, StorageFull } from "../store.ts";
import type { Delivery, Maildrop, MailRecord, MailStore, SessionLock } from "../store.ts";
import { Database } from "./database.ts";
import { DeliveryBatches, insertMessages, type MessageRows } from "./delivery_batches.ts";
import { recordFacts } from "./record_facts.ts";
import { migrate } from "./schema.ts";
import { LISTING_LINE, MaildropListing, warmUpListingParsing } from "./maildrop_listing.ts";
import { readChunks, readSmall } from "./message_reads.ts";
import { PostgresMaildrop } from "./postgres_maildrop.ts";
import { SessionLocks } from "./session_locks.ts";
import { transaction } from "./transaction.ts";

/** Advisory lock class of a mailbox's quota check, taken by deliveries with a quota. */
const QUOTA_LOCK_CLASS = 0x6d61696c + 2;

/** Options for `PostgresMailStore.open`. */
export interface PostgresStoreOptions {
  /** A libpq URL: postgres://USER:PASSWORD@HOST:PORT/DB, several hosts and ?sslmode= included. */
  url: string;
  /** Names the connections in `pg_stat_activity`, e.g. "smtpmail". */
  application: string;
  /** Receives one line when the server runs with `synchronous_commit` off. */
  log(line: string): void;
  /**
   * The process serves POP3 sessions: the connection that holds their locks
   * is made at start, and the listing's parser compiled, so that the first
   * login waits for neither.
   */
  sessions?: boolean;
  /** Milliseconds after which an idle pooled connection beyond the first is closed (10 s when undefined; 0 keeps them all). */
  idleTimeoutMs?: number;
}

/** The store could not reach its database at start. */
export class StoreUnavailable extends Error {
  /** Read by `runMain`, which then exits with status 1. */
  readonly code = "ESTOREUNAVAILABLE";

  /** @param message one line naming the host */
  constructor(message: string) {
    super(message);
    this.name = "StoreUnavailable";
  }
}

/** Mailboxes in PostgreSQL tables (see `schema.ts`). */
export class PostgresMailStore implements MailStore {
  readonly #db: Database;
  readonly #locks: SessionLocks;
  readonly #batches: DeliveryBatches;

  private constructor(db: Database) {
    this.#db = db;
    this.#locks = new SessionLocks(db);
    this.#batches = new DeliveryBatches(db);
  }

  /**
   * Connects, creates or migrates the schema, and checks that commits are
   * synchronous (logging one line when the server says they are not).
   *
   * @throws {StoreUnavailable} when the database cannot be reached
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresMailStore> {
    const db = new Database({
      url: options.url,
      application: options.application,
      max: 10,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    try {
      await migrate(db);
      const [{ setting }] = await db.query<{ setting: string }>(
        "SELECT current_setting('synchronous_commit') AS setting",
      );
      if (setting === "off") {
        options.log(
          `${new Date().toISOString()} store: synchronous_commit is off on the database: ` +
            "a 250 may be sent for a message a database crash then loses",
        );
      }
    } catch (error) {
      await db.end().catch(() => {});
      throw new StoreUnavailable(`Cannot use the database at ${db.hosts}: ${(error as Error).message}`);
    }
    const store = new PostgresMailStore(db);
    if (options.sessions) {
      // Made again at a login should it fail now or later.
      await store.#locks.connect().catch(() => {});
      warmUpListingParsing();
    }
    return store;
  }

  /**
   * Stores the record for every user at once: all copies or none. Without a
   * quota it joins the deliveries waiting to be committed together
   * (`DeliveryBatches`). With a quota, each mailbox's total is checked
   * under a lock of its own in one transaction, so concurrent deliveries
   * fill it exactly.
   *
   * @throws {QuotaExceeded} (as a rejection) when a mailbox would go over the quota
   */
  async deliver(delivery: Delivery): Promise<void> {
    const users = [...new Set(delivery.users)].sort();
    if (users.length === 0) throw new TypeError("Cannot deliver: no users");
    const facts = recordFacts(delivery.record);
    const uid = facts.header.id ?? delivery.id;
    if (uid === undefined) {
      throw new TypeError("Cannot deliver: the record has no trace line with an id, and no id was given");
    }
    const { size, storedLength, header: { from, to, subject, received } } = facts;
    const message: MessageRows = {
      users,
      uid,
      size,
      storedLength,
      from,
      to,
      subject,
      received,
      record: delivery.record,
    };
    const { quota } = delivery;
    try {
      if (quota === undefined) return await this.#batches.deliver(message);
      await transaction(this.#db, async (client) => {
        for (const user of users) {
          await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [QUOTA_LOCK_CLASS, user]);
          const { rows } = await client.query<{ used: string }>(
            "SELECT coalesce(sum(stored_length), 0)::bigint AS used FROM mail_messages WHERE mailbox = $1",
            [user],
          );
          if (Number(rows[0].used) + storedLength > quota) throw new QuotaExceeded(user, quota);
        }
        await insertMessages(client, [message]);
      });
    } catch (error) {
      // SQLSTATE 53100, disk_full: the database could not write the message.
      if (error instanceof pg.DatabaseError && error.code === "53100") throw new StorageFull(error.message, error);
      throw error;
    }
  }

  /** Lists the user's messages in order of arrival; `offset` is where each would start in the file form. */
  async list(user: string): Promise<MailRecord[]> {
    const rows = await this.#db.query<ListedRow>(
      `SELECT uid, size, stored_length, from_field, to_field, subject, received
      FROM mail_messages WHERE mailbox = $1 ORDER BY id`,
      [user],
    );
    let offset = 0;
    return rows.map((row) => {
      const record: MailRecord = {
        offset,
        storedLength: Number(row.stored_length),
        size: Number(row.size),
        id: row.uid,
        from: row.from_field,
        to: row.to_field,
        subject: row.subject,
        received: row.received,
      };
      offset += record.storedLength;
      return record;
    });
  }

  /** Streams the stored bytes of the message with `record.id`, a chunk at a time. */
  read(user: string, record: MailRecord): ReadableStream<Uint8Array> {
    return ReadableStream.from(this.#chunks(user, record.id));
  }

  /** The message's pieces, each a copy of its own: a stream's reader may keep one while it asks for the next. */
  async *#chunks(user: string, uid: string): AsyncGenerator<Uint8Array> {
    const [row] = await this.#db.query<{ id: string; stored_length: string }>(
      "SELECT id, stored_length FROM mail_messages WHERE mailbox = $1 AND uid = $2",
      [user, uid],
    );
    if (row === undefined) throw new Error(`Cannot read message ${uid} of ${user}: it is gone`);
    for await (const piece of readChunks(this.#db, Number(row.id), Number(row.stored_length))) yield piece.slice();
  }

  /**
   * Deletes the user's messages whose ids are in `remove`, in one
   * transaction; refused when this process took the user's session lock
   * and lost it with its connection meanwhile.
   */
  async remove(user: string, remove: ReadonlySet<string>): Promise<void> {
    if (remove.size === 0) return;
    if (!this.#locks.stillHeld(user)) {
      throw new Error(`Cannot delete from the mailbox of ${user}: its session lock was lost with its connection`);
    }
    await this.#db.query("DELETE FROM mail_messages WHERE mailbox = $1 AND uid = ANY($2)", [user, [...remove]]);
  }

  /** Takes the user's POP3 session lock, shared by every front-end on the database (`SessionLocks`). */
  lockSession(user: string): Promise<SessionLock | null> {
    return this.#locks.take(user);
  }

  /**
   * Opens the user's messages present now, for a POP3 session. They come as
   * one text value, a line per message, rather than as a row each: for a
   * large mailbox node-postgres would build an object per row, and that is
   * most of a login's time. The value comes by binary COPY, as bytes the
   * maildrop frees when it closes: as a string it would be a large object
   * that only a full garbage collection frees, one per login. The lines
   * come in the order the database finds them, and the listing puts them
   * in order: an ORDER BY would sort them on the server, which took longer.
   */
  async openMaildrop(user: string): Promise<Maildrop> {
    let listing: Uint8Array | null = null;
    await this.#db.copyOut(
      `SELECT string_agg(${LISTING_LINE}, E'\n') FROM mail_messages WHERE mailbox = ${pg.escapeLiteral(user)}`,
      (row) => listing = row.bytes(0)?.slice() ?? null,
    );
    return new PostgresMaildrop(MaildropListing.parse(listing), {
      read: (key, storedLength) => readChunks(this.#db, key, storedLength),
      readSmall: (keys, into) => readSmall(this.#db, keys, into),
    });
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.#locks.close();
    await this.#db.end();
  }
}

/** A row of `list`, as node-postgres gives it (bigint columns as strings). */
interface ListedRow {
  uid: string;
  size: string;
  stored_length: string;
  from_field: string;
  to_field: string;
  subject: string;
  received: Date;
}
