/**
 * The user database: `userlogincred.txt`, one "<user> <password>" per line,
 * as the lab assignment defines it.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { join } from "node:path";

/** The name of the credentials file inside the data root. */
export const CREDENTIALS_FILE = "userlogincred.txt";

/**
 * User names must be a dot-atom (RFC 5322 §3.2.3): usable as the local part
 * of an address and, having no "/" and no empty segment, safe as a
 * directory name.
 */
const USER_NAME = /^[A-Za-z0-9!#$%&'*+\-=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-=?^_`{|}~]+)*$/;

/** The parsed credentials file. */
export class UserDb {
  #byLowerName = new Map<string, { name: string; password: string }>();

  /** Canonical user names in file order. */
  readonly names: readonly string[];

  /** Builds the database from parsed entries; names must be unique ignoring case. */
  constructor(entries: { name: string; password: string }[]) {
    for (const entry of entries) this.#byLowerName.set(entry.name.toLowerCase(), entry);
    this.names = entries.map((e) => e.name);
  }

  /** Returns the canonical spelling of a user name, matched case-insensitively. */
  find(name: string): string | undefined {
    return this.#byLowerName.get(name.toLowerCase())?.name;
  }

  /**
   * Checks a password, exactly as written in the file, for a user name
   * matched case-insensitively. The comparison takes the same time whether
   * the user exists or not and wherever the passwords differ.
   *
   * @returns the canonical user name, or undefined when the login fails
   */
  verify(name: string, password: string): string | undefined {
    const entry = this.#byLowerName.get(name.toLowerCase());
    const same = timingSafeEqual(digest(entry?.password ?? "\0no such user"), digest(password));
    return same && entry !== undefined ? entry.name : undefined;
  }
}

function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/**
 * Parses the text of `userlogincred.txt`. Blank lines are skipped; a
 * trailing CR (a file saved on Windows) is ignored.
 *
 * @throws {SyntaxError} naming the line that is malformed or repeats a user
 */
export function parseUsers(text: string): UserDb {
  const entries: { name: string; password: string }[] = [];
  const seen = new Set<string>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const where = `${CREDENTIALS_FILE} line ${index + 1}`;
    const fields = line.split(" ");
    if (fields.length !== 2 || fields[1] === "") {
      throw new SyntaxError(`Cannot parse ${where}: expected "<user> <password>" separated by one space`);
    }
    const [name, password] = fields;
    if (!USER_NAME.test(name)) {
      throw new SyntaxError(`Cannot parse ${where}: user name "${name}" is not a valid mailbox name`);
    }
    if (seen.has(name.toLowerCase())) {
      throw new SyntaxError(`Cannot parse ${where}: user "${name}" appears twice`);
    }
    seen.add(name.toLowerCase());
    entries.push({ name, password });
  });
  if (entries.length === 0) throw new SyntaxError(`Cannot use ${CREDENTIALS_FILE}: it lists no users`);
  return new UserDb(entries);
}

/**
 * Reads and parses `ROOT/userlogincred.txt`.
 *
 * @throws {SyntaxError} when the file is malformed
 * @throws {Deno.errors.NotFound} when it is missing
 */
export async function loadUsers(root: string): Promise<UserDb> {
  return parseUsers(await Deno.readTextFile(join(root, CREDENTIALS_FILE)));
}
