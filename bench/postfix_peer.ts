/**
 * Postfix itself as a peer of the SMTP benchmark, as users deploy it: a
 * private instance (tests/helpers/private_postfix.ts) whose smtpd takes mail
 * for andrew@localhost, whose cleanup syncs the queue file before the 250
 * (stock), and whose local(8) appends each message to one mbox file through
 * an alias. It runs as many processes, so it is started, measured and
 * stopped as a whole; and it delivers after its 250, so the bench waits for
 * its queue to drain.
 *
 * @module
 */

import { join } from "node:path";
import { type PrivatePostfix, startPrivatePostfix } from "../tests/helpers/private_postfix.ts";
import { sleep } from "../tests/helpers/server_process.ts";
import { countMboxMessages } from "./load.ts";
import { peakRss, waitForPort } from "./process.ts";
import type { Prepared, StartedServer } from "./server_spec.ts";

/** What a private Postfix with local delivery needs from Debian's `postfix` package. */
export const POSTFIX_FILES = [
  "/usr/sbin/postfix",
  "/usr/sbin/postalias",
  "/usr/lib/postfix/sbin/master",
  "/usr/lib/postfix/sbin/smtpd",
  "/usr/lib/postfix/sbin/local",
  "/etc/postfix/main.cf.proto",
  "/etc/postfix/master.cf.proto",
];
/** The user local(8) writes files as when the alias database belongs to root (`default_privs`). */
const DEFAULT_PRIVS = "nobody";
/** The queue directories that hold messages (the others hold logs of them), as `qshape` and `postqueue` see them. */
const MESSAGE_QUEUES = ["maildrop", "incoming", "active", "deferred", "hold", "corrupt"];
/** How often the drain is checked: a small part of the 2 to 4 ms Postfix takes per message here. */
const POLL_MS = 10;
const START_TIMEOUT_MS = 15_000;
const LOG_LINES = 20;

/**
 * Prepares a Postfix run in `dir`: configuration and queue in `dir/postfix`,
 * the mbox `dir/mail/andrew` in a directory local(8) may write as `nobody`.
 */
export async function preparePostfix(port: number, dir: string): Promise<Prepared> {
  await Deno.chmod(dir, 0o755); // the daemons reach their queue, and local(8) the mbox, through it
  const mailDir = join(dir, "mail");
  await Deno.mkdir(mailDir);
  await chown(mailDir, `${DEFAULT_PRIVS}:`); // the mbox and its dot-lock are made here
  const mbox = join(mailDir, "andrew");
  const config = join(dir, "postfix");
  const queue = join(config, "queue");
  return {
    launches: [],
    start: () => start(port, config, mbox, mailDir),
    delivered: (messages, deadline) => waitForDelivery({ queue, mbox, config, messages, deadline }),
    stored: () => countMboxMessages(mbox),
  };
}

/** Starts the instance and resolves once its smtpd accepts connections. */
async function start(port: number, config: string, mbox: string, mailDir: string): Promise<StartedServer> {
  const postfix = await startPrivatePostfix({
    dir: config,
    port,
    settings: {
      // As Debian's "Local only" main.cf: no biff notices, and no mailbox size limit, as a run's mbox outgrows 50 MB.
      biff: "no",
      mailbox_size_limit: "0",
      // Mail for a user of this machine, should any arise, stays in the run's directory too.
      mail_spool_directory: mailDir,
    },
    aliases: { andrew: mbox },
  });
  if (!await waitForPort(port, Date.now() + START_TIMEOUT_MS)) {
    await postfix.stop();
    throw new Error(`Postfix's smtpd did not accept on port ${port}; its log ends:\n${logTail(config)}`);
  }
  return {
    output: () => logTail(config),
    peakRss: () => summedPeakRss(postfix),
    stop: () => postfix.stop(),
  };
}

/**
 * The sum of the peak RSS (`VmHWM`) of every process of the instance alive
 * now; those that ended before (a daemon past its idle time) are not in it.
 */
async function summedPeakRss(postfix: PrivatePostfix): Promise<number> {
  let sum = 0;
  for (const pid of postfix.processes()) {
    try {
      sum += await peakRss(pid);
    } catch {
      // It ended between the listing and the reading.
    }
  }
  return sum;
}

/** Where and how long to wait for Postfix's deliveries. */
interface DrainWait {
  /** Its `queue_directory`. */
  queue: string;
  /** The mbox local(8) appends to. */
  mbox: string;
  /** Its configuration directory, for the log. */
  config: string;
  /** Messages that got a 250. */
  messages: number;
  /** A `Date.now()` value after which the wait fails. */
  deadline: number;
}

/**
 * Resolves once Postfix's queue holds no message and the mbox holds all of
 * them. Every message that got its 250 is in the queue until local(8) has
 * appended it to the mbox and synced it, so an empty queue means the last one
 * is in; the mbox's count must then be exact.
 *
 * @throws {Error} when the queue still holds mail at the deadline, or is empty with a wrong count in the mbox
 */
async function waitForDelivery(wait: DrainWait): Promise<void> {
  for (let queued = await queuedMessages(wait.queue); queued > 0; queued = await queuedMessages(wait.queue)) {
    if (Date.now() > wait.deadline) {
      throw new Error(
        `Postfix's queue still held ${queued} messages at the time-out; its log ends:\n${logTail(wait.config)}`,
      );
    }
    await sleep(POLL_MS);
  }
  const count = await countMboxMessages(wait.mbox);
  if (count !== wait.messages) {
    throw new Error(
      `MISMATCH: postfix's queue is empty but its mbox holds ${count} messages, expected ${wait.messages}; ` +
        `its log ends:\n${logTail(wait.config)}`,
    );
  }
}

/** Resolves to how many messages the queue holds, in any of its message queues. */
async function queuedMessages(queue: string): Promise<number> {
  let count = 0;
  for (const name of MESSAGE_QUEUES) count += await filesUnder(join(queue, name));
  return count;
}

/** Resolves to how many files are in `dir` and its subdirectories (`deferred` is hashed); 0 when it is missing. */
async function filesUnder(dir: string): Promise<number> {
  let count = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      count += entry.isDirectory ? await filesUnder(join(dir, entry.name)) : 1;
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return count;
    throw err;
  }
  return count;
}

/** The last lines of the instance's log, for error reports. */
function logTail(config: string): string {
  try {
    return Deno.readTextFileSync(join(config, "maillog")).trimEnd().split("\n").slice(-LOG_LINES).join("\n");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "(no log yet)";
    throw err;
  }
}

/** Runs `chown OWNER PATH`. */
async function chown(path: string, owner: string): Promise<void> {
  const status = await new Deno.Command("chown", { args: [owner, path], stderr: "piped" }).output();
  if (!status.success) throw new Error(`Cannot chown ${path} to ${owner}: ${new TextDecoder().decode(status.stderr)}`);
}
