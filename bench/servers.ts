/**
 * The servers the SMTP benchmark compares: ours, Postfix's `smtp-sink` and
 * npm `smtp-server` on Node with a sync before each 250.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { taskArgs } from "./task_args.ts";

/** How to start one server for one benchmark run. */
export interface Launch {
  /** Program to run; its process is the one whose memory is measured. */
  cmd: string;
  /** Arguments for `cmd`. */
  args: string[];
  /** When set, the server is ready once a stdout line contains this. */
  readyText?: string;
  /** Mailbox file that must hold every message after the run, if any. */
  mailbox?: string;
}

/** A server under test. */
export interface ServerSpec {
  /** Short name used in flags and in the table. */
  name: string;
  /** Resolves to why the server cannot run here, or `null` when it can. */
  unavailable(): Promise<string | null>;
  /**
   * Prepares `dir` (an empty temporary directory) and says how to start the
   * server on 127.0.0.1:`port`.
   */
  prepare(port: number, dir: string): Promise<Launch>;
}

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

/** Our server: `smtpmail.ts` with a temporary data root, started as `deno task smtp` starts it. */
export const ours: ServerSpec = {
  name: "smtpmail",
  async unavailable() {
    const entry = `${repoRoot}smtpmail.ts`;
    return await exists(entry) ? null : `${entry} does not exist yet`;
  },
  async prepare(port, dir) {
    await Deno.copyFile(
      `${repoRoot}userlogincred.txt`,
      `${dir}/userlogincred.txt`,
    );
    return {
      cmd: Deno.execPath(),
      // All the bench's sessions come from 127.0.0.1: lift the per-address cap to the total one.
      args: [...await taskArgs("smtp", dir), String(port), "--root", dir, "--max-connections-per-address", "100"],
      readyText: "listening",
      mailbox: `${dir}/Andrew/mymailbox`,
    };
  },
};

/** npm `smtp-server` on Node, one fdatasync per message before the 250. */
export const smtpServer: ServerSpec = {
  name: "smtp-server",
  async unavailable() {
    const module = `${peersDir}node_modules/smtp-server/package.json`;
    return await exists(module) ? null : `${module} missing; ${INSTALL_HINT}`;
  },
  prepare(port, dir) {
    const mailbox = `${dir}/mymailbox`;
    return Promise.resolve({
      cmd: "node",
      args: [`${peersDir}smtp_server_sync.mjs`, String(port), mailbox],
      readyText: "listening",
      mailbox,
    });
  },
};

/** Postfix's `smtp-sink`: speaks SMTP and stores nothing (the ceiling). */
export const smtpSink: ServerSpec = {
  name: "smtp-sink",
  async unavailable() {
    return await exists(SMTP_SINK) ? null : `${SMTP_SINK} missing; ${INSTALL_HINT}`;
  },
  prepare(port) {
    // As root smtp-sink insists on dropping privileges to a named user.
    const user = Deno.uid() === 0 ? ["-u", "nobody"] : [];
    return Promise.resolve({
      cmd: SMTP_SINK,
      args: [...user, `127.0.0.1:${port}`, "1024"],
    });
  },
};

/** Every server, in table order. */
export const ALL_SERVERS: readonly ServerSpec[] = [ours, smtpServer, smtpSink];
