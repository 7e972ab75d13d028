/**
 * The PostgreSQL the benchmarks store mail in: one private cluster with
 * PostgreSQL's durable defaults (fsync and synchronous_commit on), started
 * on first use, with a fresh database for each server run, and removed at
 * the end of the benchmark.
 *
 * @module
 */

// @ts-types="@types/pg"
import pg from "pg";
import { postgresBin, type PrivateCluster, startPostgres } from "../tests/helpers/postgres.ts";

let cluster: Promise<PrivateCluster> | undefined;
let databases = 0;

/** Why the PostgreSQL store cannot be measured here, or `null` when it can. */
export function postgresUnavailable(): Promise<string | null> {
  return Promise.resolve(
    postgresBin() === undefined ? "PostgreSQL is not installed (scripts/provision_test_peers.sh installs it)" : null,
  );
}

/** Runs one statement on the cluster's `postgres` database. */
async function admin<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Resolves to the URL of a new, empty database on the benchmark's cluster, starting the cluster the first time. */
export async function freshDatabase(): Promise<string> {
  cluster ??= startPostgres({ durable: true });
  const { url } = await cluster;
  const name = `bench_${++databases}`;
  await admin(url, `CREATE DATABASE ${name}`);
  return url.replace(/\/postgres$/, `/${name}`);
}

/** Resolves to how many messages `user`'s mailbox holds in the database at `url`. */
export async function countStored(url: string, user: string): Promise<number> {
  const [row] = await admin<{ count: string }>(url, "SELECT count(*) AS count FROM mail_messages WHERE mailbox = $1", [
    user,
  ]);
  return Number(row.count);
}

/** Drops a database made by `freshDatabase`. */
export async function dropDatabase(url: string): Promise<void> {
  const { url: adminUrl } = await cluster!;
  await admin(adminUrl, `DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
}

/** Stops and removes the cluster, if one was started. */
export async function removeCluster(): Promise<void> {
  const started = cluster;
  cluster = undefined;
  if (started) await (await started).remove();
}
