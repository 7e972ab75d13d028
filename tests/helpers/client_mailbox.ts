/**
 * Big mailboxes for the client's tests and benchmark, written straight into
 * the file store's format (CRLF lines, dot-stuffed, each record ended by a
 * "." line) before the POP3 server opens them: thousands of messages in a
 * moment, where delivering them over SMTP would take minutes.
 *
 * @module
 */

import { join } from "node:path";

const encoder = new TextEncoder();

/**
 * Message `n` of a generated mailbox: From, To, the subject given, a
 * Received line with a date `n` minutes into 2026, and a short body.
 */
export function listedMessage(n: number, subject: string): string {
  const date = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toUTCString().replace("GMT", "+0000");
  return `From: sender${n}@example.org\r\nTo: andrew@localhost\r\nSubject: ${subject}\r\n` +
    `Received: from bench (127.0.0.1) by localhost with ESMTP; ${date}\r\n\r\nMessage number ${n}.\r\n`;
}

/**
 * Writes `user`'s mailbox under `root` with messages 1..`count`, each the
 * CRLF text `message(n)` returns (not dot-stuffed: this does it).
 */
export async function writeMailbox(
  root: string,
  user: string,
  count: number,
  message: (n: number) => string,
): Promise<void> {
  await Deno.mkdir(join(root, user), { recursive: true });
  using file = await Deno.open(join(root, user, "mymailbox"), { write: true, create: true, truncate: true });
  let chunk: string[] = [];
  for (let n = 1; n <= count; n++) {
    chunk.push(message(n).replace(/^\./gm, ".."), ".\r\n");
    if (chunk.length >= 2000 || n === count) {
      const bytes = encoder.encode(chunk.join(""));
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      chunk = [];
    }
  }
}
