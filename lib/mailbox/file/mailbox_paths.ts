/**
 * The names of the files of one user's mailbox directory (see
 * `file_store.ts` for what each is for), joined once per directory rather
 * than on every delivery.
 *
 * @module
 */

import { join } from "node:path";
import type { IndexPaths } from "./index_writer.ts";

/** The paths of the files in one user's mailbox directory. */
export interface MailboxPaths {
  /** The directory, `ROOT/<User>`. */
  dir: string;
  /** The mailbox, `mymailbox`. */
  mailbox: string;
  /** The delivery lock every writer holds, `mymailbox.lock`. */
  deliveryLock: string;
  /** The POP3 session lock, `mymailbox.pop.lock`. */
  sessionLock: string;
  /** A rewrite of the mailbox in progress, `mymailbox.tmp`. */
  replacement: string;
  /** The index, `mymailbox.idx`, and its replacement while written whole, `mymailbox.idx.tmp`. */
  index: IndexPaths;
}

/** The paths of the mailbox files in `dir`. */
export function mailboxPaths(dir: string): MailboxPaths {
  return {
    dir,
    mailbox: join(dir, "mymailbox"),
    deliveryLock: join(dir, "mymailbox.lock"),
    sessionLock: join(dir, "mymailbox.pop.lock"),
    replacement: join(dir, "mymailbox.tmp"),
    index: { path: join(dir, "mymailbox.idx"), tmpPath: join(dir, "mymailbox.idx.tmp") },
  };
}
