/**
 * What the web inbox and the API do with a user's mailbox, through the
 * `MailStore` contract alone (so over files or PostgreSQL alike): pages of
 * the list, newest first; one message's octets as a stream; deletion under
 * the POP3 session lock.
 *
 * Each request reads a maildrop opened for it without the session lock
 * (`Maildrop`): a snapshot holding a few dozen octets per message, of which
 * only the messages shown are read, so memory stays flat in the mailbox's
 * size and a message is never seen half-written.
 *
 * @module
 */

import type { Maildrop, MailRecord, MailStore } from "../mailbox/store.ts";
import { decodeWords } from "postal-mime";
import { parseRecordHeader } from "../mailbox/record.ts";
import { unstuffStream } from "./unstuff.ts";
import { MimeWalk } from "./mime_stream.ts";

/** A message as the list shows it. */
export type MessageSummary = Pick<MailRecord, "id" | "from" | "to" | "subject" | "received" | "size">;

/** One page of a mailbox's list. */
export interface MessagePage {
  /** Messages matching the query, in all. */
  total: number;
  /** The messages of the page, newest first. */
  messages: MessageSummary[];
  /** The id of the newest message in the mailbox, whatever the query ("" when it is empty). */
  newest: string;
}

/** Which page to list. */
export interface PageRequest {
  /** How many of the newest matching messages to skip. */
  start: number;
  /** Most messages on the page. */
  limit: number;
  /** Words that must each appear in the sender, recipient, subject or text (case-insensitive); empty for all. */
  query: string;
}

/** How a deletion ended. */
export type RemoveOutcome =
  /** The messages are gone, durably. */
  | { removed: number }
  /** A POP3 session holds the mailbox; nothing was deleted. */
  | "in-use"
  /** No such message. */
  | "not-found";

/** The ids of the last few messages, which `arrivals` looks behind. */
export type EndMark = ReadonlySet<string>;

/** How many ids an `EndMark` holds: deletions of that many of the newest messages at once still leave one to find. */
const MARK_IDS = 64;

/** The most octets of a record read for its header block. */
const HEADER_LIMIT = 64 * 1024;

/** A user's mailbox as the web inbox sees it. */
export class MailboxView {
  #store: MailStore;

  /** @param store the servers' store */
  constructor(store: MailStore) {
    this.#store = store;
  }

  /**
   * A page of the messages matching `request.query`, newest first, and how
   * many match in all. Without a query only the page's messages are read;
   * a query reads the start of every message, one at a time (`searched`).
   */
  async page(user: string, request: PageRequest): Promise<MessagePage> {
    const words = request.query.toLowerCase().split(/\s+/).filter((w) => w !== "");
    return await this.#reading(user, async (maildrop) => {
      const messages: MessageSummary[] = [];
      if (words.length === 0) {
        const first = maildrop.count - 1 - request.start;
        for (let i = first; i >= 0 && i > first - request.limit; i--) messages.push(await summarize(maildrop, i));
        return { total: maildrop.count, messages, newest: newestOf(maildrop) };
      }
      let total = 0;
      for (let i = maildrop.count - 1; i >= 0; i--) {
        const summary = await searched(maildrop, i, words);
        if (summary === undefined) continue;
        if (total >= request.start && messages.length < request.limit) messages.push(summary);
        total++;
      }
      return { total, messages, newest: newestOf(maildrop) };
    });
  }

  /** The message with id `id`, or undefined. */
  async find(user: string, id: string): Promise<MessageSummary | undefined> {
    return await this.#reading(user, async (maildrop) => {
      const i = indexOf(maildrop, id);
      return i < 0 ? undefined : await summarize(maildrop, i);
    });
  }

  /**
   * The message's octets (as POP3 RETR gives them, without the terminator)
   * as a stream, or undefined when there is no such message. The maildrop
   * stays open until the stream ends or is cancelled.
   */
  async open(
    user: string,
    id: string,
  ): Promise<{ record: MessageSummary; body: ReadableStream<Uint8Array> } | undefined> {
    const maildrop = await this.#store.openMaildrop(user);
    let handedOver = false;
    try {
      const i = indexOf(maildrop, id);
      if (i < 0) return undefined;
      const record = await summarize(maildrop, i);
      const chunks = maildrop.read(i);
      const iterator = Symbol.asyncIterator in chunks
        ? chunks[Symbol.asyncIterator]()
        : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
      const stored = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const next = await iterator.next();
            // A chunk is valid only until the maildrop yields the next: the stream keeps a copy.
            if (!next.done) return controller.enqueue(next.value.slice());
            controller.close();
            maildrop.close();
          } catch (error) {
            maildrop.close();
            controller.error(error);
          }
        },
        async cancel() {
          await iterator.return?.();
          maildrop.close();
        },
      }, { highWaterMark: 0 });
      handedOver = true;
      return { record, body: stored.pipeThrough(unstuffStream(record.size)) };
    } finally {
      if (!handedOver) maildrop.close();
    }
  }

  /** The messages with the given ids, newest first. */
  async select(user: string, ids: ReadonlySet<string>): Promise<MessageSummary[]> {
    return await this.#reading(user, async (maildrop) => {
      const found: MessageSummary[] = [];
      for (let i = maildrop.count - 1; i >= 0; i--) {
        if (ids.has(maildrop.id(i))) found.push(await summarize(maildrop, i));
      }
      return found;
    });
  }

  /** Where the mailbox ends now: the ids of its last `MARK_IDS` messages, for `arrivals`. */
  async end(user: string): Promise<EndMark> {
    return await this.#reading(user, (maildrop) => Promise.resolve(endOf(maildrop)));
  }

  /**
   * The messages that came after `mark` (those behind the last message of
   * the mark still there), oldest first, and the mark of the end now. When
   * every message of the mark has been deleted, none count as new.
   */
  async arrivals(user: string, mark: EndMark): Promise<{ messages: MessageSummary[]; mark: EndMark }> {
    return await this.#reading(user, async (maildrop) => {
      let i = maildrop.count - 1;
      while (i >= 0 && !mark.has(maildrop.id(i))) i--;
      const messages: MessageSummary[] = [];
      if (i >= 0 || mark.size === 0) {
        for (let k = i + 1; k < maildrop.count; k++) messages.push(await summarize(maildrop, k));
      }
      return { messages, mark: endOf(maildrop) };
    });
  }

  /**
   * Deletes the messages with the given ids, or every message there now
   * (`"all"`), as POP3's QUIT does: atomically and durably
   * (`MailStore.remove`), and only while no POP3 session holds the
   * mailbox, whose lock it takes meanwhile.
   */
  async remove(user: string, ids: ReadonlySet<string> | "all"): Promise<RemoveOutcome> {
    const present = await this.#reading(user, (maildrop) => {
      const all = Array.from({ length: maildrop.count }, (_, i) => maildrop.id(i));
      return Promise.resolve(ids === "all" ? all : all.filter((id) => ids.has(id)));
    });
    if (ids !== "all" && present.length === 0) return "not-found";
    const lock = await this.#store.lockSession(user);
    if (lock === null) return "in-use";
    try {
      await this.#store.remove(user, new Set(present));
    } finally {
      await lock.release();
    }
    return { removed: present.length };
  }

  /** Runs `fn` over a maildrop opened for it, closed afterwards. */
  async #reading<T>(user: string, fn: (maildrop: Maildrop) => Promise<T>): Promise<T> {
    const maildrop = await this.#store.openMaildrop(user);
    try {
      return await fn(maildrop);
    } finally {
      maildrop.close();
    }
  }
}

/** The id of the maildrop's last record, or "". */
function newestOf(maildrop: Maildrop): string {
  return maildrop.count === 0 ? "" : maildrop.id(maildrop.count - 1);
}

/** The ids of the maildrop's last `MARK_IDS` records. */
function endOf(maildrop: Maildrop): EndMark {
  const ids = new Set<string>();
  for (let i = maildrop.count - 1; i >= Math.max(0, maildrop.count - MARK_IDS); i--) ids.add(maildrop.id(i));
  return ids;
}

/** The number of the record with id `id`, or -1. */
function indexOf(maildrop: Maildrop, id: string): number {
  for (let i = maildrop.count - 1; i >= 0; i--) if (maildrop.id(i) === id) return i;
  return -1;
}

/** Reads record `i`'s header block (at most `HEADER_LIMIT` octets of it) and what the list shows of it. */
async function summarize(maildrop: Maildrop, i: number): Promise<MessageSummary> {
  return summaryOf(maildrop, i, await readStart(maildrop, i, true));
}

/** What the list shows of record `i`, from its first octets: From, To and Subject with their encoded words decoded. */
function summaryOf(maildrop: Maildrop, i: number, start: Uint8Array): MessageSummary {
  const { from, to, subject, received } = parseRecordHeader(start);
  return {
    id: maildrop.id(i),
    from: readable(from),
    to: readable(to),
    subject: readable(subject),
    received,
    size: maildrop.size(i),
  };
}

/** A header value with its RFC 2047 encoded words decoded (postal-mime's `decodeWords`), or as it is if they fail. */
function readable(value: string): string {
  if (!value.includes("=?")) return value;
  try {
    return decodeWords(value);
  } catch {
    return value;
  }
}

/**
 * The first `HEADER_LIMIT` octets of record `i` in stored form, or only
 * up to the end of its header block when `headerOnly`.
 */
async function readStart(maildrop: Maildrop, i: number, headerOnly: boolean): Promise<Uint8Array> {
  const start = new Uint8Array(Math.min(HEADER_LIMIT, maildrop.storedLength(i)));
  let filled = 0;
  for await (const chunk of maildrop.read(i)) {
    const take = Math.min(chunk.length, start.length - filled);
    start.set(chunk.subarray(0, take), filled);
    filled += take;
    if (filled === start.length) break;
    const fresh = start.subarray(Math.max(0, filled - take - 3), filled);
    if (headerOnly && bodyStart(fresh) < fresh.length) break;
  }
  return start.subarray(0, filled);
}

const decoder = new TextDecoder();

/**
 * Reads record `i` for a search: its summary when each word appears in its
 * sender, recipient, subject or text (its text parts decoded, in the first
 * `HEADER_LIMIT` octets), else undefined.
 */
async function searched(maildrop: Maildrop, i: number, words: string[]): Promise<MessageSummary | undefined> {
  const start = await readStart(maildrop, i, false);
  const summary = summaryOf(maildrop, i, start);
  const fields = `${summary.from}\n${summary.to}\n${summary.subject}`.toLowerCase();
  const rest = words.filter((word) => !fields.includes(word));
  if (rest.length === 0) return summary;
  const text = textOf(start).toLowerCase();
  return rest.every((word) => text.includes(word)) ? summary : undefined;
}

/**
 * The text parts of a message's start, decoded from base64 or
 * quoted-printable (`MimeWalk`) and read as UTF-8; where no part is found
 * (a structure the start cuts off), the body as sent.
 */
function textOf(start: Uint8Array): string {
  const parts: Uint8Array[] = [];
  const walk = new MimeWalk({ onText: (bytes) => parts.push(bytes.slice()) });
  walk.push(start);
  walk.end();
  if (parts.length === 0) return decoder.decode(start.subarray(bodyStart(start)));
  return parts.map((part) => decoder.decode(part)).join("\n");
}

/** Where the body begins: after the header block's empty line (the length when there is none). */
function bodyStart(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(0x0d); at >= 0; at = bytes.indexOf(0x0d, at + 1)) {
    if (bytes[at + 1] === 0x0a && bytes[at + 2] === 0x0d && bytes[at + 3] === 0x0a) return at + 4;
  }
  return bytes.length;
}
