/**
 * A small POP3 client for integration tests (RFC 1939): raw bytes out,
 * status lines and multi-line replies in. It reads its `LineClient` as bytes,
 * not text, and insists on CRLF, so a retrieved message can be compared byte
 * for byte and a bare LF from the server is an error, not a line end.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat, decode, encode } from "./bytes.ts";
import { LineClient, READ_TIMEOUT_MS } from "./line_client.ts";

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
  #client: LineClient;

  private constructor(client: LineClient) {
    this.#client = client;
  }

  /** Connects without reading the greeting. */
  static async connect(port: number): Promise<Pop3Client> {
    return new Pop3Client(await LineClient.connect(port));
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
  write(data: string | Uint8Array): Promise<void> {
    return this.#client.write(data);
  }

  /**
   * Returns the next line's bytes without CRLF, or `null` at the end of the
   * stream.
   *
   * @throws {Error} on a bare LF or an unterminated last line
   * @throws {ReadTimeout} when no complete line arrives within `timeoutMs`
   */
  lineBytes(timeoutMs = READ_TIMEOUT_MS): Promise<Uint8Array | null> {
    return this.#client.readLineBytes(timeoutMs, true);
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
  readToEnd(timeoutMs = READ_TIMEOUT_MS): Promise<string> {
    return this.#client.readToEnd(timeoutMs);
  }

  /** Closes the connection and settles any read still waiting. Safe to call twice. */
  close(): Promise<void> {
    return this.#client.close();
  }
}

/** The UIDL of each of `user`'s messages, in order, from a session of its own that ends with QUIT. */
export async function uidlsOf(port: number, user: string): Promise<string[]> {
  const client = await Pop3Client.login(port, user);
  try {
    return [...(await client.listing("UIDL")).values()];
  } finally {
    await client.command("QUIT", "+OK");
    await client.close();
  }
}
