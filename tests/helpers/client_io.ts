/**
 * In-memory stand-ins for the client's keyboard and screen: typed text
 * handed out in chunks as a pipe would, and captured output.
 *
 * @module
 */

import type { Output } from "../../lib/client/io.ts";
import type { ByteSource } from "../../lib/client/terminal.ts";

/** A byte source that hands out `text` as UTF-8 in chunks of at most `chunk` bytes, then its end. */
export function pipedText(text: string, chunk = 7): ByteSource {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return {
    read(buffer: Uint8Array): Promise<number | null> {
      if (at >= bytes.length) return Promise.resolve(null);
      const n = Math.min(chunk, buffer.length, bytes.length - at);
      buffer.set(bytes.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
}

/** An `Output` that keeps everything written. */
export class CapturedOutput implements Output {
  /** Everything written so far. */
  text = "";

  /** Appends `text`. */
  write(text: string): void {
    this.text += text;
  }
}
