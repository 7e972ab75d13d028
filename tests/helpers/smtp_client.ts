/**
 * A tiny SMTP client for integration tests: raw bytes out, whole replies in
 * (RFC 5321 §4.2.1: a reply ends at the line with a space, or nothing,
 * after its code).
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat, encode } from "./bytes.ts";
import { LineClient, READ_TIMEOUT_MS } from "./line_client.ts";
import { splitCrlf } from "./mailbox_file.ts";

/** One SMTP reply as received. */
export interface SmtpReply {
  /** The reply code. */
  code: number;
  /** Every line of the reply, without CRLF. */
  lines: string[];
  /** The last line, e.g. "250 2.0.0 OK queued as ...". */
  last: string;
}

/** An envelope and message for `SmtpClient.send`. */
export interface Envelope {
  /** Reverse path, without angle brackets ("" for the null path). */
  from: string;
  /** Forward paths, without angle brackets. */
  to: string[];
  /** The message, CRLF line ends, not yet dot-stuffed; a missing final CRLF is added. */
  data: string | Uint8Array;
}

/** An SMTP connection to the server under test. */
export class SmtpClient {
  /** The underlying line connection, for raw writes and reads. */
  readonly conn: LineClient;

  private constructor(conn: LineClient) {
    this.conn = conn;
  }

  /** Connects without reading anything. */
  static async connect(port: number): Promise<SmtpClient> {
    return new SmtpClient(await LineClient.connect(port));
  }

  /** Connects, checks the 220 greeting and says EHLO `helo`. */
  static async open(port: number, helo = "client.test"): Promise<SmtpClient> {
    const client = await SmtpClient.connect(port);
    try {
      await client.expect(220);
      await client.command(`EHLO ${helo}`, 250);
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /**
   * Reads one whole reply.
   *
   * @throws {Error} when the connection ends first or a line is not a reply line
   */
  async reply(timeoutMs = READ_TIMEOUT_MS): Promise<SmtpReply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.conn.readLine(timeoutMs);
      if (line === null) throw new Error(`connection closed after ${JSON.stringify(lines)}`);
      if (!/^\d{3}[ -]?/.test(line)) throw new Error(`not a reply line: ${JSON.stringify(line)}`);
      lines.push(line);
      if (line.length === 3 || line[3] === " ") {
        return { code: Number(line.slice(0, 3)), lines, last: line };
      }
    }
  }

  /** Reads one reply and asserts its code. */
  async expect(code: number, timeoutMs?: number): Promise<SmtpReply> {
    const r = await this.reply(timeoutMs);
    assert.equal(r.code, code, `expected ${code}, got ${JSON.stringify(r.lines)}`);
    return r;
  }

  /** Sends bytes as they are. */
  write(data: string | Uint8Array): Promise<void> {
    return this.conn.write(data);
  }

  /** Sends one command line (CRLF added) and reads its reply, asserting its code when given. */
  async command(line: string, code?: number): Promise<SmtpReply> {
    await this.conn.write(`${line}\r\n`);
    return code === undefined ? await this.reply() : await this.expect(code);
  }

  /**
   * Runs one transaction: MAIL, each RCPT (each must get 250), DATA, the
   * stuffed message and its end marker.
   *
   * @returns the reply to the end of data
   */
  async send(envelope: Envelope): Promise<SmtpReply> {
    await this.command(`MAIL FROM:<${envelope.from}>`, 250);
    for (const to of envelope.to) await this.command(`RCPT TO:<${to}>`, 250);
    await this.command("DATA", 354);
    await this.conn.write(stuff(envelope.data));
    return await this.reply();
  }

  /** Sends QUIT and expects 221, then closes. */
  async quit(): Promise<void> {
    await this.command("QUIT", 221);
    await this.close();
  }

  /** Closes the connection. Safe to call twice. */
  close(): Promise<void> {
    return this.conn.close();
  }
}

/**
 * Dot-stuffs a message (RFC 5321 §4.5.2) and appends the end marker. The
 * message must use CRLF line ends; a missing final CRLF is added.
 */
export function stuff(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === "string" ? encode(message) : message;
  const lines = splitCrlf(bytes);
  const last = lines.pop()!;
  if (last.length > 0) lines.push(last);
  const dot = encode(".");
  const crlf = encode("\r\n");
  return concat([...lines.flatMap((l) => l[0] === 0x2e ? [dot, l, crlf] : [l, crlf]), encode(".\r\n")]);
}

/** Normalises line ends to CRLF, as the server stores bare CR and bare LF. */
export function toCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** The seed's example mail (lab assignment, "Send mail"), as the client sends it. */
export const SEED_MAIL = "From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Network Lab Experiment 7\r\n" +
  "\r\nYou have learned SMTP very well. Keep It Up!!!\r\n";
