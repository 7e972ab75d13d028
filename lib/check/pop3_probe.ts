/**
 * One POP3 connection as the checker drives it: command lines out, status
 * lines and multi-line replies in, as sent (dot-stuffing left in, so that
 * the rules can check it). It works on a `LineTransport`, so it knows no
 * sockets.
 *
 * @module
 */

import type { LineTransport } from "../client/connection.ts";
import { ProtocolError } from "./rule.ts";

const decoder = new TextDecoder();

/** A POP3 session under test. */
export class Pop3Probe {
  readonly #transport: LineTransport;
  /** The server's greeting (RFC 1939 4), read when the connection opened. */
  greeting = "";

  /** @param transport the connection, greeting not yet read */
  constructor(transport: LineTransport) {
    this.#transport = transport;
  }

  /** Reads one line, or null once the server closed the connection. */
  async lineOrClose(): Promise<string | null> {
    const bytes = await this.#transport.readLine();
    return bytes === null ? null : decoder.decode(bytes);
  }

  /**
   * Reads a status line: "+OK…" or "-ERR…" (RFC 1939 3).
   *
   * @throws {ProtocolError} for anything else, or a closed connection
   */
  async status(): Promise<string> {
    const line = await this.lineOrClose();
    if (line === null) throw new ProtocolError("the server closed the connection instead of replying");
    if (!/^(\+OK|-ERR)( |$)/.test(line)) throw new ProtocolError(`"${line}" is no status line (+OK or -ERR)`);
    return line;
  }

  /** Sends one command line and reads its status line. */
  async command(line: string): Promise<string> {
    await this.#transport.write(`${line}\r\n`);
    return await this.status();
  }

  /**
   * Reads the lines of a multi-line reply up to its "." line, as sent (stuffed).
   *
   * @throws {ProtocolError} when the connection closes first
   */
  async lines(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.lineOrClose();
      if (line === null) throw new ProtocolError('the server closed the connection before the multi-line reply\'s "."');
      if (line === ".") return lines;
      lines.push(line);
    }
  }

  /** Sends a command whose +OK is followed by lines; the lines as sent, or the -ERR line. */
  async multi(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.command(line);
    return { status, lines: isOk(status) ? await this.lines() : [] };
  }

  /** Switches to TLS after the server's +OK to STLS (RFC 2595 4). */
  async startTls(): Promise<void> {
    await this.#transport.startTls();
  }

  /** Closes the connection without QUIT: nothing marked deleted may be removed (RFC 1939 6). */
  async close(): Promise<void> {
    await this.#transport.close();
  }
}

/** True for a "+OK" status line. */
export function isOk(status: string): boolean {
  return status.startsWith("+OK");
}

/** Lines of a multi-line reply with their dot-stuffing removed (RFC 1939 3). */
export function unstuff(lines: readonly string[]): string[] {
  return lines.map((line) => line.startsWith(".") ? line.slice(1) : line);
}

/** The octets of a message made of `lines` (unstuffed), each ended by CRLF: what LIST must count (RFC 1939 5). */
export function octets(lines: readonly string[]): number {
  return lines.reduce((n, line) => n + new TextEncoder().encode(line).length + 2, 0);
}
