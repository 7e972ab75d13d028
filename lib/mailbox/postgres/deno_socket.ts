/**
 * A connection for node-postgres on Deno's own sockets (`Deno.connect`)
 * rather than `node:net`, reading into one reused buffer. Under Deno 2.9.6
 * a `node:net` socket that receives a lot (a POP3 session reading its
 * messages) leaves the process's malloc heap tens of MiB larger, still in
 * use after a full garbage collection and after the socket is closed; and
 * a fresh array per read, as node:net gives, piles up as external memory
 * until V8 collects it. node-postgres takes the socket through its
 * `stream` option and uses only what is here.
 *
 * What it emits as "data" is always whole protocol messages (a type octet
 * and a 4-octet length, then the rest), so that node-postgres's parser
 * never keeps a piece of the buffer for later: it parses every message
 * while "data" is emitted, copying what it keeps into strings, and hands
 * out only views (a COPY row's bytes) that its callbacks use at once.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";

/** Octets of the reused read buffer: room for a 64 KiB chunk of a message and its framing, and more. */
const READ_SIZE = 128 * 1024;
/** Octets of a protocol message's type and length. */
const MESSAGE_HEADER = 5;

/** One queued write and who waits for it. */
interface Write {
  data: Uint8Array;
  done?: (error?: Error) => void;
}

/** The part of `net.Socket` that node-postgres's `Connection` uses, over a `Deno.Conn`. */
export class DenoSocket extends EventEmitter {
  /** True from the connection until `end` or `destroy`. */
  writable = false;
  /** True once closed, by either side. */
  destroyed = false;
  #conn: Deno.Conn | undefined;
  /** The same connection when it is TCP (its options apply only then). */
  #tcp: Deno.TcpConn | undefined;
  #noDelay = false;
  #keepAlive = false;
  /** Writes waiting for the connection or for the write before them. */
  #queue: Write[] = [];
  #writing = false;
  #ending = false;

  /** Sets TCP_NODELAY, now or once connected. */
  setNoDelay(noDelay = true): this {
    this.#noDelay = noDelay;
    this.#tcp?.setNoDelay(noDelay);
    return this;
  }

  /** Turns TCP keepalive on (with the system's timing), now or once connected. */
  setKeepAlive(keepAlive = true): this {
    this.#keepAlive = keepAlive;
    this.#tcp?.setKeepAlive(keepAlive);
    return this;
  }

  /** Lets the process exit while the connection is open, as `net.Socket.unref`. */
  unref(): this {
    this.#conn?.unref();
    return this;
  }

  /** Undoes `unref`. */
  ref(): this {
    this.#conn?.ref();
    return this;
  }

  /**
   * Connects to `host`:`port`, or to the Unix socket at `port` when it is a
   * path (node-postgres passes one argument then); emits "connect", or
   * "error" then "close".
   */
  connect(port: number | string, host = "localhost"): this {
    const connecting: Promise<Deno.Conn> = typeof port === "string"
      ? Deno.connect({ transport: "unix", path: port })
      : Deno.connect({ hostname: host, port }).then((tcp) => {
        this.#tcp = tcp;
        tcp.setNoDelay(this.#noDelay);
        if (this.#keepAlive) tcp.setKeepAlive(true);
        return tcp;
      });
    connecting.then((conn) => {
      if (this.destroyed) {
        conn.close();
        return;
      }
      this.#conn = conn;
      this.writable = true;
      this.emit("connect");
      this.#pump();
      this.#read(conn);
    }, (error) => this.#fail(error));
    return this;
  }

  /** Queues bytes (a string as UTF-8); `done` is called once they are written. */
  write(data: Uint8Array | string, done?: (error?: Error) => void): boolean {
    this.#queue.push({ data: typeof data === "string" ? Buffer.from(data) : data, done });
    this.#pump();
    return true;
  }

  /** Closes once the queued writes are out. */
  end(): this {
    this.#ending = true;
    this.writable = false;
    this.#pump();
    return this;
  }

  /** Closes at once, emitting "error" first when `error` is given. */
  destroy(error?: Error): this {
    if (error) this.#fail(error);
    else this.#close();
    return this;
  }

  /** Writes what is queued, in order, the writes of one turn together; then closes if `end` was called. */
  async #pump(): Promise<void> {
    const conn = this.#conn;
    if (this.#writing || conn === undefined) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.destroyed) {
        const batch = this.#queue;
        this.#queue = [];
        const data = batch.length === 1 ? batch[0].data : Buffer.concat(batch.map((w) => w.data));
        let error: Error | undefined;
        try {
          for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
        } catch (failure) {
          error = failure as Error;
        }
        for (const w of batch) w.done?.(error);
        if (error) return this.#fail(error);
      }
      if (this.#ending) this.#close();
    } finally {
      this.#writing = false;
    }
  }

  /**
   * Reads into the buffer and emits the whole messages in it as views of it;
   * an incomplete message's start moves to the front to be completed by the
   * next read. A message larger than the buffer gets a buffer of its own,
   * freed once it has been emitted.
   */
  async #read(conn: Deno.Conn): Promise<void> {
    const home = new Uint8Array(READ_SIZE);
    let buffer = home;
    let held = 0;
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buffer.subarray(held));
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      if (n === null) break;
      held += n;
      const whole = wholeMessages(buffer, held);
      if (whole > 0) {
        this.emit("data", Buffer.from(buffer.buffer, buffer.byteOffset, whole));
        buffer.copyWithin(0, whole, held);
        held -= whole;
      }
      const next = held < MESSAGE_HEADER ? 0 : 1 + new DataView(buffer.buffer, buffer.byteOffset).getUint32(1);
      const room = Math.max(next, held);
      if (room > buffer.length || (buffer !== home && room <= home.length)) {
        const other = room > home.length ? new Uint8Array(room) : home;
        other.set(buffer.subarray(0, held));
        // A buffer of a single message's own is freed at once: what was emitted from it has been parsed.
        if (buffer !== home) buffer.buffer.transfer(0);
        buffer = other;
      }
    }
    if (!this.destroyed) this.emit("end");
    this.#close();
  }

  #fail(error: Error): void {
    if (this.destroyed) return;
    this.emit("error", withCode(error));
    this.#close();
  }

  #close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.writable = false;
    try {
      this.#conn?.close();
    } catch {
      // Closed already: the peer went first.
    }
    this.emit("close", false);
  }
}

/** Octets at the start of `bytes[0..held)` that are whole protocol messages. */
function wholeMessages(bytes: Uint8Array, held: number): number {
  let at = 0;
  while (at + MESSAGE_HEADER <= held) {
    const length = (bytes[at + 1] << 24 | bytes[at + 2] << 16 | bytes[at + 3] << 8 | bytes[at + 4]) >>> 0;
    if (at + 1 + length > held) break;
    at += 1 + length;
  }
  return at;
}

/** node:net's error codes for Deno's errors: node-postgres ignores a reset or a broken pipe while it ends. */
const CODES: [new (...args: never[]) => Error, string][] = [
  [Deno.errors.ConnectionReset, "ECONNRESET"],
  [Deno.errors.BrokenPipe, "EPIPE"],
  [Deno.errors.ConnectionRefused, "ECONNREFUSED"],
  [Deno.errors.TimedOut, "ETIMEDOUT"],
];

/** `error`, given node:net's `code` for it when it has none. */
function withCode(error: Error): Error {
  const coded = error as Error & { code?: string };
  coded.code ??= CODES.find(([type]) => error instanceof type)?.[1];
  return error;
}
