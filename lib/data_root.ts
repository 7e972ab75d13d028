/**
 * Opening the data root that both servers share: the users of
 * userlogincred.txt, a directory for each, and the mail store over them.
 *
 * @module
 */

import { join } from "node:path";
import { FileMailStore } from "./mailbox/file_store.ts";
import { loadUsers, type UserDb } from "./users.ts";

/** The opened data root. */
export interface DataRoot {
  /** The parsed userlogincred.txt. */
  users: UserDb;
  /** The mailboxes. */
  store: FileMailStore;
}

/**
 * Loads the users and creates each user's directory if it is missing.
 *
 * @throws {SyntaxError} when userlogincred.txt is malformed
 * @throws {Deno.errors.NotFound} when it is missing
 */
export async function openDataRoot(root: string): Promise<DataRoot> {
  const users = await loadUsers(root);
  for (const name of users.names) await Deno.mkdir(join(root, name), { recursive: true, mode: 0o700 });
  return { users, store: new FileMailStore({ root }) };
}
