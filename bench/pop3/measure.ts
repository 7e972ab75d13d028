/**
 * The POP3 benchmark's measurements against one server: login+STAT,
 * LIST+UIDL, RETR of every message with Python's poplib and with the
 * pipelining client, and a check that two servers hold the same messages.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Pop3Client, type Pop3Login } from "./client.ts";
import { concatBytes } from "../../lib/bytes.ts";

const POPLIB_SCRIPT = fileURLToPath(new URL("./poplib_retr.py", import.meta.url));

/** What STAT says about a maildrop. */
export interface Maildrop {
  /** Messages. */
  count: number;
  /** Octets, as STAT reports them. */
  octets: number;
}

/** A timed result in milliseconds, with what it saw. */
export interface Timed<T> {
  ms: number;
  value: T;
}

/** Connect, greeting, QUIT: no login. */
export async function connectQuit(port: number): Promise<void> {
  await (await Pop3Client.connect(port)).quit();
}

/** Connect, USER, PASS, STAT, QUIT: the whole exchange is timed. */
export async function loginStat(login: Pop3Login): Promise<Timed<Maildrop>> {
  const started = performance.now();
  const client = await Pop3Client.login(login);
  let stat: string;
  try {
    stat = await client.command("STAT");
  } finally {
    await client.quit();
  }
  const ms = performance.now() - started;
  const [, count, octets] = stat.split(" ");
  return { ms, value: { count: Number(count), octets: Number(octets) } };
}

/** LIST and UIDL after a login that is not timed; resolves to their octets. */
export async function listUidl(login: Pop3Login): Promise<Timed<number>> {
  const client = await Pop3Client.login(login);
  try {
    const started = performance.now();
    const octets = await client.multiline("LIST") + await client.multiline("UIDL");
    return { ms: performance.now() - started, value: octets };
  } finally {
    await client.quit();
  }
}

/**
 * RETR of every message with Python's poplib, one at a time, timed inside
 * the script (interpreter start, login and QUIT excluded).
 *
 * @returns The octets poplib counted (unstuffed, CRLF included).
 */
export async function retrPoplib(login: Pop3Login, expected: number): Promise<Timed<number>> {
  const out = await new Deno.Command("python3", {
    args: [POPLIB_SCRIPT, String(login.port), login.user, login.password],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`poplib client failed: ${new TextDecoder().decode(out.stderr)}`);
  const result = JSON.parse(text) as { messages: number; octets: number; seconds: number };
  if (result.messages !== expected) {
    throw new Error(`poplib client saw ${result.messages} messages, expected ${expected}`);
  }
  return { ms: result.seconds * 1000, value: result.octets };
}

/**
 * RETR of messages 1..`count`, sent `batch` at a time by the pipelining
 * client; login and QUIT are not timed.
 *
 * @returns The octets received (dot-stuffed, terminators excluded).
 */
export async function retrPipelined(login: Pop3Login, count: number, batch: number): Promise<Timed<number>> {
  const client = await Pop3Client.login(login);
  try {
    const started = performance.now();
    const octets = await client.retrPipelined(count, batch);
    return { ms: performance.now() - started, value: octets };
  } finally {
    await client.quit();
  }
}

/** RETR of one message; resolves to its body as sent (dot-stuffed). */
export async function retrOne(login: Pop3Login, n: number): Promise<Uint8Array> {
  const client = await Pop3Client.login(login);
  try {
    const chunks: Uint8Array[] = [];
    await client.multiline(`RETR ${n}`, chunks);
    return concatBytes(chunks);
  } finally {
    await client.quit();
  }
}

/**
 * Checks that both servers report the same maildrop and send messages 1 and
 * `count` byte for byte alike.
 *
 * @throws {Error} naming the first difference.
 */
export async function checkSameMessages(a: Pop3Login, b: Pop3Login, count: number): Promise<void> {
  for (const n of new Set([1, count])) {
    const [x, y] = await Promise.all([retrOne(a, n), retrOne(b, n)]);
    const same = x.length === y.length && x.every((byte, i) => byte === y[i]);
    if (!same) {
      const dec = new TextDecoder();
      throw new Error(
        `MISMATCH: RETR ${n} differs (${x.length} vs ${y.length} octets):\n${dec.decode(x.subarray(0, 400))}\n---\n` +
          dec.decode(y.subarray(0, 400)),
      );
    }
  }
}
