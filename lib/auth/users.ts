/**
 * The user database: `userlogincred.txt`, one "<user> <password>" per line,
 * as the lab assignment defines it. A password field that starts with
 * `$scrypt$` is a scrypt hash (see `auth/password_hash.ts`) and must parse as
 * one; any other field is the password itself.
 *
 * @module
 */

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import {
  dummyHash,
  HASH_PREFIX,
  memoryOf,
  parseScryptHash,
  type ScryptCost,
  type ScryptHash,
  verifyScrypt,
} from "./password_hash.ts";

/** The name of the credentials file inside the data root. */
export const CREDENTIALS_FILE = "userlogincred.txt";

/**
 * User names must be a dot-atom (RFC 5322 §3.2.3): usable as the local part
 * of an address and, having no "/" and no empty segment, safe as a
 * directory name.
 */
const USER_NAME = /^[A-Za-z0-9!#$%&'*+\-=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-=?^_`{|}~]+)*$/;

/** Whether `name` can be a user name: a dot-atom (RFC 5322 §3.2.3). */
export function isUserName(name: string): boolean {
  return USER_NAME.test(name);
}

/** How a user's password is kept: as written in the file, or as a scrypt hash. */
export type Secret = { kind: "plain"; password: string } | { kind: "scrypt"; hash: ScryptHash };

/** One line of the credentials file. */
export interface UserEntry {
  /** The user name as spelled in the file. */
  name: string;
  /** The password or its hash. */
  secret: Secret;
}

/** What `UserDb` keeps per user: the name, and a digest or hash to compare against. */
type Stored = { name: string; digest: Uint8Array } | { name: string; hash: ScryptHash };

/** The parsed credentials file. */
export class UserDb {
  #byLowerName = new Map<string, Stored>();
  /** What an unknown name is compared against: never equal to a password's digest. */
  #nobody = randomBytes(32);
  /**
   * When any password is hashed, plaintext entries, unknown names and hashes
   * of a lower cost pay for a scrypt check of the highest cost in the file
   * too, so the time a login takes tells neither whether the user exists
   * nor how the password is kept.
   */
  #padding: ScryptHash | undefined;

  /** Canonical user names in file order. */
  readonly names: readonly string[];

  /** Builds the database from parsed entries; names must be unique ignoring case. */
  constructor(entries: UserEntry[]) {
    let highest: ScryptCost | undefined;
    for (const { name, secret } of entries) {
      if (secret.kind === "plain") {
        this.#byLowerName.set(name.toLowerCase(), { name, digest: digest(secret.password) });
      } else {
        this.#byLowerName.set(name.toLowerCase(), { name, hash: secret.hash });
        if (highest === undefined || memoryOf(secret.hash) > memoryOf(highest)) highest = secret.hash;
      }
    }
    this.#padding = highest && dummyHash(highest);
    this.names = entries.map((e) => e.name);
  }

  /** Returns the canonical spelling of a user name, matched case-insensitively. */
  find(name: string): string | undefined {
    return this.#byLowerName.get(name.toLowerCase())?.name;
  }

  /**
   * Checks a password for a user name matched case-insensitively: against
   * the password exactly as written in the file, or against its hash. Every
   * comparison is constant-time, and a wrong name costs what a wrong
   * password costs.
   *
   * @returns the canonical user name, or undefined when the login fails
   */
  async verify(name: string, password: string): Promise<string | undefined> {
    const entry = this.#byLowerName.get(name.toLowerCase());
    if (entry !== undefined && "hash" in entry) {
      // A hash cheaper than the file's costliest takes the costliest's time: both run side by side.
      const costliest = this.#padding;
      const cheaper = costliest !== undefined && memoryOf(entry.hash) < memoryOf(costliest);
      const padding = cheaper ? verifyScrypt(costliest, password) : undefined;
      const same = await verifyScrypt(entry.hash, password);
      await padding;
      return same ? entry.name : undefined;
    }
    const padding = this.#padding ? verifyScrypt(this.#padding, password) : Promise.resolve(false);
    const same = timingSafeEqual(entry?.digest ?? this.#nobody, digest(password));
    await padding;
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
 * @throws {SyntaxError} naming the line that is malformed, repeats a user or holds a bad hash
 */
export function parseUsers(text: string): UserDb {
  const entries: UserEntry[] = [];
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
    if (!isUserName(name)) {
      throw new SyntaxError(`Cannot parse ${where}: user name "${name}" is not a valid mailbox name`);
    }
    if (seen.has(name.toLowerCase())) {
      throw new SyntaxError(`Cannot parse ${where}: user "${name}" appears twice`);
    }
    seen.add(name.toLowerCase());
    entries.push({ name, secret: parseSecret(password, where) });
  });
  if (entries.length === 0) throw new SyntaxError(`Cannot use ${CREDENTIALS_FILE}: it lists no users`);
  return new UserDb(entries);
}

/** A field starting with `$scrypt$` must be a valid hash: a mistyped one must not become a plaintext password. */
function parseSecret(field: string, where: string): Secret {
  if (!field.startsWith(HASH_PREFIX)) return { kind: "plain", password: field };
  try {
    return { kind: "scrypt", hash: parseScryptHash(field) };
  } catch (error) {
    // "Cannot parse scrypt hash: bad base64 salt" becomes "Cannot parse <where>: scrypt hash: bad base64 salt".
    throw new SyntaxError(`Cannot parse ${where}: ${(error as Error).message.replace(/^Cannot \w+ /, "")}`);
  }
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
