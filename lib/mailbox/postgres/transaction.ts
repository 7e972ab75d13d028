/**
 * One transaction on a pooled connection of its own. A node-postgres
 * client never reconnects by itself, so every statement of the
 * transaction runs on the connection that began it, or fails.
 *
 * @module
 */

// @ts-types="@types/pg"
import type pg from "pg";
import type { Database } from "./database.ts";

/**
 * Runs `fn` between BEGIN and COMMIT. On failure it rolls back; a
 * connection that cannot even do that is closed rather than returned to
 * the pool.
 *
 * @returns what `fn` returned, once committed
 * @throws what `fn` or the database threw; nothing is committed then
 */
export async function transaction<T>(db: Database, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch((lost) => broken = lost);
    throw error;
  } finally {
    client.release(broken);
  }
}
