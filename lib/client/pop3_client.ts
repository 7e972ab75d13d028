/**
 * A small POP3 client (RFC 1939) over a `LineTransport`: switch to TLS when
 * offered (STLS), log in, list, read headers (TOP, else RETR) or whole messages (RETR),
 * mark for deletion, quit.
 *
 * @module
 */

import { ClientError, type LineTransport } from "./connection.ts";

/** One status line from the server. */
export interface Pop3Reply {
  /** True for "+OK", false for "-ERR". */
  ok: boolean;
  /** The whole line as received, e.g. "+OK vm POP3 server signing off". */
  line: string;
}

/** A message in the maildrop as LIST reports it. */
export interface Pop3Listing {
  /** The server's message number. */
  msg: number;
  /** Its size in octets. */
  size: number;
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

const decoder = new TextDecoder();
const CRLF = new Uint8Array([0x0d, 0x0a]);

/** A POP3 session, from greeting to QUIT. */
export class Pop3Client {
  #transport: LineTransport;
  /** Set when the server answered TOP with -ERR: headers then come from RETR. */
  #topRefused = false;

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
    const capa = await this.#command("CAPA");
    if (!capa.ok) return false;
    const capabilities = await this.#lines("CAPA");
    if (!capabilities.some((line) => /^STLS(\s|$)/i.test(decoder.decode(line)))) return false;
    const go = await this.#command("STLS");
    if (!go.ok) throw new ClientError(`The POP3 server refused STLS: ${go.line}`);
    await this.#transport.startTls();
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
   * Lists the messages not marked as deleted (LIST, RFC 1939 §5).
   *
   * @throws {Pop3Error} on a negative reply
   */
  async list(): Promise<Pop3Listing[]> {
    const lines = await this.#multiline("LIST");
    return lines.map((bytes) => {
      const [msg, size] = decoder.decode(bytes).trim().split(/\s+/).map(Number);
      if (!Number.isInteger(msg) || !Number.isInteger(size)) {
        throw new ClientError(`The POP3 server sent a bad LIST line: ${decoder.decode(bytes)}`);
      }
      return { msg, size };
    });
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
      if (reply.ok) return joinLines(await this.#lines(command));
      this.#topRefused = true;
    }
    return await this.retrieve(msg);
  }

  /**
   * Fetches a whole message (RETR, RFC 1939 §5).
   *
   * @returns the message with CRLF line ends, dot-stuffing removed
   * @throws {Pop3Error} on a negative reply
   */
  async retrieve(msg: number): Promise<Uint8Array> {
    return joinLines(await this.#multiline(`RETR ${msg}`));
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

  /** Sends a command whose positive reply is followed by lines up to a "." line (RFC 1939 §3). */
  async #multiline(command: string): Promise<Uint8Array[]> {
    const reply = await this.#command(command);
    if (!reply.ok) throw new Pop3Error(command, reply);
    return await this.#lines(command);
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

function joinLines(lines: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const l of lines) total += l.length + 2;
  const out = new Uint8Array(total);
  let at = 0;
  for (const l of lines) {
    out.set(l, at);
    out.set(CRLF, at + l.length);
    at += l.length + 2;
  }
  return out;
}
