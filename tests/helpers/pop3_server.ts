/**
 * Starts `popserver.ts` as a child process, alone or beside `smtpmail.ts`
 * on the same data root, and fills maildrops over SMTP, for integration
 * tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { delivered, readRecords } from "./mailbox_file.ts";
import { makeTempRoot, type ServerProcess, spawnServer, type TempRoot, waitFor } from "./server_process.ts";
import { SmtpClient } from "./smtp_client.ts";
import { type SmtpServer, startSmtp } from "./smtp_server.ts";

/** The line popserver prints once it accepts connections; group 1 is the port. */
export const POP3_READY = /^popserver listening on 127\.0\.0\.1:(\d+), root .*$/m;

/** Flags every test server gets unless it overrides them: failed logins answered after 1 ms, not 1 s. */
export const FAST_FLAGS: readonly string[] = ["--failed-login-delay", "1"];

/** A running popserver and its data root. */
export interface Pop3Server extends ServerProcess {
  /** The data root (`--root`). */
  root: string;
}

/**
 * Starts popserver on port 0 over an existing root (it is not removed by
 * `stop`). `flags` come after `FAST_FLAGS`, so they can override them.
 */
export async function startPop3(root: TempRoot, flags: string[] = []): Promise<Pop3Server> {
  const server = await spawnServer({
    script: "popserver.ts",
    args: ["0", "--root", root.root, ...FAST_FLAGS, ...flags],
    cwd: root.dir,
    ready: POP3_READY,
  });
  return { ...server, root: root.root };
}

/** smtpmail and popserver sharing one fresh data root. */
export interface MailServers {
  /** The shared data root and the directory around it. */
  temp: TempRoot;
  /** The SMTP server. */
  smtp: SmtpServer;
  /** The POP3 server. */
  pop3: Pop3Server;
}

/**
 * Runs `fn` against a fresh smtpmail and popserver on one new root, then
 * stops both (SIGTERM, or nothing if `fn` already ended them) and removes the
 * root, whatever `fn` did. `prepare`, if given, fills the root (e.g. writes
 * mailboxes) before the servers start.
 */
export async function withMailServers<T>(
  popFlags: string[],
  fn: (servers: MailServers) => Promise<T>,
  prepare?: (root: string) => Promise<void>,
): Promise<T> {
  const temp = await makeTempRoot();
  try {
    await prepare?.(temp.root);
    const smtp = await startSmtp({ root: temp });
    try {
      const pop3 = await startPop3(temp, popFlags);
      try {
        return await fn({ temp, smtp, pop3 });
      } finally {
        await pop3.stop();
      }
    } finally {
      await smtp.stop();
    }
  } finally {
    await temp.remove();
  }
}

/**
 * Sends each message to `to` in one SMTP session, asserting a 250 for
 * each. Messages use CRLF line ends and are not yet dot-stuffed.
 */
export async function sendMessages(
  smtpPort: number,
  messages: (string | Uint8Array)[],
  to = "andrew@localhost",
): Promise<void> {
  const client = await SmtpClient.open(smtpPort);
  try {
    for (const data of messages) {
      const r = await client.send({ from: "stallings@localhost", to: [to], data });
      assert.match(r.last, /^250 /, `delivery refused: ${r.last}`);
    }
    await client.quit();
  } finally {
    await client.close();
  }
}

/** A stored message as the mailbox file holds it, keyed by its trace id (the POP3 UIDL). */
export interface StoredMessage {
  /** The trace id. */
  id: string;
  /** The message exactly as the SMTP client sent it. */
  message: Uint8Array;
}

/**
 * Reads ROOT/USER/mymailbox with the independent reader of `mailbox_file.ts`
 * and returns its complete records in order.
 *
 * @throws {Error} when a record has no trace line
 */
export async function storedMessages(root: string, user: string): Promise<StoredMessage[]> {
  const { records } = await readRecords(root, user);
  return records.map((record) => {
    const d = delivered(record);
    return { id: d.trace.id, message: d.message };
  });
}

/** The session log lines popserver has written to stderr so far. */
export function sessionLog(server: ServerProcess): string[] {
  return server.stderrText().split("\n").filter((line) => / pop3 client=\S+ user=/.test(line));
}

/**
 * Waits until popserver has logged the end of `count` sessions in all, which
 * it does after releasing the maildrop lock.
 */
export async function waitForSessions(server: ServerProcess, count: number, timeoutMs = 5000): Promise<string[]> {
  await waitFor(`${count} session log lines`, () => sessionLog(server).length >= count, timeoutMs);
  return sessionLog(server);
}
