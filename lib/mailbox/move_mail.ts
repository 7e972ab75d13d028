/**
 * Copying every user's mail from one store to another, keeping each
 * message's id (POP3 UIDL), so that a POP3 client's list of messages it has
 * seen stays right. A message whose id the destination mailbox already
 * has is left out: running it twice copies nothing twice. The source is
 * left as it is. Each mailbox is copied holding its POP3 session lock in
 * both stores, so no POP3 session can change it meanwhile; one in use is
 * refused.
 *
 * @module
 */

import type { MailRecord, MailStore } from "./store.ts";

/** What was done for one user. */
export interface MoveReport {
  /** The user. */
  user: string;
  /** Messages copied. */
  copied: number;
  /** Messages the destination had already. */
  present: number;
}

/** A mailbox in use by a POP3 session: nothing of it was copied. */
export class MailboxInUse extends Error {
  /** @param user the user whose mailbox is in use */
  constructor(user: string) {
    super(`Cannot move the mail of ${user}: a POP3 session holds the mailbox; try again when it has ended`);
    this.name = "MailboxInUse";
  }
}

/**
 * Copies the mail of `users` from `from` to `to`, one user after another.
 *
 * @param progress called after each message with the user and the counts so far
 * @throws {MailboxInUse} when a POP3 session holds a user's mailbox in either store
 */
export async function moveMail(
  from: MailStore,
  to: MailStore,
  users: readonly string[],
  progress: (report: MoveReport, total: number) => void,
): Promise<MoveReport[]> {
  const reports: MoveReport[] = [];
  for (const user of users) reports.push(await moveMailbox(from, to, user, progress));
  return reports;
}

async function moveMailbox(
  from: MailStore,
  to: MailStore,
  user: string,
  progress: (report: MoveReport, total: number) => void,
): Promise<MoveReport> {
  const locks = [];
  try {
    for (const store of [from, to]) {
      const lock = await store.lockSession(user);
      if (lock === null) throw new MailboxInUse(user);
      locks.push(lock);
    }
    const present = new Set((await to.list(user)).map((record) => record.id));
    const records = await from.list(user);
    const report = { user, copied: 0, present: 0 };
    for (const record of records) {
      if (present.has(record.id)) report.present++;
      else {
        await to.deliver({ users: [user], id: record.id, record: await readRecord(from, user, record) });
        report.copied++;
      }
      progress(report, records.length);
    }
    return report;
  } finally {
    for (const lock of locks) await lock.release();
  }
}

/** A record's stored bytes, as chunks. */
async function readRecord(store: MailStore, user: string, record: MailRecord): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.read(user, record)) chunks.push(chunk.slice());
  return chunks;
}
