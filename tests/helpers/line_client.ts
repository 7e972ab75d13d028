/**
 * A small TCP client for line protocols (SMTP, POP3) over `Deno.connect`:
 * sends raw bytes, reads CRLF lines with a timeout, switches to TLS on
 * request, and never leaves a read pending after `close` (tests run with
 * `--sanitize-ops`).
 *
 * @module
 */

import { concat, encode, show } from "./bytes.ts";

/** Thrown by a read that waited longer than its timeout. */
export class ReadTimeout extends Error {
  /** @param ms how long the read waited */
  constructor(ms: number) {
    super(`no data from the server within ${ms} ms`);
    this.name = "ReadTimeout";
  }
}

/** Default milliseconds a read waits for the server. */
export const READ_TIMEOUT_MS = 10_000;

/** A connection to 127.0.0.1 that reads lines. */
export class LineClient {
  #tcp: Deno.TcpConn;
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  #pending: Promise<number | null> | undefined;
  #chunk = new Uint8Array(64 * 1024);
  #eof = false;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.#tcp = conn;
    this.#conn = conn;
  }

  /** Connects to 127.0.0.1:`port`, with Nagle's algorithm off so each write leaves at once. */
  static async connect(port: number): Promise<LineClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new LineClient(conn);
  }

  /**
   * Runs a TLS handshake over the connection (after a STARTTLS or STLS
   * go-ahead), trusting `caCerts`, and discards anything still buffered from
   * before it.
   *
   * @throws {Error} when the handshake fails or does not finish within `timeoutMs`
   */
  async startTls(caCerts: string[], hostname = "127.0.0.1", timeoutMs = READ_TIMEOUT_MS): Promise<void> {
    if (this.#pending) throw new Error("cannot start TLS with a read pending");
    this.#buf = new Uint8Array(0);
    const tls = await Deno.startTls(this.#tcp, { hostname, caCerts });
    this.#conn = tls;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`TLS handshake not done within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([tls.handshake(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends all of `data` (text is sent as UTF-8). */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encode(data) : data;
    for (let done = 0; done < bytes.length;) done += await this.#conn.write(bytes.subarray(done));
  }

  /**
   * Returns the next line without its CRLF (or bare LF), or `null` at end of
   * stream; a final unterminated fragment is returned as a line.
   *
   * @throws {ReadTimeout} when nothing complete arrives within `timeoutMs`
   */
  async readLine(timeoutMs = READ_TIMEOUT_MS): Promise<string | null> {
    const bytes = await this.readLineBytes(timeoutMs);
    return bytes === null ? null : new TextDecoder().decode(bytes);
  }

  /**
   * Returns the next line's bytes without its line end, or `null` at end of
   * stream. Lenient, a bare LF ends a line and a final unterminated fragment
   * is a line; `strict` (servers must send CRLF) makes both an error.
   *
   * @throws {Error} in strict mode, on a bare LF or an unterminated last line
   * @throws {ReadTimeout} when nothing complete arrives within `timeoutMs`
   */
  async readLineBytes(timeoutMs = READ_TIMEOUT_MS, strict = false): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lf = this.#buf.indexOf(0x0a);
      if (lf >= 0) {
        const crlf = lf > 0 && this.#buf[lf - 1] === 0x0d;
        if (strict && !crlf) {
          throw new Error(`bare LF from the server after ${show(this.#buf.subarray(Math.max(0, lf - 60), lf))}`);
        }
        const line = this.#buf.subarray(0, crlf ? lf - 1 : lf);
        this.#buf = this.#buf.subarray(lf + 1);
        return line;
      }
      if (this.#eof) {
        if (this.#buf.length === 0) return null;
        if (strict) throw new Error(`connection closed after an unterminated line ${show(this.#buf.subarray(0, 200))}`);
        const rest = this.#buf;
        this.#buf = new Uint8Array(0);
        return rest;
      }
      await this.#fill(deadline - Date.now(), timeoutMs);
    }
  }

  /**
   * Waits for the server to close the connection.
   *
   * @returns whatever arrived before the end, as text
   * @throws {ReadTimeout} when the connection stays open past `timeoutMs`
   */
  async readToEnd(timeoutMs = READ_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#eof) await this.#fill(deadline - Date.now(), timeoutMs);
    const rest = new TextDecoder().decode(this.#buf);
    this.#buf = new Uint8Array(0);
    return rest;
  }

  /** True when the server has closed its side and everything was read. */
  get atEnd(): boolean {
    return this.#eof && this.#buf.length === 0;
  }

  async #fill(leftMs: number, timeoutMs: number): Promise<void> {
    if (leftMs <= 0) throw new ReadTimeout(timeoutMs);
    this.#pending ??= this.#conn.read(this.#chunk).catch((error) => {
      // A reset by the peer ends the stream like a close does.
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
