/**
 * The Manage Mail list: one line per mail with its serial number, the
 * sender's address, when it was received and its subject, built from the
 * header alone (POP3 TOP n 0).
 *
 * @module
 */

import PostalMime, { type Address, type Email } from "postal-mime";
import { formatReceived, receivedDate } from "./mail_date.ts";
import { printableLine } from "./printable.ts";

/** What the list shows of one mail. */
export interface MailSummary {
  /** The sender's address, e.g. "stallings@localhost". */
  sender: string;
  /** When it was received, if the header says. */
  received: Date | undefined;
  /** The decoded subject, possibly empty. */
  subject: string;
}

/** The column titles, as the assignment lists the columns. */
const TITLES = ["Sl. No.", "Sender", "Received", "Subject"] as const;
const GAP = "  ";

/**
 * Reads the list's fields from a message header: RFC 2047 encoded words
 * are decoded, the sender is the first address of From.
 */
export async function summarize(header: Uint8Array): Promise<MailSummary> {
  let email: Email;
  try {
    email = await PostalMime.parse(header);
  } catch {
    // postal-mime refuses a header over 2 MiB; such a mail is listed, to be read or deleted, but not described.
    return { sender: "", received: undefined, subject: "(header cannot be decoded)" };
  }
  return {
    sender: senderAddress(email.from) ?? email.headers.find((h) => h.key === "from")?.value ?? "",
    received: receivedDate(email.headers),
    subject: email.subject ?? "",
  };
}

/** The address of a From field, or of the first member of a group. */
function senderAddress(from: Address | undefined): string | undefined {
  if (from === undefined) return undefined;
  return (from.group === undefined ? from.address : from.group[0]?.address) || undefined;
}

/**
 * Formats the list: a title line, then one aligned line per mail, its
 * serial number being its position counted from 1.
 *
 * @param timeZone the zone to show times in; the local zone when left out
 */
export function formatListing(mails: readonly MailSummary[], timeZone?: string): string[] {
  const rows = mails.map((mail, i) => [
    String(i + 1),
    printableLine(mail.sender) || "(unknown)",
    mail.received === undefined ? "-" : formatReceived(mail.received, timeZone),
    printableLine(mail.subject) || "(no subject)",
  ]);
  const widths = TITLES.map((title, column) => Math.max(title.length, ...rows.map((row) => width(row[column]))));
  return [[...TITLES], ...rows].map((row) =>
    row.map((cell, column) => column === row.length - 1 ? cell : pad(cell, widths[column])).join(GAP)
  );
}

function width(text: string): number {
  return [...text].length;
}

function pad(text: string, to: number): string {
  return text + " ".repeat(to - width(text));
}
