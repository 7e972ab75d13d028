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
  #wake: (() => void) | undefined;
  #options: LineConnOptions;

  /** Wraps a connected socket; the caller must not read from it any more. */
  constructor(socket: Duplex, options: LineConnOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on("data", (chunk: Uint8Array) => {
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
  async readLine(limit: number): Promise<Line | ReadEnd> {
    for (;;) {
      const line = this.#splitter.next(limit);
      if (line !== undefined) return line;
      if (this.#options.signal?.aborted) return "aborted";
      if (this.#ended) return "eof";
      await this.flush();
      if (this.#socket.isPaused()) this.#socket.resume();
      const woke = await this.#waitForInput();
      if (!woke) return "timeout";
    }
  }

  #waitForInput(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(false);
      }, this.#options.idleTimeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(true);
      };
    });
  }

  #wakeReader(): void {
    this.#wake?.();
  }

  #finish(): void {
    this.#ended = true;
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
