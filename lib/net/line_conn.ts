/**
 * A line-oriented connection over a Node-style socket: with its output side
 * (`SocketWriter`), the only place in the servers that touches sockets,
 * including the upgrade to TLS.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import { type Line, LineSplitter } from "./line_splitter.ts";
import { type Expiry, ReadWatch } from "./read_watch.ts";
import { SocketWriter } from "./socket_writer.ts";
import { acceptTls, HANDSHAKE_TIMEOUT_MS, type TlsIdentity } from "./tls.ts";

/**
 * Why `readLine` returned no line: the input ended or the connection failed
 * ("eof"); the client sent nothing, or took none of the output, for the idle
 * timeout, or missed a line or data-rate deadline ("timeout"); it made no
 * progress in time (`expectProgress`: "stalled"); it sent more than
 * `maxLineRun` octets without a line end, and the rest of its input is
 * refused ("overflow"); the signal was aborted ("aborted").
 */
export type ReadEnd = "eof" | "timeout" | "aborted" | "stalled" | "overflow";

/** Options for a `LineConn`. */
export interface LineConnOptions {
  /** Milliseconds without input after which `readLine` gives up, and without output taken after which the connection is dropped. */
  idleTimeoutMs: number;
  /** Aborting it makes a waiting `readLine` return "aborted" (server shutdown, or the session evicted). */
  signal?: AbortSignal;
  /**
   * Milliseconds within which a line must be complete once its first byte
   * arrived, however slowly its bytes trickle in (slowloris); a read waiting
   * past it returns "timeout". No limit when undefined.
   */
  lineTimeoutMs?: number;
  /**
   * Bytes per second that a run of `readChunk` calls (SMTP DATA) must
   * average, after a grace of `lineTimeoutMs`. No limit when undefined.
   */
  minDataRate?: number;
  /**
   * Octets a client may send without a line end, in any phase, beyond which
   * its further input is not read at all and reads return "overflow" once
   * what came before is used up: a client sending an endless line is cut off
   * after this much, rather than read and discarded for as long as it likes.
   * No limit when undefined.
   */
  maxLineRun?: number;
}

/** Input is paused once this much is buffered and not yet read as lines. */
const HIGH_WATER = 256 * 1024;

/** How often idle connections are looked for; a timeout fires up to this late. */
const SWEEP_MS = 250;

/**
 * Reads lines from and writes bytes to one connection. Output is buffered
 * and flushed whenever the reader is about to wait for input, so replies to
 * pipelined commands leave in one write (RFC 2920).
 */
export class LineConn {
  #socket: Duplex;
  #splitter = new LineSplitter();
  #writer: SocketWriter;
  /** The client has finished sending (it may still read). */
  #inputEnded = false;
  /** The socket is closed or failed: nothing more can be written. */
  #ended = false;
  /** The socket was dropped because the client took no output for the idle timeout. */
  #timedOut = false;
  #closed = false;
  #wake: ((woke: boolean) => void) | undefined;
  #options: LineConnOptions;
  /** The deadlines and the run without a line end. */
  #input: ReadWatch;
  /** Why the last wait for input ended without input. */
  #expiry: Expiry = "timeout";
  /** The client sent more than `maxLineRun` octets without a line end: nothing more is read. */
  #overflow = false;

  // One timer checks every connection's idle time, rather than a timer per read.
  static #watched = new Set<LineConn>();
  static #sweeper: ReturnType<typeof setInterval> | undefined;

  static #sweep(): void {
    const now = Date.now();
    for (const conn of LineConn.#watched) {
      const { idleTimeoutMs } = conn.#options;
      // A client that stops reading is as idle as one that stops sending: its session must not hold on for ever.
      const waitingSince = conn.#writer.waitingSince;
      if (waitingSince !== undefined && now - waitingSince >= idleTimeoutMs) {
        conn.#timedOut = true;
        conn.#socket.destroy();
      }
      if (!conn.#wake) continue;
      const expiry = conn.#input.expired(now);
      if (expiry === undefined) continue;
      conn.#expiry = expiry;
      conn.#wake(false);
    }
  }

  #watch(on: boolean): void {
    if (on) {
      LineConn.#watched.add(this);
      LineConn.#sweeper ??= setInterval(LineConn.#sweep, SWEEP_MS);
    } else if (LineConn.#watched.delete(this) && LineConn.#watched.size === 0) {
      clearInterval(LineConn.#sweeper);
      LineConn.#sweeper = undefined;
    }
  }

  /** Wraps a connected socket; the caller must not read from it any more. */
  constructor(socket: Duplex, options: LineConnOptions) {
    this.#socket = socket;
    this.#writer = new SocketWriter(socket, () => this.#ended);
    this.#options = options;
    this.#input = new ReadWatch(options, Date.now());
    this.#watch(true);
    this.#listen(socket);
    options.signal?.addEventListener("abort", this.#onAbort);
  }

  /** Wakes a waiting read at shutdown; removed when the connection ends, so the server-wide signal holds no finished connection. */
  #onAbort = (): void => this.#wakeReader();

  /** Stops watching the connection and the server's signal: it holds nothing shared any more. */
  #release(): void {
    this.#watch(false);
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
  }

  #onData = (data: Uint8Array): void => {
    // The socket gives Node Buffers, whose indexOf and includes are slow JavaScript: search a plain view instead.
    const chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.#overflow) return;
    this.#overflow = this.#input.input(chunk, Date.now());
    this.#splitter.push(chunk);
    // Past the longest run, the socket is not read any more: the client's sending stalls instead of our memory growing.
    if (this.#overflow || this.#splitter.buffered > HIGH_WATER) this.#socket.pause();
    this.#wakeReader();
  };

  #listen(socket: Duplex): void {
    socket.on("data", this.#onData);
    socket.on("end", () => this.#endInput());
    socket.on("close", () => this.#finish());
    socket.on("error", () => this.#finish());
  }

  /**
   * Sends the queued output (the go-ahead reply) in plaintext, then runs the
   * server side of a TLS handshake; afterwards lines are read and written
   * through TLS. Everything received but not yet read is discarded first:
   * commands pipelined behind STARTTLS in plaintext must never be taken as
   * if they had come through TLS (the STARTTLS command-injection attacks,
   * CVE-2011-0411 and kin; RFC 3207 §4.2).
   *
   * @returns undefined once TLS is up, or why the handshake failed; the
   *   connection is then at its end, and only `close` is left to do
   */
  async startTls(identity: TlsIdentity): Promise<string | undefined> {
    const plain = this.#socket;
    // Stop taking plaintext before anything else: the client's handshake may
    // follow the go-ahead at once, and must reach TLS, not the splitter.
    plain.pause();
    plain.off("data", this.#onData);
    this.#splitter.take();
    this.#input.dropPartial();
    this.#writer.send(plain);
    // A client that ended its input before the handshake cannot send one: no wait for its timeout.
    if (this.#inputEnded) {
      this.#finish();
      return "connection closed before the TLS handshake";
    }
    const secure = await acceptTls(plain, identity, HANDSHAKE_TIMEOUT_MS);
    if (secure instanceof Error) {
      this.#finish();
      return secure.message;
    }
    this.#socket = secure;
    this.#writer.socket = secure;
    this.#listen(secure);
    return undefined;
  }

  /**
   * Returns the next line, waiting for input if needed (after flushing any
   * buffered output), or why none will come.
   *
   * @param limit the longest line accepted, in octets including CRLF
   */
  readLine(limit: number): Promise<Line | ReadEnd> {
    this.#input.lines();
    return this.#read(() => this.#splitter.next(limit));
  }

  /**
   * Returns whatever input is buffered, waiting for some if there is none
   * (after flushing output), or why none will come. Give back what is not
   * used with `unread`. Calls with no `readLine` between them are one bulk
   * transfer, which `minDataRate` applies to.
   */
  readChunk(): Promise<Uint8Array | ReadEnd> {
    this.#input.bulk(Date.now());
    return this.#read(() => this.#splitter.buffered > 0 ? this.#splitter.take() : undefined);
  }

  async #read<T>(take: () => T | undefined): Promise<T | ReadEnd> {
    for (;;) {
      // Over a failed or closed socket no reply can reach the client: what it
      // sent and was not yet read (a pipelined DELE and QUIT, say) is dropped.
      if (this.#ended) return this.#timedOut ? "timeout" : "eof";
      const got = take();
      if (got !== undefined) return got;
      if (this.#overflow) return "overflow";
      if (this.#options.signal?.aborted) return "aborted";
      if (this.#inputEnded) return "eof";
      await this.flush();
      // The flush may have ended with the socket (a client that took no output), or the client's end of input may
      // have come while it waited: nothing will wake a wait then.
      if (this.#ended || this.#inputEnded) continue;
      if (this.#socket.isPaused()) this.#socket.resume();
      const woke = await this.#waitForInput();
      if (!woke) return this.#expiry;
    }
  }

  /** Returns the unused tail of a `readChunk` result to the front of the input. */
  unread(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#splitter.unshift(bytes);
  }

  /**
   * Expects the session to make progress within `withinMs` from now (a
   * login, a message): a read waiting past it returns "stalled", unless a
   * bulk transfer (`readChunk`) is going on. When undefined, no progress is
   * expected.
   */
  expectProgress(withinMs: number | undefined): void {
    this.#input.expectProgress(withinMs, Date.now());
  }

  /** Resolves true when input (or its end) arrives, false when a deadline passes first. */
  #waitForInput(): Promise<boolean> {
    this.#input.waiting(Date.now());
    return new Promise((resolve) => {
      this.#wake = (woke) => {
        this.#wake = undefined;
        resolve(woke);
      };
    });
  }

  #wakeReader(): void {
    this.#wake?.(true);
  }

  /** The client half-closed: reads end, while replies to what it sent may still go out. */
  #endInput(): void {
    this.#inputEnded = true;
    this.#wakeReader();
  }

  #finish(): void {
    this.#ended = true;
    this.#release();
    this.#wakeReader();
    this.#writer.ended();
  }

  /**
   * Queues text (as UTF-8) or bytes for sending; `flush` or the next wait
   * sends them. The bytes are copied: the caller may reuse its array.
   */
  write(data: string | Uint8Array): void {
    this.#writer.write(data);
  }

  /** True once no more input will come: the client closed its side, or the connection ended. */
  get inputEnded(): boolean {
    return this.#inputEnded || this.#ended;
  }

  /** True once 64 KiB or more of output has gathered: time to `flush` without waiting for the reader. */
  get outputFull(): boolean {
    return this.#writer.full;
  }

  /**
   * Sends queued output, resolving once the socket accepted it. A client
   * that takes none of it for the idle timeout is disconnected.
   */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Flushes output and closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush().catch(() => {});
    this.#release();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#socket.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#socket.destroy();
  }
}
