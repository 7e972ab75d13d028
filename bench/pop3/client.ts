/**
 * A small POP3 client for the benchmark: single commands, multi-line replies
 * read without decoding them, and RETR pipelined in batches (RFC 2449
 * PIPELINING).
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const BUFFER = 256 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where and as whom to log in. */
export interface Pop3Login {
  /** Port on 127.0.0.1. */
  port: number;
  /** User name as given to USER. */
  user: string;
  /** Password as given to PASS. */
  password: string;
}

/** One open POP3 connection. */
export class Pop3Client {
  readonly #conn: Deno.TcpConn;
  #buf = new Uint8Array(BUFFER);
  /** First unread byte; the two bytes before it are kept for look-behind. */
  #start = 2;
  /** End of the buffered bytes. */
  #end = 2;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
  }

  /** Connects and reads the greeting. */
  static async connect(port: number): Promise<Pop3Client> {
    const client = new Pop3Client(await Deno.connect({ hostname: "127.0.0.1", port }));
    await client.#status("greeting");
    return client;
  }

  /** Connects, then USER and PASS. */
  static async login(login: Pop3Login): Promise<Pop3Client> {
    const client = await Pop3Client.connect(login.port);
    await client.command(`USER ${login.user}`);
    await client.command(`PASS ${login.password}`);
    return client;
  }

  /**
   * Sends one command and resolves to its "+OK" status line.
   *
   * @throws {Error} on a "-ERR" reply or a closed connection.
   */
  async command(line: string): Promise<string> {
    await this.#write(`${line}\r\n`);
    return await this.#status(line.startsWith("PASS ") ? "PASS" : line);
  }

  /**
   * Sends a command with a multi-line reply and reads the reply.
   *
   * @param collect Receives the body's stored (dot-stuffed) bytes when given.
   * @returns The body's octets as sent, dot-stuffing included, terminator not.
   */
  async multiline(line: string, collect?: Uint8Array[]): Promise<number> {
    await this.#write(`${line}\r\n`);
    await this.#status(line);
    return await this.#body(collect);
  }

  /**
   * Retrieves messages `1..count` with RETR commands sent `batch` at a time:
   * the next batch leaves before the replies to the current one are read.
   *
   * @returns The octets of all bodies as sent, terminators not included.
   */
  async retrPipelined(count: number, batch: number): Promise<number> {
    const send = (from: number) => {
      const to = Math.min(count, from + batch - 1);
      let text = "";
      for (let i = from; i <= to; i++) text += `RETR ${i}\r\n`;
      return this.#write(text);
    };
    let octets = 0;
    if (count > 0) await send(1);
    for (let from = 1; from <= count; from += batch) {
      if (from + batch <= count) await send(from + batch);
      const to = Math.min(count, from + batch - 1);
      for (let i = from; i <= to; i++) {
        await this.#status(`RETR ${i}`);
        octets += await this.#body();
      }
    }
    return octets;
  }

  /** Sends QUIT, reads the reply and closes. */
  async quit(): Promise<void> {
    try {
      await this.command("QUIT");
    } finally {
      this.close();
    }
  }

  /** Closes the connection without QUIT. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #write(text: string): Promise<void> {
    const bytes = encoder.encode(text);
    for (let done = 0; done < bytes.length;) done += await this.#conn.write(bytes.subarray(done));
  }

  /** Reads more input, keeping the unread bytes and the two before them. */
  async #fill(): Promise<void> {
    const keep = this.#start - 2;
    if (keep > 0 && this.#end > this.#buf.length - BUFFER / 4) {
      this.#buf.copyWithin(0, keep, this.#end);
      this.#start -= keep;
      this.#end -= keep;
    }
    if (this.#end === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf.subarray(0, this.#end));
      this.#buf = bigger;
    }
    const n = await this.#conn.read(this.#buf.subarray(this.#end));
    if (n === null) throw new Error("Connection closed by the server");
    this.#end += n;
  }

  /** Reads one status line; throws unless it starts with "+OK". */
  async #status(what: string): Promise<string> {
    for (let from = this.#start;;) {
      const lf = this.#buf.subarray(from, this.#end).indexOf(LF);
      if (lf >= 0) {
        const line = decoder.decode(this.#buf.subarray(this.#start, from + lf)).replace(/\r$/, "");
        this.#start = from + lf + 1;
        if (!line.startsWith("+OK")) throw new Error(`${what}: ${line}`);
        return line;
      }
      from = this.#end;
      const shift = this.#start;
      await this.#fill();
      from -= shift - this.#start;
    }
  }

  /** Reads a multi-line body up to and including its ".\r\n" line. */
  async #body(collect?: Uint8Array[]): Promise<number> {
    let octets = 0;
    // The status line's CRLF sits just before #start, so the body's first
    // line looks like any other for the look-behind below.
    let scan = this.#start;
    for (;;) {
      const buf = this.#buf;
      const view = buf.subarray(0, this.#end);
      for (let d = view.indexOf(DOT, scan); d >= 0 && d + 2 < this.#end; d = view.indexOf(DOT, d + 1)) {
        if (buf[d - 1] === LF && buf[d - 2] === CR && buf[d + 1] === CR && buf[d + 2] === LF) {
          collect?.push(buf.slice(this.#start, d));
          octets += d - this.#start;
          this.#start = d + 3;
          return octets;
        }
      }
      // No end yet: everything but a possible partial end line is body.
      const safe = Math.max(this.#start, this.#end - 2);
      collect?.push(buf.slice(this.#start, safe));
      octets += safe - this.#start;
      this.#start = safe;
      await this.#fill();
      scan = this.#start;
    }
  }
}
