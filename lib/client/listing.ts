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
import { parseSender } from "./sender.ts";
import { cutToWidth, padToWidth, textWidth } from "./width.ts";

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
/** The widest the sender column gets on a screen page, in columns. */
const MAX_SENDER = 32;

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
  const from = email.headers.find((h) => h.key === "from")?.value;
  return {
    sender: (from === undefined ? "" : parseSender(from).address) || (senderAddress(email.from) ?? ""),
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
  const rows = mails.map((mail, i) => cells(i + 1, mail, timeZone));
  const widths = TITLES.map((title, column) => Math.max(title.length, ...rows.map((row) => textWidth(row[column]))));
  return [[...TITLES], ...rows].map((row) =>
    row.map((cell, column) => column === row.length - 1 ? cell : padToWidth(cell, widths[column])).join(GAP)
  );
}

/** One screen page of the list. */
export interface ListPage {
  /** The first mail's serial number; the others follow in order. */
  first: number;
  /** The mails on the page. */
  mails: readonly MailSummary[];
  /** The highest serial number in the whole list, which sets the width of the number column. */
  last: number;
  /** The terminal's width: every line is cut to it. */
  columns: number;
}

/**
 * Formats one screen page of the list: the title line and one line per
 * mail, aligned within the page, each cut to the terminal's width (wide and
 * combining characters counted as drawn).
 *
 * @param timeZone the zone to show times in; the local zone when left out
 */
export function formatPage(page: ListPage, timeZone?: string): string[] {
  const rows = page.mails.map((mail, i) => cells(page.first + i, mail, timeZone));
  const widths = [
    Math.max(TITLES[0].length, String(page.last).length),
    Math.min(MAX_SENDER, Math.max(TITLES[1].length, ...rows.map((row) => textWidth(row[1])))),
    Math.max(TITLES[2].length, ...rows.map((row) => textWidth(row[2]))),
  ];
  return [[...TITLES], ...rows].map((row) => {
    const fixed = widths.map((width, column) => padToWidth(cutToWidth(row[column], width), width));
    return cutToWidth([...fixed, row[3]].join(GAP), page.columns);
  });
}

/** The four cells of one mail's line. */
function cells(serial: number, mail: MailSummary, timeZone: string | undefined): string[] {
  return [
    String(serial),
    printableLine(mail.sender) || "(unknown)",
    mail.received === undefined ? "-" : formatReceived(mail.received, timeZone),
    printableLine(mail.subject) || "(no subject)",
  ];
}
