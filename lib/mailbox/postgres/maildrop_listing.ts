/**
 * The messages of a maildrop as listed at login, kept in typed arrays: a
 * row key, a size and a stored length per message, and its id as a place
 * in the listing's text. A large mailbox then costs a few arrays, not an
 * object and a few strings per message, and none of it outlives the
 * session as garbage.
 *
 * @module
 */

/** The SQL of the listing's line for each message: key, size, stored length and id (a UIDL has no spaces), space-separated. */
export const LISTING_LINE = "concat_ws(' ', id, size, stored_length, uid)";

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
  /** The listing's text, which holds the ids. */
  #text: string;
  /** Where each id starts and ends in `#text`. */
  #idStarts: Uint32Array;
  #idEnds: Uint32Array;

  private constructor(text: string, count: number) {
    this.#text = text;
    this.count = count;
    this.keys = new Float64Array(count);
    this.sizes = new Float64Array(count);
    this.storedLengths = new Float64Array(count);
    this.#idStarts = new Uint32Array(count);
    this.#idEnds = new Uint32Array(count);
  }

  /**
   * Reads lines of `LISTING_LINE` joined by "\n", in any order (null for
   * none), and orders them by key.
   *
   * @throws {SyntaxError} when a line is not key, size, stored length and id
   */
  static parse(text: string | null): MaildropListing {
    if (text === null || text === "") return new MaildropListing("", 0);
    let count = 1;
    for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) count++;
    const listing = new MaildropListing(text, count);
    const { keys, sizes, storedLengths } = listing;
    const idStarts = listing.#idStarts;
    const idEnds = listing.#idEnds;
    const fail = (at: number) => new SyntaxError(`Cannot parse listing line: ${text.slice(at, at + 80)}`);
    let ordered = true;
    // One pass of character codes, no strings made: this runs at every login, over tens of thousands of lines.
    for (let i = 0, at = 0; i < count; i++) {
      const line = at;
      let c = text.charCodeAt(at);
      let value = 0;
      for (; c >= 48 && c <= 57; c = text.charCodeAt(++at)) value = value * 10 + c - 48;
      if (c !== 32 || at === line) throw fail(line);
      keys[i] = value;
      const sizeAt = ++at;
      value = 0;
      for (c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) value = value * 10 + c - 48;
      if (c !== 32 || at === sizeAt) throw fail(line);
      sizes[i] = value;
      const storedAt = ++at;
      value = 0;
      for (c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) value = value * 10 + c - 48;
      if (c !== 32 || at === storedAt) throw fail(line);
      storedLengths[i] = value;
      let end = text.indexOf("\n", ++at);
      if (end < 0) end = text.length;
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
    return this.#text.slice(this.#idStarts[i], this.#idEnds[i]);
  }

  /** Frees the arrays at once, rather than at a later garbage collection; only `count` may be used afterwards. */
  free(): void {
    for (const array of [this.keys, this.sizes, this.storedLengths, this.#idStarts, this.#idEnds]) {
      (array.buffer as ArrayBuffer).transfer(0);
    }
    this.#text = "";
  }

  /** Puts the messages in order of their keys (the database lists them in the order it finds them). */
  #sort(): void {
    const order = Array.from({ length: this.count }, (_, i) => i).sort((a, b) => this.keys[a] - this.keys[b]);
    for (const array of [this.keys, this.sizes, this.storedLengths, this.#idStarts, this.#idEnds]) {
      const copy = array.slice();
      order.forEach((from, to) => array[to] = copy[from]);
    }
  }
}
