/**
 * Opening the data root that both servers share: the users of
 * userlogincred.txt, and the mail store chosen by `--store` (for the file
 * store, a directory for each user beside the file).
 *
 * @module
 */

import { join } from "node:path";
import { type OpenedStore, openStore, type StoreChoice } from "./mailbox/open_store.ts";
import { loadUsers, type UserDb } from "./auth/users.ts";

/** The opened data root. */
export interface DataRoot {
  /** The parsed userlogincred.txt. */
  users: UserDb;
  /** The mailboxes. */
  store: OpenedStore;
}

/**
 * Loads the users, opens the store, and for the file store creates each
 * user's directory if it is missing.
 *
 * @param store which store `--store` chose
 * @param options.program the program's name, for the log and the database's view of its connections
 * @param options.sessions whether the program serves POP3 sessions (see `openStore`)
 * @throws {SyntaxError} when userlogincred.txt is malformed
 * @throws {Deno.errors.NotFound} when it is missing
 * @throws {StoreUnavailable} when the database cannot be reached
 */
export async function openDataRoot(
  root: string,
  store: StoreChoice,
  options: { program: string; sessions?: boolean; log(line: string): void },
): Promise<DataRoot> {
  const users = await loadUsers(root);
  const opened = await openStore(store, {
    root,
    application: options.program,
    sessions: options.sessions,
    log: options.log,
  });
  if (opened.files) {
    for (const name of users.names) await Deno.mkdir(join(root, name), { recursive: true, mode: 0o700 });
  }
  return { users, store: opened };
}
