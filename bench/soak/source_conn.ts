/**
 * A TCP connection to 127.0.0.1 from a chosen loopback source address,
 * with the `read`/`write`/`close` of a `Deno.Conn`. `Deno.connect` cannot
 * bind the local end; node:net's `localAddress` can. The soak sends its
 * failed logins from many addresses, as the servers pace failures per
 * client address: from 127.0.0.1 alone they would soon wait 8 s each.
 *
 * @module
 */

import { createConnection, type Socket } from "node:net";

/** A connection from a chosen source address; reads fail once it is closed. */
export class SourceConn {
  #socket: Socket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (data: Uint8Array) => {
      this.#chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.#wakeReader();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wakeReader();
    });
    socket.on("error", (error: Error) => this.#fail(error));
    socket.on("close", () => {
      this.#ended = true;
      this.#wakeReader();
    });
  }

  /**
   * Connects to 127.0.0.1:`port` from `localAddress` (e.g. "127.1.0.7").
   *
   * @throws {Error} when the connection fails
   */
  static connect(port: number, localAddress: string): Promise<SourceConn> {
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
        resolve(new SourceConn(socket));
      });
    });
  }

  /** Reads into `buffer`; resolves to the octets read, or null at the end of input. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#failure) throw this.#failure;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks[0] = chunk.subarray(n);
    else this.#chunks.shift();
    return n;
  }

  /** Writes all of `bytes`; resolves to their length. */
  write(bytes: Uint8Array): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) =>
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length))
    );
  }

  /** Closes at once; a read waiting then fails. */
  close(): void {
    this.#fail(new Error("connection closed"));
    this.#socket.destroy();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * The source address of failed login number `n`: 127.1.x.y, y from 1 to
 * 254, cycling through 65,024 addresses, so that each fails about once in
 * the servers' 15-minute window at the soak's rates.
 */
export function sourceAddress(n: number): string {
  const k = n % (256 * 254);
  return `127.1.${Math.floor(k / 254)}.${1 + (k % 254)}`;
}
