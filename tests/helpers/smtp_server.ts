/**
 * Starts `smtpmail.ts` as a child process on a free port in a fresh data
 * root, for integration tests.
 *
 * @module
 */

import { makeTempRoot, type ServerProcess, spawnServer, type TempRoot } from "./server_process.ts";

/** The line smtpmail prints once it accepts connections; group 1 is the port. */
export const SMTP_READY = /^smtpmail listening on 127\.0\.0\.1:(\d+), root .*$/m;

/** A running smtpmail and its data root. */
export interface SmtpServer extends ServerProcess {
  /** The data root (`--root`). */
  root: string;
  /** The directory holding the root; nothing else is in it. */
  dir: string;
}

/** Options for `startSmtp`. */
export interface StartSmtpOptions {
  /** Extra command-line flags, e.g. ["--max-message-size", "1000"]. */
  flags?: string[];
  /** An existing root to reuse (e.g. to restart after a crash); else a fresh one is made. */
  root?: TempRoot;
}

/**
 * Starts smtpmail on port 0. Without `options.root` a new temporary root
 * holding a copy of userlogincred.txt is made; `stop` does not remove it,
 * `withSmtp` does.
 */
export async function startSmtp(options: StartSmtpOptions = {}): Promise<SmtpServer & { temp: TempRoot }> {
  const temp = options.root ?? await makeTempRoot();
  try {
    const server = await spawnServer({
      script: "smtpmail.ts",
      args: ["0", "--root", temp.root, ...(options.flags ?? [])],
      cwd: temp.dir,
      ready: SMTP_READY,
    });
    return { ...server, root: temp.root, dir: temp.dir, temp };
  } catch (error) {
    if (options.root === undefined) await temp.remove();
    throw error;
  }
}

/**
 * Runs `fn` against a fresh smtpmail, then stops the server (SIGTERM) and
 * removes its root, whatever `fn` did.
 */
export async function withSmtp<T>(
  flags: string[],
  fn: (server: SmtpServer) => Promise<T>,
): Promise<T> {
  const server = await startSmtp({ flags });
  try {
    return await fn(server);
  } finally {
    await server.stop();
    await server.temp.remove();
  }
}
