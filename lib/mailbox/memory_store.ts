/**
 * A `MailStore` in memory for protocol tests, with the file store's
 * semantics and knobs to make operations fail.
 *
 * @module
 */

import { BytesMaildrop, tableOfRecords } from "./maildrop_table.ts";
import { concatBytes } from "../bytes.ts";
import { fallbackId, uniqueIds } from "./record.ts";
import { scanBytes } from "./scanner.ts";
import {
  type Delivery,
  type Maildrop,
  type MailRecord,
  type MailStore,
  QuotaExceeded,
  type SessionLock,
} from "./store.ts";

/** Chunk size of `read` streams, as in the file store. */
const READ_CHUNK = 64 * 1024;

/** The contents of a mailbox never written to. */
const EMPTY = new Uint8Array();

/**
 * Mailboxes held as byte arrays in the file store's format, so offsets,
 * sizes, ids and torn-tail handling match `FileMailStore`.
 */
export class MemoryMailStore implements MailStore {
  readonly #boxes = new Map<string, Uint8Array>();
  /** Per user, the ids of the first records as they were served before the last `remove`, which they keep. */
  readonly #served = new Map<string, string[]>();
  readonly #sessions = new Set<string>();
  #failDeliveries = 0;
  /** When true, `remove` rejects and changes nothing. */
  failRemove = false;

  /** Makes the next `count` calls of `deliver` reject, storing nothing. */
  failNextDeliveries(count: number): void {
    this.#failDeliveries = count;
  }

  /** The user's whole mailbox as stored, torn tail included. */
  bytes(user: string): Uint8Array {
    return this.#boxes.get(user) ?? EMPTY;
  }

  /** The stored bytes of each complete record, in order. */
  records(user: string): Uint8Array[] {
    const bytes = this.bytes(user);
    return scanBytes(bytes).records.map(({ offset, storedLength }) => bytes.slice(offset, offset + storedLength));
  }

  /** Appends raw bytes as they are, e.g. to leave a torn last record. */
  appendRaw(user: string, bytes: Uint8Array): void {
    this.#boxes.set(user, concatBytes([this.bytes(user), bytes]));
  }

  /**
   * Appends the record to every user's mailbox at once, first cutting a
   * torn tail as the file store does.
   *
   * @throws {TypeError} (as a rejection) When there are no users.
   * @throws {QuotaExceeded} (as a rejection) When a mailbox would go over the quota: nothing is stored.
   */
  async deliver(delivery: Delivery): Promise<void> {
    const users = [...new Set(delivery.users)];
    if (users.length === 0) throw new TypeError("Cannot deliver: no users");
    await Promise.resolve();
    if (this.#failDeliveries > 0) {
      this.#failDeliveries--;
      throw new Error(`Cannot deliver to ${users.join(", ")}: injected failure`);
    }
    const record = concatBytes(delivery.record);
    const { quota } = delivery;
    const full = users.find((user) => quota !== undefined && this.#complete(user).length + record.length > quota);
    if (full !== undefined) throw new QuotaExceeded(full, quota!);
    for (const user of users) {
      this.#boxes.set(user, concatBytes([this.#complete(user), record]));
    }
  }

  /** The user's mailbox without a torn last record. */
  #complete(user: string): Uint8Array {
    const bytes = this.bytes(user);
    // Scanning the last 5 bytes tells whether the file ends with a record.
    const tail = bytes.subarray(-5);
    if (scanBytes(tail).end === tail.length) return bytes;
    return bytes.subarray(0, scanBytes(bytes).end);
  }

  /** Lists the complete records of the user's mailbox. */
  list(user: string): Promise<MailRecord[]> {
    return this.#listOf(user, this.bytes(user));
  }

  /**
   * The complete records of `bytes`, the user's mailbox: ids from the trace
   * line or `fallbackId`, made unique, except that records kept by the last
   * `remove` keep the ids they had.
   */
  async #listOf(user: string, bytes: Uint8Array): Promise<MailRecord[]> {
    const records: MailRecord[] = [];
    for (const { offset, storedLength, size, header } of scanBytes(bytes).records) {
      const { from, to, subject, received } = header;
      const id = header.id ??
        await fallbackId([bytes.subarray(offset, offset + storedLength)]);
      records.push({ offset, storedLength, size, id, from, to, subject, received });
    }
    const served = (this.#served.get(user) ?? []).slice(0, records.length);
    const ids = uniqueIds([...served, ...records.slice(served.length).map((record) => record.id)]);
    return records.map((record, i) => ({ ...record, id: ids[i] }));
  }

  /** Streams the record's bytes as they are now, in chunks of 64 KiB. */
  read(user: string, record: MailRecord): ReadableStream<Uint8Array> {
    const { offset, storedLength } = record;
    const bytes = this.bytes(user).slice(offset, offset + storedLength);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += READ_CHUNK) {
      chunks.push(bytes.subarray(at, at + READ_CHUNK));
    }
    if (bytes.length < storedLength) {
      return new ReadableStream({
        start(controller) {
          controller.error(
            new Error(`Cannot read ${storedLength} bytes at offset ${offset}: the mailbox ends early`),
          );
        },
      });
    }
    return ReadableStream.from(chunks);
  }

  /** Drops the records whose ids are in `remove`, keeping later appends. */
  async remove(user: string, remove: ReadonlySet<string>): Promise<void> {
    await Promise.resolve();
    if (this.failRemove) throw new Error(`Cannot rewrite the mailbox of ${user}: injected failure`);
    if (remove.size === 0) return;
    let bytes: Uint8Array;
    let records: MailRecord[];
    do {
      // Hashing ids awaits; a delivery in between means listing again.
      bytes = this.bytes(user);
      records = await this.list(user);
    } while (this.bytes(user) !== bytes);
    const kept = records.filter((record) => !remove.has(record.id));
    if (kept.length === records.length) return;
    const slices = kept.map(({ offset, storedLength }) => bytes.subarray(offset, offset + storedLength));
    this.#boxes.set(user, concatBytes(slices));
    this.#served.set(user, kept.map((record) => record.id));
  }

  /**
   * Opens the user's maildrop over the mailbox as it is now: deliveries
   * replace the byte array rather than change it, so the maildrop keeps
   * the records present at opening.
   */
  async openMaildrop(user: string): Promise<Maildrop> {
    const bytes = this.bytes(user);
    return new BytesMaildrop(bytes, tableOfRecords(await this.#listOf(user, bytes)));
  }

  /** Takes the user's session lock unless it is held. */
  async lockSession(user: string): Promise<SessionLock | null> {
    await Promise.resolve();
    if (this.#sessions.has(user)) return null;
    this.#sessions.add(user);
    let held = true;
    return {
      release: () => {
        if (held) this.#sessions.delete(user);
        held = false;
        return Promise.resolve();
      },
    };
  }
}
