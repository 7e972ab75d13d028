/**
 * smtpmail and message size (RFC 1870): large messages stored intact,
 * oversized ones refused with 552 and nothing stored.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { delivered, readMailbox, readRecords } from "../helpers/mailbox_file.ts";
import { procMemory } from "../helpers/server_process.ts";
import { SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

const DEFAULT_LIMIT = 10 * 1024 * 1024;

/**
 * A message of exactly `size` octets: a header, then numbered lines of
 * varied length (some starting with "."), padded to the size.
 */
function bigMessage(size: number, tag: string): Uint8Array {
  const head = `Subject: big ${tag}\r\n\r\n`;
  const parts = [head];
  let length = head.length;
  // Lines stay under 1000 octets; the last two split what is left, so the message ends in CRLF.
  for (let i = 0; size - length > 1900; i++) {
    const line = `${i % 7 === 0 ? "." : ""}${tag} line ${i} ${"x".repeat((i * 37) % 900)}\r\n`;
    parts.push(line);
    length += line.length;
  }
  const half = Math.floor((size - length) / 2);
  parts.push(`${"z".repeat(half - 2)}\r\n`, `${"z".repeat(size - length - half - 2)}\r\n`);
  const bytes = encode(parts.join(""));
  assert.equal(bytes.length, size);
  return bytes;
}

/** Sends MAIL/RCPT/DATA and the stuffed message in one go; returns the final reply's last line. */
async function sendBig(client: SmtpClient, message: Uint8Array): Promise<string> {
  await client.command("MAIL FROM:<stallings@localhost>", 250);
  await client.command("RCPT TO:<andrew@localhost>", 250);
  await client.command("DATA", 354);
  await client.write(stuff(message));
  return (await client.reply(30_000)).last;
}

Deno.test("smtpmail stores a 5 MB message intact and refuses one over the default 10 MiB", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.connect(server.port);
    try {
      await client.expect(220);
      const ehlo = await client.command("EHLO big.test", 250);
      assert.ok(ehlo.lines.includes(`250-SIZE ${DEFAULT_LIMIT}`), JSON.stringify(ehlo.lines));
      const five = bigMessage(5_000_000, "five");
      assert.match(await sendBig(client, five), /^250 2\.0\.0 /);
      const over = bigMessage(DEFAULT_LIMIT + 1, "over");
      assert.equal(await sendBig(client, over), `552 5.3.4 Message exceeds the size limit of ${DEFAULT_LIMIT} octets`);
      await client.quit();
      const { records, tail } = await readRecords(server.root, "Andrew");
      assert.equal(records.length, 1, "only the 5 MB message is stored");
      assert.equal(tail.length, 0);
      assertBytesEqual(delivered(records[0]).message, five, "5 MB message");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail refuses a message over --max-message-size with 552 and stores nothing", async () => {
  const limit = 100_000;
  await withSmtp(["--max-message-size", String(limit)], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      const tooBig = `552 5.3.4 Message exceeds the size limit of ${limit} octets`;
      assert.equal(await sendBig(client, bigMessage(limit + 1, "a")), tooBig);
      assert.equal(await sendBig(client, bigMessage(3 * limit, "b")), tooBig);
      assert.equal((await readMailbox(server.root, "Andrew")).length, 0, "nothing stored");
      // The session is still usable, and a message of exactly the limit fits.
      const exact = bigMessage(limit, "exact");
      assert.match(await sendBig(client, exact), /^250 2\.0\.0 /);
      await client.quit();
      const { records } = await readRecords(server.root, "Andrew");
      assert.equal(records.length, 1);
      assertBytesEqual(delivered(records[0]).message, exact, "message of exactly the limit");
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail refuses MAIL FROM with SIZE= over the limit with 552", async () => {
  await withSmtp(["--max-message-size", "1000"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      const r = await client.command("MAIL FROM:<stallings@localhost> SIZE=1001", 552);
      assert.equal(r.last, "552 5.3.4 Message size exceeds the limit of 1000 octets");
      // Refused MAIL leaves no transaction open; SIZE within the limit works.
      await client.command("RCPT TO:<andrew@localhost>", 503);
      await client.command("MAIL FROM:<stallings@localhost> SIZE=1000", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      await client.write(stuff("Subject: fits\r\n\r\nsmall\r\n"));
      await client.expect(250);
      await client.quit();
      assert.equal((await readRecords(server.root, "Andrew")).records.length, 1);
    } finally {
      await client.close();
    }
  });
});

Deno.test("smtpmail discards an oversized message as it arrives instead of buffering it", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      const baseline = await procMemory(server.process.pid, "VmRSS");
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      const lines = encode(`${"y".repeat(98)}\r\n`.repeat(655));
      for (let sent = 0; sent < 100_000_000; sent += lines.length) await client.write(lines);
      await client.write(".\r\n");
      assert.equal(
        (await client.reply(30_000)).last,
        `552 5.3.4 Message exceeds the size limit of ${DEFAULT_LIMIT} octets`,
      );
      const grown = (await procMemory(server.process.pid, "VmHWM")) - baseline;
      // 100 MB kept would show; the limit's 10 MiB plus the runtime's read buffers (see smtp_lines_test.ts) fit.
      assert.ok(grown < 160 * 1024 * 1024, `peak RSS grew by ${(grown / 1024 / 1024).toFixed(1)} MiB`);
      await client.quit();
      assert.equal((await readMailbox(server.root, "Andrew")).length, 0);
    } finally {
      await client.close();
    }
  });
});
