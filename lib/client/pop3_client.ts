/**
 * A small POP3 client (RFC 1939) over a `LineTransport`: switch to TLS when
 * offered (STLS), log in, count, read headers (TOP, else RETR), the
 * top of a message or the whole of it (RETR), mark for deletion, quit.
 * Commands go out in batches when the server offers PIPELINING (RFC 2449 §6.6).
 *
 * @module
 */

import { ByteBuffer } from "./byte_buffer.ts";
import { ClientError, type LineTransport } from "./connection.ts";

/** One status line from the server. */
export interface Pop3Reply {
  /** True for "+OK", false for "-ERR". */
  ok: boolean;
  /** The whole line as received, e.g. "+OK vm POP3 server signing off". */
  line: string;
}

/** A negative reply to a command that must succeed; the message quotes the server. */
export class Pop3Error extends ClientError {
  /**
   * @param command the command that was sent
   * @param reply the server's reply to it
   */
  constructor(command: string, reply: Pop3Reply) {
    super(`The POP3 server answered ${command} with: ${reply.line}`);
    this.name = "Pop3Error";
  }
}

/** What the client says when another POP3 session holds the maildrop. */
export const MAILBOX_IN_USE = "Your mailbox is open in another POP3 session (another mail program or terminal).";

/** True for a refused login because another session holds the maildrop (RFC 2449 §8.1.1 [IN-USE]). */
export function isInUse(reply: Pop3Reply): boolean {
  return !reply.ok && /^-ERR \[IN-USE\]/i.test(reply.line);
}

const decoder = new TextDecoder();

/** A POP3 session, from greeting to QUIT. */
export class Pop3Client {
  #transport: LineTransport;
  /** Set when the server answered TOP with -ERR: headers then come from RETR. */
  #topRefused = false;
  /** The capabilities from the last CAPA, upper case, first word only. */
  #capabilities = new Set<string>();

  private constructor(transport: LineTransport) {
    this.#transport = transport;
  }

  /**
   * Reads the greeting (RFC 1939 §4).
   *
   * @throws {ClientError} when it is not "+OK" (the transport is then closed)
   */
  static async open(transport: LineTransport): Promise<Pop3Client> {
    const client = new Pop3Client(transport);
    try {
      const greeting = await client.#status();
      if (!greeting.ok) throw new ClientError(`The POP3 server refused the connection: ${greeting.line}`);
      return client;
    } catch (error) {
      await transport.close();
      throw error;
    }
  }

  /**
   * Asks for the capabilities (CAPA, RFC 2449 §5) and, when they include
   * STLS, switches to TLS (RFC 2595 §4). A server without CAPA is left as it is.
   *
   * @returns true when the session now runs over TLS
   * @throws {ClientError} when the server refuses STLS it offered, or TLS fails
   */
  async startTlsIfOffered(): Promise<boolean> {
    if (!await this.#capa()) return false;
    if (!this.#capabilities.has("STLS")) return false;
    const go = await this.#command("STLS");
    if (!go.ok) throw new ClientError(`The POP3 server refused STLS: ${go.line}`);
    await this.#transport.startTls();
    // RFC 2595 §4: what was said before TLS is forgotten; ask again.
    await this.#capa();
    return true;
  }

  /** Reads the capabilities (CAPA); false when the server has no CAPA. */
  async #capa(): Promise<boolean> {
    this.#capabilities.clear();
    const capa = await this.#command("CAPA");
    if (!capa.ok) return false;
    for (const line of await this.#lines("CAPA")) {
      this.#capabilities.add(decoder.decode(line).trim().split(/\s+/)[0].toUpperCase());
    }
    return true;
  }

  /**
   * Logs in with USER and PASS (RFC 1939 §7).
   *
   * @returns the first negative reply, or the positive reply to PASS
   */
  async login(user: string, password: string): Promise<Pop3Reply> {
    if (/[\r\n]/.test(user + password)) return { ok: false, line: "-ERR (not sent: a line break in the input)" };
    const reply = await this.#command(`USER ${user}`);
    return reply.ok ? await this.#command(`PASS ${password}`) : reply;
  }

  /**
   * Checks a user name and password and ends the session at once: USER,
   * PASS and QUIT in one batch when the server offers PIPELINING, so a
   * maildrop locked by the login is released as soon as the server can.
   *
   * @returns the first negative reply of USER and PASS, or the positive reply to PASS
   */
  async checkLogin(user: string, password: string): Promise<Pop3Reply> {
    try {
      if (!this.#capabilities.has("PIPELINING") || /[\r\n]/.test(user + password)) {
        const reply = await this.login(user, password);
        await this.quit();
        return reply;
      }
      await this.#transport.write(`USER ${user}\r\nPASS ${password}\r\nQUIT\r\n`);
      const userReply = await this.#status();
      const passReply = await this.#status();
      // The answer to PASS is all that counts: a server may close without answering QUIT after a failure.
      await this.#status().catch(() => undefined);
      return userReply.ok ? passReply : userReply;
    } finally {
      await this.close();
    }
  }

  /**
   * Counts the messages not marked as deleted and their octets (STAT, RFC 1939 §5).
   *
   * @throws {Pop3Error} on a negative reply, {ClientError} on a bad one
   */
  async stat(): Promise<{ count: number; octets: number }> {
    const reply = await this.#command("STAT");
    if (!reply.ok) throw new Pop3Error("STAT", reply);
    const [count, octets] = reply.line.split(/\s+/).slice(1, 3).map(Number);
    if (!Number.isInteger(count) || !Number.isInteger(octets)) {
      throw new ClientError(`The POP3 server sent a bad STAT reply: ${reply.line}`);
    }
    return { count, octets };
  }

  /**
   * The size of one message in octets (LIST msg, RFC 1939 §5).
   *
   * @throws {Pop3Error} on a negative reply, {ClientError} on a bad one
   */
  async size(msg: number): Promise<number> {
    const reply = await this.#command(`LIST ${msg}`);
    if (!reply.ok) throw new Pop3Error(`LIST ${msg}`, reply);
    const octets = Number(reply.line.split(/\s+/)[2]);
    if (!Number.isInteger(octets)) throw new ClientError(`The POP3 server sent a bad LIST reply: ${reply.line}`);
    return octets;
  }

  /**
   * Fetches a message's header by TOP with no body lines (RFC 1939 §7), or,
   * once the server has refused TOP (an optional command), the whole
   * message by RETR.
   *
   * @returns the message text from its start, with CRLF line ends, dot-stuffing removed
   * @throws {Pop3Error} on a negative reply to RETR
   */
  async headers(msg: number): Promise<Uint8Array> {
    if (!this.#topRefused) {
      const command = `TOP ${msg} 0`;
      const reply = await this.#command(command);
      if (reply.ok) return await this.#collect(command);
      this.#topRefused = true;
    }
    return await this.retrieve(msg);
  }

  /**
   * Fetches the headers of several messages, as `headers` does, in one
   * batch of TOP commands when the server offers PIPELINING.
   *
   * @returns each message's header, in the order of `msgs`
   * @throws {Pop3Error} on a negative reply to RETR
   */
  async headersOf(msgs: readonly number[]): Promise<Uint8Array[]> {
    if (this.#topRefused || !this.#capabilities.has("PIPELINING") || msgs.length < 2) {
      const one: Uint8Array[] = [];
      for (const msg of msgs) one.push(await this.headers(msg));
      return one;
    }
    await this.#transport.write(msgs.map((msg) => `TOP ${msg} 0\r\n`).join(""));
    const found: (Uint8Array | undefined)[] = [];
    for (const msg of msgs) {
      const reply = await this.#status();
      found.push(reply.ok ? await this.#collect(`TOP ${msg} 0`) : undefined);
      if (!reply.ok) this.#topRefused = true;
    }
    const headers: Uint8Array[] = [];
    for (const [i, msg] of msgs.entries()) headers.push(found[i] ?? await this.headers(msg));
    return headers;
  }

  /**
   * Fetches a message's header and its first `lines` body lines (TOP, RFC 1939 §7).
   *
   * @throws {Pop3Error} on a negative reply
   */
  async top(msg: number, lines: number): Promise<Uint8Array> {
    const command = `TOP ${msg} ${lines}`;
    const reply = await this.#command(command);
    if (!reply.ok) throw new Pop3Error(command, reply);
    return await this.#collect(command);
  }

  /**
   * Fetches a whole message (RETR, RFC 1939 §5).
   *
   * @param size the message's size if known, to take the room for it at once
   * @returns the message with CRLF line ends, dot-stuffing removed
   * @throws {Pop3Error} on a negative reply
   */
  async retrieve(msg: number, size?: number): Promise<Uint8Array> {
    const command = `RETR ${msg}`;
    const reply = await this.#command(command);
    if (!reply.ok) throw new Pop3Error(command, reply);
    return await this.#collect(command, size);
  }

  /** Marks a message as deleted (DELE, RFC 1939 §5); it goes when the session ends with QUIT. */
  async delete(msg: number): Promise<Pop3Reply> {
    return await this.#command(`DELE ${msg}`);
  }

  /**
   * Ends the session (QUIT, RFC 1939 §6): the server removes the marked
   * messages and says goodbye. The connection is closed afterwards, even
   * when the server sent nothing.
   */
  async quit(): Promise<Pop3Reply> {
    try {
      return await this.#command("QUIT");
    } finally {
      await this.close();
    }
  }

  /** Closes the connection without QUIT: nothing marked is deleted. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  async #command(line: string): Promise<Pop3Reply> {
    await this.#transport.write(`${line}\r\n`);
    return await this.#status();
  }

  async #status(): Promise<Pop3Reply> {
    const bytes = await this.#transport.readLine();
    if (bytes === null) throw new ClientError("The POP3 server closed the connection");
    const line = decoder.decode(bytes);
    if (!/^(\+OK|-ERR)(\s|$)/.test(line)) throw new ClientError(`The POP3 server sent a bad reply: ${line}`);
    return { ok: line.startsWith("+OK"), line };
  }

  /** Reads a multi-line reply up to its "." line into one block of CRLF lines, removing dot-stuffing. */
  async #collect(command: string, size?: number): Promise<Uint8Array> {
    const buffer = new ByteBuffer(size === undefined ? undefined : size + 1024);
    for (;;) {
      const line = await this.#transport.readLine();
      if (line === null) throw new ClientError(`The POP3 server closed the connection during ${command}`);
      if (line.length === 1 && line[0] === 0x2e) return buffer.bytes();
      buffer.appendLine(line[0] === 0x2e ? line.subarray(1) : line);
    }
  }

  /** Reads the lines of a multi-line reply up to its "." line, removing dot-stuffing. */
  async #lines(command: string): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = [];
    for (;;) {
      const line = await this.#transport.readLine();
      if (line === null) throw new ClientError(`The POP3 server closed the connection during ${command}`);
      if (line.length === 1 && line[0] === 0x2e) return lines;
      lines.push(line[0] === 0x2e ? line.subarray(1) : line);
    }
  }
}
