/**
 * Starts both of our servers, smtpmail and popserver, as child processes on
 * one fresh data root, for tests of the mail client.
 *
 * @module
 */

import { makeTempRoot, type ServerProcess, spawnServer, type TempRoot } from "./server_process.ts";
import { SMTP_READY } from "./smtp_server.ts";

/** The line popserver prints once it accepts connections; group 1 is the port. */
export const POP3_READY = /^popserver listening on 127\.0\.0\.1:(\d+), root .*$/m;

/** Both servers over one data root. */
export interface MailServers {
  /** The data root both serve. */
  root: string;
  /** The SMTP server. */
  smtp: ServerProcess;
  /** The POP3 server. */
  pop3: ServerProcess;
}

/** Extra flags for each server. */
export interface MailServerFlags {
  /** Flags for smtpmail. */
  smtp?: string[];
  /** Flags for popserver; a 1 ms failed-login delay comes first, so wrong-password tests stay fast. */
  pop3?: string[];
  /** Fills the data root (e.g. writes mailboxes) before the servers start. */
  prepare?: (root: string) => Promise<void>;
}

/**
 * Runs `fn` against a fresh smtpmail and popserver sharing one temporary
 * root, then stops both (SIGTERM) and removes the root, whatever `fn` did.
 */
export async function withMailServers<T>(
  fn: (servers: MailServers) => Promise<T>,
  flags: MailServerFlags = {},
): Promise<T> {
  const temp: TempRoot = await makeTempRoot();
  const started: ServerProcess[] = [];
  try {
    await flags.prepare?.(temp.root);
    const smtp = await spawnServer({
      script: "smtpmail.ts",
      args: ["0", "--root", temp.root, ...(flags.smtp ?? [])],
      cwd: temp.dir,
      ready: SMTP_READY,
    });
    started.push(smtp);
    const pop3 = await spawnServer({
      script: "popserver.ts",
      args: ["0", "--root", temp.root, "--failed-login-delay", "1", ...(flags.pop3 ?? [])],
      cwd: temp.dir,
      ready: POP3_READY,
    });
    started.push(pop3);
    return await fn({ root: temp.root, smtp, pop3 });
  } finally {
    for (const server of started) await server.stop();
    await temp.remove();
  }
}
