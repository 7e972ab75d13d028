/**
 * The mailbox store interface shared by the SMTP and POP3 servers.
 *
 * A mailbox holds records. Each record is one message in SMTP wire form
 * (CRLF line ends, lines beginning with "." doubled) followed by a line
 * holding a single "." (see `../shared/DESIGN.md`, "The mailbox file").
 *
 * Preconditions for every method: `user` is the canonical user name exactly
 * as spelled in `userlogincred.txt` (never raw client input), and a record
 * becomes visible to `list` only once it has been written in full.
 *
 * What every store promises about ids: a record's id (POP3 UIDL) is the id
 * of the trace line it was delivered with, on every front-end, across
 * restarts and index rebuilds, and whatever the message holds (`buildRecord`
 * keeps sender bytes from continuing or hiding the trace line); ids come
 * from `newMessageId`, so none is given to two messages of a mailbox, and
 * deleting a record changes no other record's id. (A record without our
 * trace line, from a mailbox edited by hand, gets a `fallbackId` instead.)
 *
 * @module
 */

/** One stored message as `list` reports it. */
export interface MailRecord {
  /** Byte offset of the record's first octet in the mailbox file. */
  offset: number;
  /** Stored length in octets: dot-stuffed lines plus the ".\r\n" terminator. */
  storedLength: number;
  /** Octets of the message as a POP3 client sees it: CRLF lines, unstuffed. */
  size: number;
  /**
   * The unique id from our `Received:` trace line (POP3 UIDL): the id the
   * delivery's trace line was built with, which the `250` named. No byte of
   * the message can change it, and it is never another record's.
   */
  id: string;
  /** The `From:` header value, unfolded, or "" when absent. */
  from: string;
  /** The `To:` header value, unfolded, or "" when absent. */
  to: string;
  /** The `Subject:` header value, unfolded, or "" when absent. */
  subject: string;
  /** The arrival time from our `Received:` trace line, which no byte of the message can change. */
  received: Date;
}

/** A message accepted by SMTP and ready to be stored for one or more users. */
export interface Delivery {
  /** Canonical user names, one copy each. */
  users: string[];
  /**
   * The most octets a mailbox may hold in stored form, this record
   * included; no limit when undefined. A user whose mailbox it would take
   * over gets no copy, and then neither does anyone (`QuotaExceeded`).
   */
  quota?: number;
  /**
   * The id to keep for a record that carries none in a trace line of ours
   * (a hand-made one, moved between stores); stores that keep ids beside
   * the bytes use it, the file store derives ids from the bytes as ever.
   */
  id?: string;
  /**
   * The full record bytes in stored form (trace line included, dot-stuffed,
   * ending with ".\r\n"), as built by `buildRecord`. The chunks are written
   * in order and are not modified.
   */
  record: Uint8Array[];
}

/** Why `MailStore.deliver` stored nothing: the record would take a user's mailbox over the delivery's quota. */
export class QuotaExceeded extends Error {
  /** The user whose mailbox is full. */
  readonly user: string;

  /**
   * @param user the user whose mailbox is full
   * @param quota the quota, in octets
   */
  constructor(user: string, quota: number) {
    super(`Cannot deliver to ${user}: the mailbox would exceed its quota of ${quota} octets`);
    this.name = "QuotaExceeded";
    this.user = user;
  }
}

/** Why `MailStore.deliver` stored nothing: the disk (or the database's) is full; delivery works again once space is freed. */
export class StorageFull extends Error {
  /**
   * @param message what failed
   * @param cause the system's error
   */
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = "StorageFull";
  }
}

/** A POP3 maildrop lock: held until `release` is called or the process dies. */
export interface SessionLock {
  /** Releases the lock; calling it twice is harmless. */
  release(): Promise<void>;
}

/**
 * A POP3 session's view of one maildrop: the records whose delivery had
 * finished when it was opened, numbered 0..count-1 in file order. Its memory does not
 * grow with the messages' sizes, and only by a few dozen bytes per message.
 *
 * Precondition: the caller holds the user's session lock from before
 * `openMaildrop` until after `close`, so that no other session commits
 * deletions meanwhile. Deliveries only append; rewrites (a withdrawal of a
 * copy whose delivery failed included) replace the file, and a file
 * maildrop reads the file it opened: what it serves never changes.
 *
 * A maildrop may also be opened without the session lock, to read only
 * (the web inbox does, while a POP3 session may hold the lock): it is then
 * a snapshot of the records complete when it was opened. A file maildrop
 * still serves exactly those; in a store that fetches each record when it
 * is read (PostgreSQL), a read of a record deleted meanwhile rejects.
 */
export interface Maildrop {
  /** Number of records. */
  readonly count: number;
  /** Octets of all records as a POP3 client sees them (sum of `size`). */
  readonly totalSize: number;
  /** Octets of record `i` as a POP3 client sees it: CRLF lines, unstuffed. */
  size(i: number): number;
  /** The unique id of record `i` (POP3 UIDL), unique within the maildrop. */
  id(i: number): string;
  /** Stored length of record `i`: dot-stuffed lines plus the ".\r\n" terminator. */
  storedLength(i: number): number;
  /**
   * The stored (dot-stuffed) bytes of record `i`, terminator included, in
   * chunks of at most 64 KiB, each valid only until the maildrop yields
   * another (the file store reads them all into one buffer; copy a chunk
   * to keep it). Iterate with `for await`: a store may read each chunk
   * synchronously (the file store: its mailbox is a local file, usually in
   * the page cache, and a trip through the blocking thread pool per chunk
   * would cost more than the read, for pipelined RETR of many small
   * messages) or fetch it (the PostgreSQL store).
   */
  read(i: number): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /**
   * Releases the maildrop's open file and its listing: afterwards only
   * `count` and `totalSize` may be used. Harmless to call twice.
   */
  close(): void;
}

/** Storage for all users' mailboxes. */
export interface MailStore {
  /**
   * Appends the record to each user's mailbox and resolves once it is
   * durable (synced to disk). Rejects when it could not be stored for every
   * user; the caller must then answer with a temporary failure. It is all
   * or nothing: when it rejects, no user keeps a copy, so the client's retry
   * stores one copy each. A user named twice gets one copy. When a mailbox
   * would go over the delivery's quota (checked under the same lock as the
   * append), it rejects with `QuotaExceeded`; when the storage is full,
   * with `StorageFull`.
   */
  deliver(delivery: Delivery): Promise<void>;

  /**
   * Lists the complete records of the user's mailbox in file order. A torn
   * last record (no terminating ".") is left out. A missing mailbox is empty.
   */
  list(user: string): Promise<MailRecord[]>;

  /**
   * Streams the stored (dot-stuffed) bytes of one record, terminator
   * included, as `list` described it.
   *
   * Precondition: no rewrite happened since that `list`: neither a
   * `remove`, which holding the session lock rules out, nor the withdrawal
   * of a copy whose delivery to another user failed. Deliveries may append
   * meanwhile: they never move existing records.
   */
  read(user: string, record: MailRecord): ReadableStream<Uint8Array>;

  /**
   * Atomically replaces the mailbox by one without the records whose ids are
   * in `remove`. Records appended after `list` was called are kept; a torn
   * last record is not copied. Unknown ids are ignored, and when no record
   * matches, the mailbox is left as it is.
   */
  remove(user: string, remove: ReadonlySet<string>): Promise<void>;

  /**
   * Takes the exclusive POP3 session lock of the user's maildrop without
   * waiting. Resolves to `null` when another session holds it.
   */
  lockSession(user: string): Promise<SessionLock | null>;

  /**
   * Opens the user's maildrop for a POP3 session (see `Maildrop`). Fast
   * even for a large mailbox: it does not read the messages. A missing
   * mailbox is an empty maildrop.
   */
  openMaildrop(user: string): Promise<Maildrop>;
}
