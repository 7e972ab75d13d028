/**
 * The PostgreSQL store's tables, created and later migrated by numbered
 * steps when a front-end starts. Each step runs once, in the transaction
 * that records it; a transaction-level advisory lock makes front-ends that
 * start at once against an empty database take turns, so both come up.
 *
 * @module
 */

import type { Database } from "./database.ts";
import { transaction } from "./transaction.ts";

/** One numbered schema step: its statements run in order, once. */
interface Migration {
  version: number;
  statements: string[];
}

/** Advisory lock key (class, object) held while migrating. */
const MIGRATION_LOCK = [0x6d61696c, 1] as const;

/**
 * The schema, step by step. Messages are stored as their mailbox records
 * (stored form: CRLF lines, dot-stuffed, ending with ".\r\n"), cut into
 * chunks so that a large message is written and read a piece at a time.
 */
const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE mail_messages (
        id bigserial PRIMARY KEY,
        mailbox text NOT NULL,
        uid text NOT NULL,
        size bigint NOT NULL,
        stored_length bigint NOT NULL,
        from_field text NOT NULL,
        to_field text NOT NULL,
        subject text NOT NULL,
        received timestamptz NOT NULL,
        UNIQUE (mailbox, uid)
      )`,
      `CREATE INDEX mail_messages_mailbox ON mail_messages (mailbox, id)`,
      `CREATE TABLE mail_chunks (
        message_id bigint NOT NULL REFERENCES mail_messages (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (message_id, seq)
      )`,
    ],
  },
];

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/**
 * Brings the database's schema up to `SCHEMA_VERSION`, running the steps
 * it has not had yet.
 *
 * @throws {Error} when the database has a newer schema than this code knows
 */
export async function migrate(db: Database): Promise<void> {
  await transaction(db, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...MIGRATION_LOCK]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS mail_schema (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ current: number }>(
      "SELECT coalesce(max(version), 0)::int AS current FROM mail_schema",
    );
    const current = rows[0].current;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the database has schema version ${current}; this program knows up to ${SCHEMA_VERSION}`);
    }
    for (const step of MIGRATIONS.filter((m) => m.version > current)) {
      for (const statement of step.statements) await client.query(statement);
      await client.query("INSERT INTO mail_schema (version) VALUES ($1)", [step.version]);
    }
  });
}
