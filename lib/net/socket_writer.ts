/**
 * The output side of a connection: bytes queued in reusable buffers, handed
 * to the socket when flushed, with back-pressure. Used by `LineConn`.
 *
 * @module
 */

import type { Duplex } from "node:stream";
import { isShared, OUTPUT_BUFFER_SIZE, OutputBuffer, recycle } from "./output_buffer.ts";

/** Queued output is sent once this much has gathered, without waiting for the reader. */
const FLUSH_AT = OUTPUT_BUFFER_SIZE;

/**
 * Sent buffers whose write the socket has not yet confirmed, above which
 * `flush` waits. The socket accepts writes that the kernel takes at once
 * without asking to wait, but confirms them only on a later turn of the
 * event loop: a writer that never waits would take a new buffer per write.
 */
const MAX_UNCONFIRMED = 2;

/** Output up to this size is copied out of its buffer when sent, and the buffer reused at once. */
const SMALL_WRITE = 4096;

/** Queues output for one socket and sends it on `flush`. */
export class SocketWriter {
  /** The socket written to; replaced by its TLS socket after STARTTLS. */
  socket: Duplex;
  #output = new OutputBuffer();
  /** Buffers handed to the socket and not yet confirmed written. */
  #unconfirmed = 0;
  /** Called when the socket confirms a write. */
  #confirmed: (() => void) | undefined;
  /** True once nothing more can be written (the socket closed or failed). */
  #ended: () => boolean;
  /** Since when `flush` has been waiting for the client to take output; undefined when it is not waiting. */
  waitingSince: number | undefined;

  /**
   * @param socket where output goes
   * @param ended says when the socket can take nothing more
   */
  constructor(socket: Duplex, ended: () => boolean) {
    this.socket = socket;
    this.#ended = ended;
  }

  /** Queues text (as UTF-8) or a copy of bytes. */
  write(data: string | Uint8Array): void {
    this.#output.write(data);
  }

  /** True once 64 KiB or more of output has gathered. */
  get full(): boolean {
    return this.#output.size >= FLUSH_AT;
  }

  /** Wakes a `flush` waiting for confirmations: the socket has ended. */
  ended(): void {
    this.#confirmed?.();
  }

  /** Sends queued output, resolving once the socket accepted it (or ended). */
  async flush(): Promise<void> {
    const accepted = this.send(this.socket);
    if (accepted && this.#unconfirmed <= MAX_UNCONFIRMED) return;
    this.waitingSince = Date.now();
    try {
      if (!accepted) await this.#drained();
      while (this.#unconfirmed > MAX_UNCONFIRMED && !this.#ended()) {
        await new Promise<void>((resolve) => this.#confirmed = resolve);
      }
    } finally {
      this.waitingSince = undefined;
    }
  }

  /**
   * Hands the queued output to `socket` (the plain one, for the go-ahead of
   * STARTTLS). A small piece of a shared buffer goes as a copy; a larger one
   * goes as it is, and its buffer is reused once the socket reports it
   * written (one whose write failed is left to the collector, as the socket
   * may still hold it).
   *
   * @returns false when the socket asks to wait for "drain"
   */
  send(socket: Duplex): boolean {
    const views = this.#output.take();
    if (this.#ended()) return true;
    let accepted = true;
    for (const view of views) {
      if (!isShared(view)) {
        accepted = socket.write(view);
        continue;
      }
      if (view.length <= SMALL_WRITE) {
        // A copy of its own costs less than holding a whole shared buffer until the socket confirms it.
        accepted = socket.write(view.slice());
        recycle(view);
        continue;
      }
      this.#unconfirmed++;
      accepted = socket.write(view, (error) => {
        this.#unconfirmed--;
        if (!error) recycle(view);
        this.#confirmed?.();
      });
    }
    return accepted;
  }

  #drained(): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve) => {
      const done = () => {
        socket.off("drain", done);
        socket.off("close", done);
        resolve();
      };
      socket.on("drain", done);
      socket.on("close", done);
    });
  }
}
