/**
 * The messages of a maildrop as listed at login, kept in typed arrays: a
 * row key, a size and a stored length per message, and its id as a place
 * in the listing's bytes. A large mailbox then costs a few arrays, not an
 * object and a few strings per message, and all of it is freed when the
 * session ends rather than left to the garbage collector.
 *
 * @module
 */

/** The SQL of the listing's line for each message: key, size, stored length and id (a UIDL has no spaces), space-separated. */
export const LISTING_LINE = "concat_ws(' ', id, size, stored_length, uid)";

const SPACE = 0x20;
const NEWLINE = 0x0a;
const decoder = new TextDecoder();
/** Line numbers a packed sort key leaves room for... */
const LINE_NUMBERS = 2 ** 21;
/** ... below a key of this, which keeps key × LINE_NUMBERS + line within a number's exact integers. */
const MAX_PACKED_KEY = 2 ** 32;

/** The messages of a maildrop, in order of their keys (arrival). */
export class MaildropListing {
  /** Number of messages. */
  readonly count: number;
  /** Each message's row key in `mail_messages`. */
  readonly keys: Float64Array;
  /** Octets each message has as a POP3 client sees it. */
  readonly sizes: Float64Array;
  /** Octets each message has in stored form, terminator included. */
  readonly storedLengths: Float64Array;
  /** The listing's bytes (UTF-8), which hold the ids. */
  #bytes: Uint8Array;
  /** Where each id starts and ends in `#bytes`. */
  #idStarts: Uint32Array;
  #idEnds: Uint32Array;

  private constructor(bytes: Uint8Array, count: number) {
    this.#bytes = bytes;
    this.count = count;
    this.keys = new Float64Array(count);
    this.sizes = new Float64Array(count);
    this.storedLengths = new Float64Array(count);
    this.#idStarts = new Uint32Array(count);
    this.#idEnds = new Uint32Array(count);
  }

  /**
   * Reads lines of `LISTING_LINE` joined by "\n", in any order (null or
   * empty for none), and orders them by key. The listing keeps `bytes`
   * (its ids are read from them) and frees them with the rest.
   *
   * @throws {SyntaxError} when a line is not key, size, stored length and id
   */
  static parse(bytes: Uint8Array | null): MaildropListing {
    if (bytes === null || bytes.length === 0) return new MaildropListing(new Uint8Array(0), 0);
    let count = 1;
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) count++;
    const listing = new MaildropListing(bytes, count);
    const { keys, sizes, storedLengths } = listing;
    const idStarts = listing.#idStarts;
    const idEnds = listing.#idEnds;
    const fail = (at: number) =>
      new SyntaxError(`Cannot parse listing line: ${decoder.decode(bytes.subarray(at, at + 80))}`);
    let ordered = true;
    // One pass over the bytes, no strings made: this runs at every login, over tens of thousands of lines.
    for (let i = 0, at = 0; i < count; i++) {
      const line = at;
      let c = bytes[at];
      let value = 0;
      for (; c >= 48 && c <= 57; c = bytes[++at]) value = value * 10 + c - 48;
      if (c !== SPACE || at === line) throw fail(line);
      keys[i] = value;
      const sizeAt = ++at;
      value = 0;
      for (c = bytes[at]; c >= 48 && c <= 57; c = bytes[++at]) value = value * 10 + c - 48;
      if (c !== SPACE || at === sizeAt) throw fail(line);
      sizes[i] = value;
      const storedAt = ++at;
      value = 0;
      for (c = bytes[at]; c >= 48 && c <= 57; c = bytes[++at]) value = value * 10 + c - 48;
      if (c !== SPACE || at === storedAt) throw fail(line);
      storedLengths[i] = value;
      let end = bytes.indexOf(NEWLINE, ++at);
      if (end < 0) end = bytes.length;
      idStarts[i] = at;
      idEnds[i] = end;
      at = end + 1;
      if (i > 0 && keys[i] < keys[i - 1]) ordered = false;
    }
    if (!ordered) listing.#sort();
    return listing;
  }

  /** The id of message `i` (POP3 UIDL). */
  id(i: number): string {
    return decoder.decode(this.#bytes.subarray(this.#idStarts[i], this.#idEnds[i]));
  }

  /** Frees the arrays and bytes at once, rather than at a later garbage collection; only `count` may be used afterwards. */
  free(): void {
    for (const array of [this.keys, this.sizes, this.storedLengths, this.#idStarts, this.#idEnds, this.#bytes]) {
      (array.buffer as ArrayBuffer).transfer(0);
    }
  }

  /**
   * Puts the messages in order of their keys (the database lists them in
   * the order it finds them). Each key and its line's number go into one
   * number, so that the typed array's own numeric sort does the work; a
   * comparator called per pair cost several milliseconds per login.
   */
  #sort(): void {
    const { keys, count } = this;
    const order = new Uint32Array(count);
    let fits = count < LINE_NUMBERS;
    for (let i = 0; i < count && fits; i++) fits = keys[i] < MAX_PACKED_KEY;
    if (fits) {
      const packed = new Float64Array(count);
      for (let i = 0; i < count; i++) packed[i] = keys[i] * LINE_NUMBERS + i;
      packed.sort();
      for (let i = 0; i < count; i++) order[i] = packed[i] % LINE_NUMBERS;
    } else {
      for (let i = 0; i < count; i++) order[i] = i;
      order.sort((a, b) => keys[a] - keys[b]);
    }
    for (const array of [this.keys, this.sizes, this.storedLengths]) reorder(array, order);
    for (const array of [this.#idStarts, this.#idEnds]) reorder(array, order);
  }
}

/** Puts `array[order[i]]` at `i` for every `i`. */
function reorder<T extends Float64Array | Uint32Array>(array: T, order: Uint32Array): void {
  const copy = array.slice();
  for (let i = 0; i < order.length; i++) array[i] = copy[order[i]];
}

/**
 * Parses and sorts a synthetic listing of `lines` messages, so that V8
 * has compiled the parser before the first login rather than during it.
 */
export function warmUpListingParsing(lines = 2000): void {
  const text = Array.from({ length: lines }, (_, i) => `${lines - i} 4000 4100 warm${i}.x`).join("\n");
  const listing = MaildropListing.parse(new TextEncoder().encode(text));
  if (listing.count !== lines || listing.keys[0] !== 1) {
    throw new Error("Cannot warm up: the synthetic listing did not parse");
  }
  for (let i = 0; i < listing.count; i++) listing.id(i);
  listing.free();
}
