/**
 * A small POP3 client for integration tests (RFC 1939): raw bytes out,
 * status lines and multi-line replies in. Unlike `LineClient` it reads bytes,
 * not text, and insists on CRLF, so a retrieved message can be compared byte
 * for byte and a bare LF from the server is an error, not a line end.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat, decode, encode, show } from "./bytes.ts";
import { READ_TIMEOUT_MS, ReadTimeout } from "./line_client.ts";

const LF = 0x0a;
const CR = 0x0d;
const CRLF = encode("\r\n");

/** The seed's users and their passwords, as in the repository's userlogincred.txt. */
export const PASSWORDS: Readonly<Record<string, string>> = {
  Stallings: "network$security",
  Fourouzan: "d@t@comm",
  Andrew: "@dministr@tor",
};

/**
 * The seed password of a user name matched in any case.
 *
 * @throws {Error} for a name that is not a seed user
 */
export function passwordOf(user: string): string {
  const entry = Object.entries(PASSWORDS).find(([name]) => name.toLowerCase() === user.toLowerCase());
  return entry?.[1] ?? assert.fail(`no seed user ${user}`);
}

/** A POP3 connection to 127.0.0.1. */
export class Pop3Client {
  #conn: Deno.TcpConn;
  #buf: Uint8Array = new Uint8Array(0);
  #pending: Promise<number | null> | undefined;
  #chunk = new Uint8Array(64 * 1024);
  #eof = false;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects without reading the greeting. */
  static async connect(port: number): Promise<Pop3Client> {
    return new Pop3Client(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Connects and checks the +OK greeting. */
  static async open(port: number): Promise<Pop3Client> {
    const client = await Pop3Client.connect(port);
    try {
      client.ok(await client.line());
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Connects and logs in with USER/PASS (the password defaults to the seed's, the name matched in any case). */
  static async login(port: number, user: string, password = passwordOf(user)): Promise<Pop3Client> {
    const client = await Pop3Client.open(port);
    try {
      await client.command(`USER ${user}`, "+OK");
      await client.command(`PASS ${password}`, "+OK");
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** Sends all of `data` (text as UTF-8). */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encode(data) : data;
    for (let done = 0; done < bytes.length;) done += await this.#conn.write(bytes.subarray(done));
  }

  /**
   * Returns the next line's bytes without CRLF, or `null` at the end of the
   * stream (also after a final fragment without a line end, which is an error).
   *
   * @throws {Error} on a bare LF or an unterminated last line
   * @throws {ReadTimeout} when no complete line arrives within `timeoutMs`
   */
  async lineBytes(timeoutMs = READ_TIMEOUT_MS): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lf = this.#buf.indexOf(LF);
      if (lf >= 0) {
        if (lf === 0 || this.#buf[lf - 1] !== CR) {
          throw new Error(`bare LF from the server after ${show(this.#buf.subarray(Math.max(0, lf - 60), lf))}`);
        }
        const line = this.#buf.subarray(0, lf - 1);
        this.#buf = this.#buf.subarray(lf + 1);
        return line;
      }
      if (this.#eof) {
        if (this.#buf.length === 0) return null;
        throw new Error(`connection closed after an unterminated line ${show(this.#buf.subarray(0, 200))}`);
      }
      await this.#fill(deadline - Date.now(), timeoutMs);
    }
  }

  /**
   * Returns the next line as text.
   *
   * @throws {Error} when the connection ends instead
   */
  async line(timeoutMs = READ_TIMEOUT_MS): Promise<string> {
    const bytes = await this.lineBytes(timeoutMs);
    if (bytes === null) throw new Error("connection closed while a reply was expected");
    return decode(bytes);
  }

  /** Asserts a status line is positive and returns it. */
  ok(line: string): string {
    assert.match(line, /^\+OK( |$)/, `expected +OK, got ${JSON.stringify(line)}`);
    return line;
  }

  /**
   * Sends one command (CRLF added) and reads its status line, asserting it
   * starts with `expect` ("+OK" or "-ERR") when given.
   */
  async command(line: string, expect?: "+OK" | "-ERR"): Promise<string> {
    await this.write(`${line}\r\n`);
    const reply = await this.line();
    if (expect !== undefined) {
      assert.ok(reply === expect || reply.startsWith(`${expect} `), `${line}: expected ${expect}, got ${reply}`);
    }
    return reply;
  }

  /**
   * Reads the body of a multi-line reply up to its "." line and returns it
   * unstuffed (RFC 1939 §3), each line followed by CRLF.
   */
  async body(timeoutMs = READ_TIMEOUT_MS): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const line = await this.lineBytes(timeoutMs);
      if (line === null) throw new Error("connection closed inside a multi-line reply");
      if (line.length === 1 && line[0] === 0x2e) return concat(parts);
      parts.push(line[0] === 0x2e ? line.subarray(1) : line, CRLF);
    }
  }

  /** Reads a multi-line reply's body as text lines, without the "." line. */
  async bodyLines(): Promise<string[]> {
    const lines = decode(await this.body()).split("\r\n");
    lines.pop();
    return lines;
  }

  /** RETR: the status line and the message as the client sees it (unstuffed). */
  async retr(msg: number): Promise<{ status: string; message: Uint8Array }> {
    const status = await this.command(`RETR ${msg}`, "+OK");
    return { status, message: await this.body() };
  }

  /** LIST or UIDL without argument, as a map from message number to size or id. */
  async listing(verb: "LIST" | "UIDL"): Promise<Map<number, string>> {
    await this.command(verb, "+OK");
    const entries = new Map<number, string>();
    for (const line of await this.bodyLines()) {
      const m = /^(\d+) (\S+)$/.exec(line) ?? assert.fail(`bad ${verb} line ${JSON.stringify(line)}`);
      entries.set(Number(m[1]), m[2]);
    }
    return entries;
  }

  /** Sends QUIT, expects +OK and the end of the connection, then closes. */
  async quit(): Promise<string> {
    const reply = await this.command("QUIT", "+OK");
    assert.equal(await this.lineBytes(), null, "connection closed after QUIT");
    await this.close();
    return reply;
  }

  /** Waits for the server to close the connection; returns what came first, as text. */
  async readToEnd(timeoutMs = READ_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#eof) await this.#fill(deadline - Date.now(), timeoutMs);
    const rest = decode(this.#buf);
    this.#buf = new Uint8Array(0);
    return rest;
  }

  async #fill(leftMs: number, timeoutMs: number): Promise<void> {
    if (leftMs <= 0) throw new ReadTimeout(timeoutMs);
    this.#pending ??= this.#conn.read(this.#chunk).catch((error) => {
      if (error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe) return null;
      throw error;
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), leftMs));
    const n = await Promise.race([this.#pending, timeout]).finally(() => clearTimeout(timer));
    if (n === "timeout") throw new ReadTimeout(timeoutMs);
    this.#pending = undefined;
    if (n === null) this.#eof = true;
    else this.#buf = concat([this.#buf, this.#chunk.slice(0, n)]);
  }

  /** Closes the connection and settles any read still waiting. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by a failed write.
    }
    await this.#pending?.catch(() => null);
    this.#pending = undefined;
  }
}
