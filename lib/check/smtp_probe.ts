/**
 * One SMTP connection as the checker drives it: commands and raw bytes out,
 * whole replies in, each reply's syntax checked (RFC 5321 4.2). It works on
 * a `LineTransport`, so it knows no sockets.
 *
 * @module
 */

import type { LineTransport } from "../client/connection.ts";
import { ProtocolError } from "./rule.ts";
import { type CheckedReply, endsReply, replySyntaxError } from "./smtp_reply.ts";

const decoder = new TextDecoder();

/** An SMTP session under test. */
export class SmtpProbe {
  readonly #transport: LineTransport;
  /** The server's greeting (RFC 5321 3.1), read when the connection opened. */
  greeting: CheckedReply = { code: 0, lines: [] };

  /** @param transport the connection, greeting not yet read */
  constructor(transport: LineTransport) {
    this.#transport = transport;
  }

  /** The name to give in EHLO and HELO: this end's address literal (RFC 5321 4.1.3). */
  get name(): string {
    return this.#transport.localAddress;
  }

  /**
   * Reads one whole reply, or null when the server closed the connection before it began.
   *
   * @throws {ProtocolError} for a malformed reply or a close in the middle of one
   */
  async replyOrClose(): Promise<CheckedReply | null> {
    const lines: string[] = [];
    for (;;) {
      const bytes = await this.#transport.readLine();
      if (bytes === null) {
        if (lines.length === 0) return null;
        throw new ProtocolError(`the server closed the connection in the middle of a reply`);
      }
      const line = decoder.decode(bytes);
      lines.push(line);
      if (!endsReply(line) && /^\d{3}-/.test(line)) continue;
      const error = replySyntaxError(lines);
      if (error !== undefined) throw new ProtocolError(`malformed reply: ${error}`);
      return { code: Number(line.slice(0, 3)), lines };
    }
  }

  /**
   * Reads one whole reply.
   *
   * @throws {ProtocolError} when the server closed the connection instead, or the reply is malformed
   */
  async reply(): Promise<CheckedReply> {
    const reply = await this.replyOrClose();
    if (reply === null) throw new ProtocolError("the server closed the connection instead of replying");
    return reply;
  }

  /** Sends one command line (CRLF added) and reads its reply. */
  async command(line: string): Promise<CheckedReply> {
    await this.send(`${line}\r\n`);
    return await this.reply();
  }

  /** Sends bytes as they are: message content, or deliberately malformed lines. */
  async send(text: string): Promise<void> {
    await this.#transport.write(text);
  }

  /**
   * EHLO, which must be answered 250.
   *
   * @throws {ProtocolError} otherwise
   */
  async ehlo(verb = "EHLO"): Promise<CheckedReply> {
    const reply = await this.command(`${verb} ${this.name}`);
    if (reply.code !== 250) throw new ProtocolError(`${verb} was answered ${reply.lines[0]}, not 250`);
    return reply;
  }

  /** Switches to TLS after the server's 220 to STARTTLS (RFC 3207 4). */
  async startTls(): Promise<void> {
    await this.#transport.startTls();
  }

  /** Closes the connection (without QUIT). */
  async close(): Promise<void> {
    await this.#transport.close();
  }
}

/** "250 2.1.0 OK" for a reply: its first line, or "(closed)" for none. */
export function shown(reply: CheckedReply | null): string {
  return reply === null ? "the connection closed" : `"${reply.lines[0]}"`;
}
