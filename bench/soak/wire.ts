/**
 * The client end of one soak session: a TCP connection to 127.0.0.1 read
 * line by line under a deadline, SMTP and POP3 replies, and the
 * STARTTLS/STLS upgrade with `Deno.startTls`.
 *
 * @module
 */

import { SourceConn } from "./source_conn.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LF = 0x0a;
const CR = 0x0d;
const READ_SIZE = 16 * 1024;

/** What the load counts as an error: a reply it did not expect, a failed connection, a deadline passed. */
export class SoakError extends Error {
  /** @param message one line saying what went wrong */
  constructor(message: string) {
    super(message);
    this.name = "SoakError";
  }
}

/** An SMTP reply (RFC 5321 §4.2): its code and the text of its last line. */
export interface SmtpReply {
  /** The three-digit code. */
  code: number;
  /** The last line, code included. */
  last: string;
}

/** One client connection. Every method throws `SoakError` on a failure; `close` never throws. */
export class Wire {
  #conn: Deno.Conn | SourceConn;
  #pending = new Uint8Array(0);
  #timer: ReturnType<typeof setTimeout>;
  #closed = false;
  #timedOut = false;

  private constructor(conn: Deno.Conn | SourceConn, deadlineMs: number) {
    this.#conn = conn;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.close();
    }, deadlineMs);
  }

  /**
   * Connects to 127.0.0.1:`port`, from 127.0.0.1 or else from `source` (no
   * TLS then); the connection is closed when `deadlineMs` passes.
   *
   * @throws {SoakError} when the connection fails
   */
  static async open(port: number, deadlineMs: number, source?: string): Promise<Wire> {
    try {
      const conn = source === undefined
        ? await Deno.connect({ hostname: "127.0.0.1", port })
        : await SourceConn.connect(port, source);
      return new Wire(conn, deadlineMs);
    } catch (error) {
      throw new SoakError(`connect failed: ${(error as Error).message}`);
    }
  }

  /** Reads one line without its CRLF; null when the server closed first. */
  async line(): Promise<string | null> {
    for (;;) {
      const lf = this.#pending.indexOf(LF);
      if (lf >= 0) {
        const end = lf > 0 && this.#pending[lf - 1] === CR ? lf - 1 : lf;
        const text = decoder.decode(this.#pending.subarray(0, end));
        this.#pending = this.#pending.subarray(lf + 1);
        return text;
      }
      if (!await this.#fill()) return null;
    }
  }

  /** Reads one line, failing at the end of input. */
  async #needLine(what: string): Promise<string> {
    const line = await this.line();
    if (line === null) throw new SoakError(`${what}: connection closed by the server`);
    return line;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(READ_SIZE);
    let n: number | null;
    try {
      n = await this.#conn.read(chunk);
    } catch (error) {
      throw this.#failure("read", error);
    }
    if (n === null) return false;
    const joined = new Uint8Array(this.#pending.length + n);
    joined.set(this.#pending);
    joined.set(chunk.subarray(0, n), this.#pending.length);
    this.#pending = joined;
    return true;
  }

  #failure(what: string, error: unknown): SoakError {
    if (this.#timedOut) return new SoakError(`${what}: session deadline passed`);
    return new SoakError(`${what} failed: ${(error as Error).message}`);
  }

  /** Writes all of `data` (a string is sent as UTF-8). */
  async send(data: string | Uint8Array): Promise<void> {
    let bytes = typeof data === "string" ? encoder.encode(data) : data;
    try {
      while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
    } catch (error) {
      throw this.#failure("write", error);
    }
  }

  /** Reads an SMTP reply, all its lines (RFC 5321 §4.2.1). */
  async smtp(what: string): Promise<SmtpReply> {
    for (;;) {
      const line = await this.#needLine(what);
      if (!/^\d{3}[ -]/.test(line) && !/^\d{3}$/.test(line)) throw new SoakError(`${what}: not a reply: ${line}`);
      if (line[3] !== "-") return { code: Number(line.slice(0, 3)), last: line };
    }
  }

  /**
   * Reads an SMTP reply that must have `code`.
   *
   * @throws {SoakError} naming `what` and the reply otherwise
   */
  async expectSmtp(code: number, what: string): Promise<SmtpReply> {
    const reply = await this.smtp(what);
    if (reply.code !== code) throw new SoakError(`${what}: expected ${code}, got ${reply.last.slice(0, 80)}`);
    return reply;
  }

  /** Sends `command` and reads a reply that must have `code`. */
  async command(command: string, code: number): Promise<SmtpReply> {
    await this.send(`${command}\r\n`);
    return await this.expectSmtp(code, command.split(" ")[0]);
  }

  /** Reads a POP3 status line (RFC 1939 §3). */
  async pop3(what: string): Promise<string> {
    const line = await this.#needLine(what);
    if (!line.startsWith("+OK") && !line.startsWith("-ERR") && !line.startsWith("+ ")) {
      throw new SoakError(`${what}: not a reply: ${line.slice(0, 80)}`);
    }
    return line;
  }

  /** Sends a POP3 command and reads a status line that must be +OK. */
  async ok(command: string): Promise<string> {
    await this.send(`${command}\r\n`);
    const what = command.split(" ")[0];
    const line = await this.pop3(what);
    if (!line.startsWith("+OK")) throw new SoakError(`${what}: expected +OK, got ${line.slice(0, 80)}`);
    return line;
  }

  /** Reads the body of a POP3 multi-line reply up to its "." line; returns the octets read. */
  async multiline(what: string): Promise<number> {
    let octets = 0;
    for (;;) {
      const line = await this.#needLine(what);
      if (line === ".") return octets;
      octets += line.length + 2;
    }
  }

  /**
   * Starts TLS as the client, trusting `caCerts`, after the server's
   * go-ahead. Nothing may be left unread.
   */
  async startTls(caCerts: string[]): Promise<void> {
    if (this.#pending.length > 0) throw new SoakError("STARTTLS: the server sent more than its go-ahead");
    if (this.#conn instanceof SourceConn) throw new SoakError("STARTTLS: not from a chosen source address");
    try {
      const tls = await Deno.startTls(this.#conn as Deno.TcpConn, { hostname: "localhost", caCerts });
      this.#conn = tls;
      // The deadline may have closed the plain connection while the upgrade ran: close the new one too.
      if (this.#closed) tls.close();
      await tls.handshake();
    } catch (error) {
      throw this.#failure("TLS handshake", error);
    }
  }

  /** Closes the connection at once, unread input or not (the server may see a reset). */
  close(): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the other side's failure: nothing left to release.
    }
  }
}
