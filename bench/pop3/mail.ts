/**
 * The benchmark's messages and the two mailboxes that hold them: ours, filled
 * through `FileMailStore.deliver` exactly as the SMTP server stores mail, and
 * Dovecot's maildir, holding the same messages byte for byte as a client
 * sees them (our trace line included).
 *
 * @module
 */

import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { buildRecord } from "../../lib/mailbox/record.ts";
import type { MailStore } from "../../lib/mailbox/store.ts";
import { formatDate, newMessageId, traceLine } from "../../lib/smtp/trace.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Body line length without CRLF, as in a typical mail. */
const LINE = 76;
/** Deliveries in flight at once while filling our mailbox. */
const FILL_WINDOW = 500;

/**
 * Message number `n` (1-based) as a client would send it: CRLF lines,
 * not dot-stuffed, exactly `size` octets. It starts with From, To, Subject
 * (so our trace line goes after Subject) and has one body line that starts
 * with a dot, so both servers dot-stuff.
 */
export function messageText(n: number, size: number): string {
  const date = formatDate(new Date(Date.UTC(2026, 0, 1) + n * 1000));
  let text = `From: Stallings <stallings@localhost>\r\nTo: Andrew <andrew@localhost>\r\n` +
    `Subject: POP3 benchmark message ${n}\r\nDate: ${date}\r\n` +
    `Message-ID: <pop3bench.${n}@localhost>\r\n\r\n` +
    `.. this body line starts with a dot\r\n`;
  for (let line = 1; size - text.length > LINE + 5; line++) {
    const head = `line ${line} of message ${n} `;
    text += head + "x".repeat(Math.max(0, LINE - head.length)) + "\r\n";
  }
  // The last line takes what is left (3 to 81 octets), unless the header
  // alone is already longer than `size`.
  if (size - text.length >= 2) text += "z".repeat(size - text.length - 2) + "\r\n";
  return text;
}

/** Splits CRLF text into wire-form lines, doubling a leading dot. */
function stuffedLines(text: string): Uint8Array[] {
  const lines = text.split(/(?<=\r\n)/);
  return lines.map((line) => encoder.encode(line.startsWith(".") ? `.${line}` : line));
}

/**
 * The stored record of message `n` (as the SMTP server would build it) and
 * the same message as a client sees it: trace line in, dots unstuffed.
 */
export function buildMessage(n: number, size: number): { record: Uint8Array[]; message: string } {
  const trace = traceLine({
    helo: "bench",
    clientAddress: "127.0.0.1",
    host: "bench",
    protocol: "ESMTP",
    id: newMessageId(),
    date: new Date(),
  });
  const record = buildRecord(stuffedLines(messageText(n, size)), trace);
  const stored = record.slice(0, -1).map((chunk) => decoder.decode(chunk)).join("");
  return { record, message: stored.replace(/^\./gm, "") };
}

/** What filling a mailbox cost. */
export interface FillResult {
  /** Messages stored. */
  messages: number;
  /** Wall time in milliseconds. */
  ms: number;
}

/**
 * Delivers messages `1..count` to `user` under `root` through
 * `FileMailStore.deliver`, and the same records to each of `more` stores,
 * many at once so that group commit batches them, as concurrent SMTP
 * sessions would. Calls `onMessage` with each message as a client will see
 * it, in order.
 */
export async function fillOurs(
  root: string,
  user: string,
  count: number,
  size: number,
  onMessage?: (n: number, message: string) => Promise<void>,
  more: MailStore[] = [],
): Promise<FillResult> {
  const stores = [new FileMailStore({ root }), ...more];
  const started = performance.now();
  for (let from = 1; from <= count; from += FILL_WINDOW) {
    const batch: Promise<void>[] = [];
    for (let n = from; n < from + FILL_WINDOW && n <= count; n++) {
      const { record, message } = buildMessage(n, size);
      for (const store of stores) batch.push(store.deliver({ users: [user], record }));
      await onMessage?.(n, message);
    }
    // Deliveries of one window run concurrently; the order of records in
    // the file follows submission order within a user's group commit.
    await Promise.all(batch);
  }
  return { messages: count, ms: performance.now() - started };
}

/**
 * Writes one message into a maildir's `new/` as a delivery agent would: LF
 * line ends on disk, the physical (`S=`) and CRLF (`W=`) sizes in the name,
 * as Dovecot's own deliveries are named.
 */
export async function writeMaildirMessage(maildir: string, n: number, message: string): Promise<void> {
  const lf = message.replaceAll("\r\n", "\n");
  const name = `1767225600.M${n}P1.bench,S=${lf.length},W=${message.length}`;
  await Deno.writeTextFile(join(maildir, "new", name), lf, { mode: 0o600 });
}
