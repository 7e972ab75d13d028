/**
 * The connections of one front-end to its database: a pool for queries and
 * transactions, on the first host of the URL that answers as asked. A URL
 * may name several hosts (`postgres://u:p@h1:5432,h2:5432/db`) and
 * `target_session_attrs=read-write` (libpq's syntax, which node-postgres
 * does not take): then, when the host in use fails or turns read-only (a
 * primary demoted by PostgreSQL's own failover tooling), the next one is
 * tried. Nothing is replicated here: the hosts are PostgreSQL's own
 * primary and standbys.
 *
 * @module
 */

// @ts-types="@types/pg"
import pg from "pg";
import net from "node:net";
import type { Duplex } from "node:stream";
import { copyOut, type CopyRow } from "./copy_out.ts";
import { DenoSocket } from "./deno_socket.ts";

/** How a pooled or dedicated connection is set up. */
export interface DatabaseOptions {
  /** The libpq URL. */
  url: string;
  /** Shown in `pg_stat_activity`, e.g. "smtpmail". */
  application: string;
  /** Connections in the pool. */
  max: number;
  /**
   * Milliseconds after which an idle pooled connection beyond the first is
   * closed (10 s when undefined; 0 keeps them all).
   */
  idleTimeoutMs?: number;
}

/** Milliseconds after which an idle pooled connection beyond the first is closed, unless told otherwise. */
const IDLE_TIMEOUT_MS = 10_000;

/** One host's connection string, and whether it must accept writes. */
interface Target {
  url: string;
  host: string;
  readWrite: boolean;
}

/**
 * Server settings for every connection: a front-end lost without a goodbye
 * is noticed by the server after about 10 + 3 x 5 s (keepalives), which
 * frees its POP3 locks.
 */
const SESSION_OPTIONS = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3";

/** Splits a libpq URL with several hosts into one URL per host. */
export function targetsOf(url: string): Target[] {
  const match = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?]*)(.*)$/.exec(url);
  if (match === null) throw new TypeError(`Cannot parse the database URL: ${url.replace(/\/\/[^@/]*@/, "//…@")}`);
  const [, scheme, credentials = "", hosts, rest] = match;
  const query = new URLSearchParams(rest.includes("?") ? rest.slice(rest.indexOf("?") + 1) : "");
  const readWrite = ["read-write", "primary"].includes(query.get("target_session_attrs") ?? "");
  query.delete("target_session_attrs");
  const path = rest.split("?")[0];
  const search = query.size > 0 ? `?${query}` : "";
  return (hosts || "localhost").split(",").map((host) => ({
    url: `${scheme}${credentials}${host}${path}${search}`,
    host,
    readWrite,
  }));
}

/** A pool over the first usable host of a URL. */
export class Database {
  readonly #targets: Target[];
  readonly #options: DatabaseOptions;
  #current = 0;
  #pool: pg.Pool;

  /** @param options the URL, the name shown to the server, the pool's size */
  constructor(options: DatabaseOptions) {
    this.#options = options;
    this.#targets = targetsOf(options.url);
    this.#pool = this.#makePool();
  }

  /** The hosts of the URL, for messages (never the password). */
  get hosts(): string {
    return this.#targets.map((t) => t.host).join(",");
  }

  /**
   * A connection from the pool, from the next host when this one cannot be
   * reached or will not take writes though the URL asks for them.
   *
   * @throws {Error} the last host's error when none will do
   */
  async connect(): Promise<pg.PoolClient> {
    let lastError: unknown;
    for (let tried = 0; tried < this.#targets.length; tried++) {
      try {
        const client = await this.#pool.connect();
        if (!this.#targets[this.#current].readWrite || await acceptsWrites(client)) return client;
        client.release(true);
        lastError = new Error(`${this.#targets[this.#current].host} is read-only`);
      } catch (error) {
        lastError = error;
      }
      if (this.#targets.length === 1) break;
      this.#next();
    }
    throw lastError;
  }

  /** Runs one statement on a pooled connection. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return await this.#pooled(async (client) => (await client.query<R>(text, values)).rows);
  }

  /** Runs `copyOut` (a binary COPY of `query`, see copy_out.ts) on a pooled connection. */
  copyOut(query: string, onRow: (row: CopyRow) => void): Promise<void> {
    return this.#pooled((client) => copyOut(client, query, onRow));
  }

  /** Runs `fn` on a pooled connection, given back afterwards, or dropped when `fn` found it lost. */
  async #pooled<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      broken = lostConnection(error) ? error as Error : undefined;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** A connection of its own, outside the pool, on a host chosen as `connect` chooses; the caller ends it. */
  async dedicated(): Promise<pg.Client> {
    let lastError: unknown;
    for (let tried = 0; tried < this.#targets.length; tried++) {
      const target = this.#targets[(this.#current + tried) % this.#targets.length];
      const client = new pg.Client(this.#config(target));
      client.on("error", () => {});
      try {
        await client.connect();
        if (!target.readWrite || await acceptsWrites(client)) return client;
        lastError = new Error(`${target.host} is read-only`);
      } catch (error) {
        lastError = error;
      }
      await client.end().catch(() => {});
    }
    throw lastError;
  }

  /** Closes every pooled connection. */
  async end(): Promise<void> {
    await this.#pool.end();
  }

  #next(): void {
    const old = this.#pool;
    this.#current = (this.#current + 1) % this.#targets.length;
    this.#pool = this.#makePool();
    old.end().catch(() => {});
  }

  #makePool(): pg.Pool {
    // One connection stays open however long the front-end is idle: a new one costs a login and a server process
    // whose caches start cold, about 15 ms on the first query (a POP3 login) after a quiet spell.
    const pool = new pg.Pool({
      ...this.#config(this.#targets[this.#current]),
      max: this.#options.max,
      min: 1,
      idleTimeoutMillis: this.#options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    });
    // A connection that fails while idle, or while checked out between queries, must not end the process.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    return pool;
  }

  #config(target: Target): pg.ClientConfig {
    return {
      connectionString: target.url,
      application_name: this.#options.application,
      options: SESSION_OPTIONS,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      types: TYPES,
      stream: socketFor as () => Duplex,
    };
  }
}

/**
 * The socket of a new connection (node-postgres passes its connection
 * options): Deno's own (`DenoSocket`), or node:net's when TLS is asked
 * for, which node-postgres layers on it with node:tls.
 */
function socketFor(options: { ssl?: unknown }): Duplex {
  return options.ssl ? new net.Socket() : new DenoSocket() as unknown as Duplex;
}

/** PostgreSQL's type id of bytea. */
const BYTEA = 17;

/**
 * How results are read: node-postgres's own parsers, but a bytea in hex
 * text (`\x…`, PostgreSQL's default output) decoded by
 * `Uint8Array.fromHex`, ten times faster under Deno than the
 * `Buffer.from(text, "hex")` node-postgres uses, which took most of a POP3
 * session's time to read mail.
 */
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    const parse = pg.types.getTypeParser(oid, format);
    if (oid !== BYTEA || format === "binary") return parse;
    return (text: string) => text.startsWith("\\x") ? Uint8Array.fromHex(text.slice(2)) : parse(text);
  },
} as pg.CustomTypesConfig;

/** Whether the server behind `client` takes writes (is not a standby, nor read-only). */
async function acceptsWrites(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ setting: string }>(
    "SELECT current_setting('transaction_read_only') AS setting",
  );
  return rows[0]?.setting === "off";
}

/**
 * Whether the connection may be gone after `error` (it must not go back to
 * the pool): anything but a statement the server refused on a connection
 * it keeps (an SQLSTATE outside classes 08, connection, and 57P, shutdown).
 */
function lostConnection(error: unknown): boolean {
  return !(error instanceof pg.DatabaseError) || /^(57P|08)/.test(error.code ?? "");
}
