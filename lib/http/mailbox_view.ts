/**
 * What the web inbox and the API do with a user's mailbox, through the
 * `MailStore` contract alone (so over files or PostgreSQL alike): pages of
 * the list, newest first; one message's octets as a stream; deletion under
 * the POP3 session lock.
 *
 * @module
 */

import type { MailRecord, MailStore } from "../mailbox/store.ts";
import { unstuffStream } from "./unstuff.ts";

/** One page of a mailbox's list. */
export interface MessagePage {
  /** Messages matching the query, in all. */
  total: number;
  /** The messages of the page, newest first. */
  messages: MailRecord[];
}

/** Which page to list. */
export interface PageRequest {
  /** How many of the newest matching messages to skip. */
  start: number;
  /** Most messages on the page. */
  limit: number;
  /** Words that must each appear in the sender, recipient or subject (case-insensitive); empty for all. */
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

/** How often a read is tried again when the mailbox was rewritten under it. */
const READ_TRIES = 3;

/** A user's mailbox as the web inbox sees it. */
export class MailboxView {
  #store: MailStore;

  /** @param store the servers' store */
  constructor(store: MailStore) {
    this.#store = store;
  }

  /** A page of the messages matching `request.query`, newest first, and how many match in all. */
  async page(user: string, request: PageRequest): Promise<MessagePage> {
    const words = request.query.toLowerCase().split(/\s+/).filter((w) => w !== "");
    const records = await this.#store.list(user);
    const matching = words.length === 0 ? records : records.filter((r) => matches(r, words));
    const end = Math.max(0, matching.length - request.start);
    const begin = Math.max(0, end - request.limit);
    return { total: matching.length, messages: matching.slice(begin, end).reverse() };
  }

  /** The message with id `id`, or undefined. */
  async find(user: string, id: string): Promise<MailRecord | undefined> {
    return (await this.#store.list(user)).find((r) => r.id === id);
  }

  /**
   * The message's octets (as POP3 RETR gives them, without the terminator)
   * as a stream, or undefined when there is no such message.
   *
   * A POP3 session's QUIT may rewrite the mailbox between the listing and
   * the read, when another record's offset could point elsewhere; so after
   * the read has begun, the mailbox is listed again, and the read counts
   * only when the message is still where it was (deletions keep the order,
   * so then it was there all along). Otherwise it is tried again.
   *
   * @throws {Error} when the mailbox kept changing under `READ_TRIES` reads
   */
  async open(user: string, id: string): Promise<{ record: MailRecord; body: ReadableStream<Uint8Array> } | undefined> {
    for (let tries = 0; tries < READ_TRIES; tries++) {
      const record = await this.find(user, id);
      if (record === undefined) return undefined;
      const reader = this.#store.read(user, record).getReader();
      let first: ReadableStreamReadResult<Uint8Array>;
      try {
        first = await reader.read();
      } catch {
        continue;
      }
      const again = await this.find(user, id);
      if (again?.offset === record.offset && again.storedLength === record.storedLength) {
        return { record, body: resumed(first, reader).pipeThrough(unstuffStream(record.size)) };
      }
      await reader.cancel();
      if (again === undefined) return undefined;
    }
    throw new Error(`Cannot read message ${id} of ${user}: the mailbox kept changing`);
  }

  /** The whole message in memory, or undefined when there is no such message. */
  async bytes(user: string, id: string): Promise<{ record: MailRecord; bytes: Uint8Array } | undefined> {
    const opened = await this.open(user, id);
    if (opened === undefined) return undefined;
    return { record: opened.record, bytes: new Uint8Array(await new Response(opened.body).arrayBuffer()) };
  }

  /**
   * Deletes the messages with the given ids, or every message listed now
   * (`"all"`), as POP3's QUIT does: atomically and durably (`MailStore.remove`),
   * and only while no POP3 session holds the mailbox, whose lock it takes
   * meanwhile.
   */
  async remove(user: string, ids: ReadonlySet<string> | "all"): Promise<RemoveOutcome> {
    const records = await this.#store.list(user);
    const doomed = ids === "all" ? new Set(records.map((r) => r.id)) : ids;
    const present = records.filter((r) => doomed.has(r.id)).length;
    if (ids !== "all" && present === 0) return "not-found";
    const lock = await this.#store.lockSession(user);
    if (lock === null) return "in-use";
    try {
      await this.#store.remove(user, doomed);
    } finally {
      await lock.release();
    }
    return { removed: present };
  }
}

/** Whether each word appears in the record's sender, recipient or subject. */
function matches(record: MailRecord, words: string[]): boolean {
  const text = `${record.from}\n${record.to}\n${record.subject}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

/** A stream of `first` and then the rest of `reader`. */
function resumed(
  first: ReadableStreamReadResult<Uint8Array>,
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let pending: ReadableStreamReadResult<Uint8Array> | undefined = first;
  return new ReadableStream({
    async pull(controller) {
      const next = pending ?? await reader.read();
      pending = undefined;
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
}
