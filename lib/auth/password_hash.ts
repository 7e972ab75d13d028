/**
 * Hashed passwords for `userlogincred.txt`: scrypt (RFC 7914) written in the
 * PHC string format, `$scrypt$ln=14,r=8,p=1$<salt>$<hash>`, salt and hash in
 * base64 without padding. scrypt runs in Node's thread pool, so a login being
 * checked does not stop the event loop.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** A password field that starts with this is a hash, and must parse as one. */
export const HASH_PREFIX = "$scrypt$";

/** scrypt's cost parameters: N = 2^logN, block size r, parallelism p. */
export interface ScryptCost {
  /** log2 of N, the CPU and memory cost. */
  logN: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** A parsed scrypt hash. */
export interface ScryptHash extends ScryptCost {
  /** The random salt. */
  salt: Uint8Array;
  /** The derived key, as long as it was written. */
  hash: Uint8Array;
}

/**
 * The cost of new hashes: N = 2^14, r = 8, p = 1, 16 MiB and about 50 ms per
 * check (the interactive-login setting of the scrypt paper).
 */
export const DEFAULT_COST: ScryptCost = { logN: 14, r: 8, p: 1 };

/** Bounds that keep a hand-edited file from asking for gigabytes or minutes per login. */
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY = 256 * 1024 * 1024;
const SALT_BYTES = { min: 8, max: 64, new: 16 };
const HASH_BYTES = { min: 16, max: 64, new: 32 };

const FORM = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Parses a hash in the form `$scrypt$ln=L,r=R,p=P$<salt>$<hash>`.
 *
 * @throws {SyntaxError} saying what is wrong: the form, a parameter out of bounds, or the lengths
 */
export function parseScryptHash(text: string): ScryptHash {
  const m = FORM.exec(text);
  if (!m) throw new SyntaxError(`Cannot parse scrypt hash: expected ${HASH_PREFIX}ln=L,r=R,p=P$<salt>$<hash>`);
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = decodeBase64(m[4], "salt");
  const hash = decodeBase64(m[5], "hash");
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) {
    throw new SyntaxError(`Cannot use scrypt hash: need ln 1-${MAX_LOG_N}, r 1-${MAX_R}, p 1-${MAX_P}`);
  }
  if (memoryOf({ logN, r, p }) > MAX_MEMORY) {
    throw new SyntaxError("Cannot use scrypt hash: it needs more than 256 MiB");
  }
  if (salt.length < SALT_BYTES.min || salt.length > SALT_BYTES.max) {
    throw new SyntaxError(`Cannot use scrypt hash: the salt must be ${SALT_BYTES.min}-${SALT_BYTES.max} bytes`);
  }
  if (hash.length < HASH_BYTES.min || hash.length > HASH_BYTES.max) {
    throw new SyntaxError(`Cannot use scrypt hash: the hash must be ${HASH_BYTES.min}-${HASH_BYTES.max} bytes`);
  }
  return { logN, r, p, salt, hash };
}

/** Writes a hash in the form `parseScryptHash` reads. */
export function formatScryptHash(h: ScryptHash): string {
  return `${HASH_PREFIX}ln=${h.logN},r=${h.r},p=${h.p}$${encodeBase64(h.salt)}$${encodeBase64(h.hash)}`;
}

/** Hashes `password` with a new random salt; resolves to its `formatScryptHash` form. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES.new);
  const hash = await derive(password, salt, HASH_BYTES.new, cost);
  return formatScryptHash({ ...cost, salt, hash });
}

/** Checks `password` against a hash, comparing in constant time. */
export async function verifyScrypt(stored: ScryptHash, password: string): Promise<boolean> {
  const derived = await derive(password, stored.salt, stored.hash.length, stored);
  return timingSafeEqual(derived, stored.hash);
}

/**
 * A hash that no password matches, with the given cost: checking a password
 * against it takes as long as against a real hash of that cost.
 */
export function dummyHash(cost: ScryptCost): ScryptHash {
  return { ...cost, salt: randomBytes(SALT_BYTES.new), hash: randomBytes(HASH_BYTES.new) };
}

/** The bytes of memory scrypt needs for `cost`. */
export function memoryOf(cost: ScryptCost): number {
  return 128 * 2 ** cost.logN * cost.r * cost.p;
}

function derive(password: string, salt: Uint8Array, length: number, cost: ScryptCost): Promise<Uint8Array> {
  const options = { N: 2 ** cost.logN, r: cost.r, p: cost.p, maxmem: 2 * memoryOf(cost) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => error ? reject(error) : resolve(key));
  });
}

/** Decodes unpadded standard base64, refusing anything that does not round-trip (Buffer skips bad characters). */
function decodeBase64(text: string, what: string): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (encodeBase64(bytes) !== text) throw new SyntaxError(`Cannot parse scrypt hash: bad base64 ${what}`);
  return bytes;
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "");
}
