/**
 * Output waiting to be sent, copied into fixed-size buffers that are reused
 * once the socket is done with them. Sending a listing or many messages
 * then allocates nothing per write: fresh arrays per reply or per chunk
 * would outlive young-generation collections while queued on the socket,
 * and pile up until a full collection.
 *
 * @module
 */

/** Octets per buffer. */
export const OUTPUT_BUFFER_SIZE = 64 * 1024;
/** Free buffers kept for reuse, shared by all connections; more are left to the collector. */
const MAX_FREE = 16;
const free: ArrayBuffer[] = [];
const encoder = new TextEncoder();

/** A buffer from the free list, or a new one. */
function takeBuffer(): Uint8Array {
  return new Uint8Array(free.pop() ?? new ArrayBuffer(OUTPUT_BUFFER_SIZE));
}

/** Octets of each connection's own small buffer, which holds short replies without taking a shared one. */
const SMALL_BUFFER_SIZE = 2048;

/** Whether `view`, from `OutputBuffer.take`, lies in a shared buffer that must go back through `recycle`. */
export function isShared(view: Uint8Array): boolean {
  return view.buffer.byteLength === OUTPUT_BUFFER_SIZE;
}

/**
 * Gives the shared buffer under a view that `OutputBuffer.take` returned
 * back for reuse. Call it once per such view, when the socket no longer
 * needs its bytes.
 */
export function recycle(view: Uint8Array): void {
  if (free.length < MAX_FREE && isShared(view)) free.push(view.buffer as ArrayBuffer);
}

/**
 * Output of one connection, in order: full buffers and the one being
 * filled. Output that fits in 2 KiB (a reply or a few) collects in the
 * connection's own small buffer and is taken as a copy; more moves into
 * shared 64 KiB buffers.
 */
export class OutputBuffer {
  #full: Uint8Array[] = [];
  #current: Uint8Array | undefined;
  #small: Uint8Array | undefined;
  #used = 0;
  #size = 0;

  /** Octets waiting. */
  get size(): number {
    return this.#size;
  }

  /** Appends text (as UTF-8) or a copy of bytes: the caller may reuse `data` at once. */
  write(data: string | Uint8Array): void {
    if (typeof data === "string") this.#writeText(data);
    else this.#writeBytes(data);
  }

  /**
   * Takes everything waiting, in order, none of them empty: views into
   * shared buffers, which must each go back through `recycle` once sent
   * (see `isShared`), or arrays of the caller's own.
   */
  take(): Uint8Array[] {
    this.#close();
    const views = this.#full;
    this.#full = [];
    this.#size = 0;
    return views;
  }

  #writeText(text: string): void {
    for (let rest = text; rest.length > 0;) {
      const room = this.#room();
      const { read, written } = encoder.encodeInto(rest, room);
      this.#used += written;
      this.#size += written;
      // No room for the next character: it goes into a fresh buffer.
      if (read === 0) this.#close();
      rest = rest.slice(read);
    }
  }

  #writeBytes(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length;) {
      const room = this.#room();
      const n = Math.min(room.length, bytes.length - at);
      room.set(bytes.subarray(at, at + n));
      this.#used += n;
      this.#size += n;
      at += n;
    }
  }

  /** The free part of the current buffer, which is made current first if need be. */
  #room(): Uint8Array {
    if (this.#current !== undefined && this.#used === this.#current.length) {
      if (this.#current === this.#small) {
        // More than a few replies: what the small buffer holds moves to the start of a shared one.
        const shared = takeBuffer();
        shared.set(this.#small);
        this.#current = shared;
      } else {
        this.#close();
      }
    }
    if (this.#current === undefined) {
      this.#current = this.#full.length === 0 ? (this.#small ??= new Uint8Array(SMALL_BUFFER_SIZE)) : takeBuffer();
    }
    return this.#current.subarray(this.#used);
  }

  /** Moves the current buffer, if it holds anything, to the full ones: the small one as a copy. */
  #close(): void {
    if (this.#current === undefined) return;
    if (this.#current === this.#small) {
      if (this.#used > 0) this.#full.push(this.#small.slice(0, this.#used));
    } else if (this.#used > 0) this.#full.push(this.#current.subarray(0, this.#used));
    else recycle(this.#current);
    this.#current = undefined;
    this.#used = 0;
  }
}
