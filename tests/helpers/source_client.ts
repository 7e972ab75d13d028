/**
 * A raw TCP client that connects from a chosen loopback source address
 * (127.0.0.2, 127.0.0.3, ...), so that a test can stand for several client
 * addresses: `Deno.connect` cannot bind the local end, node:net's
 * `localAddress` can. It collects everything the server sends and knows
 * when the server closed; `destroy` waits until the socket is gone, so no
 * resource outlives a test (`--sanitize-resources`).
 *
 * @module
 */

import { createConnection, type Socket } from "node:net";
import { sleep } from "./server_process.ts";

/** A connection to 127.0.0.1 from a given source address. */
export class SourceClient {
  #socket: Socket;
  #text = "";
  #closed: Promise<void>;
  #ended = false;
  /** Where `line` reads next in `#text`. */
  #read = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => this.#text += text);
    socket.on("error", () => {});
    this.#closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.#ended = true;
        resolve();
      })
    );
  }

  /**
   * Connects to 127.0.0.1:`port` from `localAddress`.
   *
   * @throws {Error} when the connection fails
   */
  static connect(port: number, localAddress: string): Promise<SourceClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: "127.0.0.1", port, localAddress });
      const failed = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.once("error", failed);
      socket.once("connect", () => {
        socket.off("error", failed);
        socket.setNoDelay(true);
        resolve(new SourceClient(socket));
      });
    });
  }

  /** Everything received so far, each octet as one character. */
  get text(): string {
    return this.#text;
  }

  /** True once the connection is closed (by either side). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends `text`; false when the connection is gone. */
  write(text: string): Promise<boolean> {
    if (this.#ended || this.#socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => this.#socket.write(text, "latin1", (error) => resolve(!error)));
  }

  /**
   * Waits until what was received matches `pattern`.
   *
   * @throws {Error} when `timeoutMs` passes first, with what was received
   */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.#text);
      if (m) return m;
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(this.#text)}`);
      }
      await sleep(20);
    }
  }

  /**
   * The next line received and not yet taken by `line`, without its CRLF, or
   * null once the connection has ended without another.
   *
   * @throws {Error} when `timeoutMs` passes first
   */
  async line(timeoutMs = 10_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#text.indexOf("\r\n", this.#read);
      if (end >= 0) {
        const line = this.#text.slice(this.#read, end);
        this.#read = end + 2;
        return line;
      }
      if (this.#ended) return null;
      if (Date.now() > deadline) throw new Error(`no line within ${timeoutMs} ms; got ${JSON.stringify(this.#text)}`);
      await sleep(10);
    }
  }

  /** Resolves when the server has closed the connection, false when `timeoutMs` passes first. */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs));
    const closed = await Promise.race([this.#closed.then(() => true), late]);
    clearTimeout(timer);
    return closed;
  }

  /** Closes the connection and waits until the socket is gone. Safe to call twice. */
  async destroy(): Promise<void> {
    this.#socket.destroy();
    await this.#closed;
  }
}

/** The `n`th of `count` loopback source addresses from 127.0.0.2 on, `n` taken modulo `count`. */
export function sourceAddress(n: number, count: number): string {
  const i = (n % count) + 2;
  return `127.0.${i >> 8}.${i & 255}`;
}
