/**
 * A line-oriented connection over a Node-style socket: the only place in the
 * servers that touches sockets.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import { type Line, LineSplitter } from "./line_splitter.ts";

/** Why `readLine` returned no line. */
export type ReadEnd = "eof" | "timeout" | "aborted";

/** Options for a `LineConn`. */
export interface LineConnOptions {
  /** Milliseconds without input after which `readLine` gives up. */
  idleTimeoutMs: number;
  /** Aborting it makes a waiting `readLine` return "aborted" (server shutdown). */
  signal?: AbortSignal;
}

/** Input is paused once this much is buffered and not yet read as lines. */
const HIGH_WATER = 256 * 1024;

/** How often idle connections are looked for; a timeout fires up to this late. */
const SWEEP_MS = 250;

const encoder = new TextEncoder();

/**
 * Reads lines from and writes bytes to one connection. Output is buffered
 * and flushed whenever the reader is about to wait for input, so replies to
 * pipelined commands leave in one write (RFC 2920).
 */
export class LineConn {
  #socket: Duplex;
  #splitter = new LineSplitter();
  #out: Uint8Array[] = [];
  #ended = false;
  #closed = false;
  #wake: ((woke: boolean) => void) | undefined;
  #options: LineConnOptions;
  /** When the current wait for input began or input last arrived. */
  #idleSince = 0;

  // One timer checks every connection's idle time, rather than a timer per read.
  static #watched = new Set<LineConn>();
  static #sweeper: ReturnType<typeof setInterval> | undefined;

  static #sweep(): void {
    const now = Date.now();
    for (const conn of LineConn.#watched) {
      if (conn.#wake && now - conn.#idleSince >= conn.#options.idleTimeoutMs) conn.#wake(false);
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
    this.#options = options;
    this.#watch(true);
    socket.on("data", (chunk: Uint8Array) => {
      this.#idleSince = Date.now();
      this.#splitter.push(chunk);
      if (this.#splitter.buffered > HIGH_WATER) socket.pause();
      this.#wakeReader();
    });
    socket.on("end", () => this.#finish());
    socket.on("close", () => this.#finish());
    socket.on("error", () => this.#finish());
    options.signal?.addEventListener("abort", () => this.#wakeReader());
  }

  /**
   * Returns the next line, waiting for input if needed (after flushing any
   * buffered output), or why none will come.
   *
   * @param limit the longest line accepted, in octets including CRLF
   */
  readLine(limit: number): Promise<Line | ReadEnd> {
    return this.#read(() => this.#splitter.next(limit));
  }

  /**
   * Returns whatever input is buffered, waiting for some if there is none
   * (after flushing output), or why none will come. Give back what is not
   * used with `unread`.
   */
  readChunk(): Promise<Uint8Array | ReadEnd> {
    return this.#read(() => this.#splitter.buffered > 0 ? this.#splitter.take() : undefined);
  }

  async #read<T>(take: () => T | undefined): Promise<T | ReadEnd> {
    for (;;) {
      const got = take();
      if (got !== undefined) return got;
      if (this.#options.signal?.aborted) return "aborted";
      if (this.#ended) return "eof";
      await this.flush();
      if (this.#socket.isPaused()) this.#socket.resume();
      const woke = await this.#waitForInput();
      if (!woke) return "timeout";
    }
  }

  /** Returns the unused tail of a `readChunk` result to the front of the input. */
  unread(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#splitter.unshift(bytes);
  }

  /** Resolves true when input (or its end) arrives, false when the idle timeout passes first. */
  #waitForInput(): Promise<boolean> {
    this.#idleSince = Date.now();
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

  #finish(): void {
    this.#ended = true;
    this.#watch(false);
    this.#wakeReader();
  }

  /** Queues text or bytes for sending; `flush` or the next wait sends them. */
  write(data: string | Uint8Array): void {
    this.#out.push(typeof data === "string" ? encoder.encode(data) : data);
  }

  /** Sends queued output, resolving once the socket accepted it. */
  async flush(): Promise<void> {
    if (this.#out.length === 0 || this.#ended) {
      this.#out = [];
      return;
    }
    const data = this.#out.length === 1 ? this.#out[0] : concat(this.#out);
    this.#out = [];
    if (!this.#socket.write(data)) await this.#drained();
  }

  #drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#socket.off("drain", done);
        this.#socket.off("close", done);
        resolve();
      };
      this.#socket.on("drain", done);
      this.#socket.on("close", done);
    });
  }

  /** Flushes output and closes the connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch(false);
    await this.flush().catch(() => {});
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

function concat(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
