/**
 * The servers the SMTP benchmark compares: ours on the file store, ours on
 * the PostgreSQL store with one process and with two processes sharing one
 * database, npm `smtp-server` on Node with a sync before each 250, Postfix
 * itself delivering to an mbox, and Postfix's `smtp-sink`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { countRecords } from "./load.ts";
import { POSTFIX_FILES, preparePostfix } from "./postfix_peer.ts";
import type { Launch, ServerSpec } from "./server_spec.ts";
import { countStored, dropDatabase, freshDatabase, postgresUnavailable } from "./postgres_db.ts";
import { taskArgs } from "./task_args.ts";

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const peersDir = fileURLToPath(new URL("./peers/", import.meta.url));
const SMTP_SINK = "/usr/sbin/smtp-sink";
const INSTALL_HINT = "run bench/install_peers.sh";

/** Resolves to whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The user smtp-source's mail is for (andrew@localhost). */
const RECIPIENT = "Andrew";

/** `smtpmail.ts` on a temporary data root, started as `deno task smtp` starts it, with `extra` flags. */
async function smtpmail(port: number, dir: string, extra: string[] = []): Promise<Launch> {
  await Deno.copyFile(`${repoRoot}userlogincred.txt`, `${dir}/userlogincred.txt`);
  return {
    cmd: Deno.execPath(),
    // All the bench's sessions come from 127.0.0.1: lift the per-address cap to the total one.
    args: [
      ...await taskArgs("smtp", dir),
      ...[String(port), "--root", dir, "--max-connections-per-address", "100"],
      ...extra,
    ],
    readyText: "listening",
  };
}

/** Resolves to why `smtpmail.ts` cannot run here, or `null`. */
async function smtpmailUnavailable(): Promise<string | null> {
  const entry = `${repoRoot}smtpmail.ts`;
  return await exists(entry) ? null : `${entry} does not exist yet`;
}

/** Our server on the file store. */
export const ours: ServerSpec = {
  name: "smtpmail",
  unavailable: smtpmailUnavailable,
  async prepare([port], dir) {
    return {
      launches: [await smtpmail(port, dir)],
      stored: () => countRecords(`${dir}/${RECIPIENT}/mymailbox`),
    };
  },
};

/** Our server on the PostgreSQL store, `processes` of it on one fresh database. */
function oursOnPostgres(name: string, processes: number): ServerSpec {
  return {
    name,
    processes,
    async unavailable() {
      return await smtpmailUnavailable() ?? await postgresUnavailable();
    },
    async prepare(ports, dir) {
      const url = await freshDatabase();
      const launches: Launch[] = [];
      for (const port of ports) launches.push(await smtpmail(port, dir, ["--store", url]));
      return { launches, stored: () => countStored(url, RECIPIENT), cleanup: () => dropDatabase(url) };
    },
  };
}

/** Our server on the PostgreSQL store, one process. */
export const oursPostgres = oursOnPostgres("smtpmail-pg", 1);

/** Two of our server's processes (one per core) on one PostgreSQL database, the load split between them. */
export const oursPostgresTwo = oursOnPostgres("smtpmail-pg-x2", 2);

/** npm `smtp-server` on Node, one fdatasync per message before the 250. */
export const smtpServer: ServerSpec = {
  name: "smtp-server",
  async unavailable() {
    const module = `${peersDir}node_modules/smtp-server/package.json`;
    return await exists(module) ? null : `${module} missing; ${INSTALL_HINT}`;
  },
  prepare([port], dir) {
    const mailbox = `${dir}/mymailbox`;
    return Promise.resolve({
      launches: [{
        cmd: "node",
        args: [`${peersDir}smtp_server_sync.mjs`, String(port), mailbox],
        readyText: "listening",
      }],
      stored: () => countRecords(mailbox),
    });
  },
};

/** Postfix as deployed: smtpd, its queue file synced before the 250, local(8) to an mbox (postfix_peer.ts). */
export const postfix: ServerSpec = {
  name: "postfix",
  async unavailable() {
    if (Deno.uid() !== 0) return "a private Postfix must be started as root";
    for (const path of POSTFIX_FILES) {
      if (!await exists(path)) return `${path} missing; ${INSTALL_HINT}`;
    }
    return null;
  },
  prepare: ([port], dir) => preparePostfix(port, dir),
};

/** Postfix's `smtp-sink`: speaks SMTP and stores nothing (the ceiling). */
export const smtpSink: ServerSpec = {
  name: "smtp-sink",
  async unavailable() {
    return await exists(SMTP_SINK) ? null : `${SMTP_SINK} missing; ${INSTALL_HINT}`;
  },
  prepare([port]) {
    // As root smtp-sink insists on dropping privileges to a named user.
    const user = Deno.uid() === 0 ? ["-u", "nobody"] : [];
    return Promise.resolve({ launches: [{ cmd: SMTP_SINK, args: [...user, `127.0.0.1:${port}`, "1024"] }] });
  },
};

/** Every server, in table order. */
export const ALL_SERVERS: readonly ServerSpec[] = [ours, oursPostgres, oursPostgresTwo, smtpServer, postfix, smtpSink];
