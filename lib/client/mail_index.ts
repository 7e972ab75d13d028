/**
 * Serial numbers and the server's message numbers within one POP3 session.
 * The server numbers the messages 1..count at login and keeps those numbers
 * for the session (RFC 1939 §5); the list numbers the mails not deleted
 * from 1, afresh after each deletion. Only the deleted numbers are held,
 * so the index costs nothing per message in the mailbox.
 *
 * @module
 */

/** Maps serial numbers to message numbers, skipping the mails deleted in this session. */
export class MailIndex {
  #count: number;
  /** The message numbers deleted in this session, ascending. */
  #deleted: number[] = [];

  /** @param count the number of messages at login (STAT) */
  constructor(count: number) {
    this.#count = count;
  }

  /** How many mails the list holds now. */
  get size(): number {
    return this.#count - this.#deleted.length;
  }

  /** How many mails were deleted in this session. */
  get deletedCount(): number {
    return this.#deleted.length;
  }

  /**
   * The server's number for the mail with serial number `serial`.
   *
   * @throws {RangeError} when `serial` is not between 1 and `size`
   */
  msgOf(serial: number): number {
    if (!Number.isInteger(serial) || serial < 1 || serial > this.size) {
      throw new RangeError(`Cannot find serial number ${serial}: the list holds ${this.size}`);
    }
    let msg = serial;
    for (const gone of this.#deleted) {
      if (gone > msg) break;
      msg++;
    }
    return msg;
  }

  /** Takes the mail with serial number `serial` out of the list (after DELE); the serials after it move up. */
  remove(serial: number): void {
    const msg = this.msgOf(serial);
    const at = this.#deleted.findIndex((gone) => gone > msg);
    this.#deleted.splice(at < 0 ? this.#deleted.length : at, 0, msg);
  }
}
