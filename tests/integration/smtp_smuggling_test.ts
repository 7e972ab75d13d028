/**
 * smtpmail against SMTP smuggling (2023): a "." next to a bare LF or bare
 * CR never ends DATA, so a second, smuggled transaction stays text inside
 * the first message.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { delivered, readMailbox, readRecords } from "../helpers/mailbox_file.ts";
import { SmtpClient, toCrlf } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** End-of-data look-alikes that must not end the message. */
const FAKE_ENDS: Record<string, string> = {
  "LF . LF": "\n.\n",
  "CRLF . LF": "\r\n.\n",
  "LF . CRLF": "\n.\r\n",
  "CR . CR": "\r.\r",
  "CRLF . CR": "\r\n.\r",
  "CR . CRLF": "\r.\r\n",
  "CR LF . CR LF split by a bare LF": "\r\n\n.\n\r\n",
};

/** The smuggled second transaction: mail to Stallings, who must receive nothing. */
const SMUGGLED = "MAIL FROM:<admin@localhost>\r\nRCPT TO:<stallings@localhost>\r\nDATA\r\n" +
  "From: admin@localhost\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n";

Deno.test("smtpmail never ends DATA at a dot next to a bare LF or CR (SMTP smuggling)", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    const sent: string[] = [];
    try {
      for (const [name, fakeEnd] of Object.entries(FAKE_ENDS)) {
        await client.command("MAIL FROM:<fourouzan@localhost>", 250);
        await client.command("RCPT TO:<andrew@localhost>", 250);
        await client.command("DATA", 354);
        const text = `From: fourouzan@localhost\r\nTo: andrew@localhost\r\nSubject: ${name}\r\n\r\nreal body` +
          fakeEnd + SMUGGLED;
        sent.push(text);
        // Everything in one write, as an attacker's relay would pass it on.
        await client.write(`${text}.\r\n`);
        const r = await client.reply();
        assert.match(r.last, /^250 2\.0\.0 OK queued as /, `${name}: ${r.last}`);
        // A smuggled transaction would have left replies behind this one.
        assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK", `${name}: extra replies`);
      }
      await client.quit();
    } finally {
      await client.close();
    }
    assert.equal((await readMailbox(server.root, "Stallings")).length, 0, "the smuggled mail went nowhere");
    const { records, tail } = await readRecords(server.root, "Andrew");
    assert.equal(tail.length, 0);
    assert.equal(records.length, sent.length, "exactly one message per transaction");
    for (const [i, record] of records.entries()) {
      const stored = delivered(record);
      assert.equal(stored.traceIndex, 3);
      // Bare CR and bare LF are stored as CRLF; nothing else changes.
      assertBytesEqual(stored.message, encode(toCrlf(sent[i])), `message ${i + 1}`);
    }
  });
});

Deno.test("smtpmail keeps a smuggled sequence split across writes inside the message", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<fourouzan@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await client.command("DATA", 354);
      // The fake end and the smuggled commands arrive in separate segments, byte by byte around the dot.
      for (const piece of ["Subject: split\r\n\r\nbody\r\n", "\n", ".", "\n", "\r", ".", "\r", SMUGGLED]) {
        await client.write(piece);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await client.write(".\r\n");
      assert.match((await client.reply()).last, /^250 2\.0\.0 /);
      assert.equal((await client.command("NOOP")).last, "250 2.0.0 OK");
      await client.quit();
    } finally {
      await client.close();
    }
    assert.equal((await readMailbox(server.root, "Stallings")).length, 0);
    const { records } = await readRecords(server.root, "Andrew");
    assert.equal(records.length, 1);
    const expected = toCrlf(`Subject: split\r\n\r\nbody\r\n\n.\n\r.\r${SMUGGLED}`);
    assertBytesEqual(delivered(records[0]).message, encode(expected), "split message");
  });
});

/** Writes `bytes` in pieces of `size` octets, pausing a millisecond between them so they arrive apart. */
async function writeInPieces(client: SmtpClient, bytes: Uint8Array, size: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += size) {
    await client.write(bytes.subarray(at, at + size));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

Deno.test("smtpmail finds the end of data wherever the writes split it", async () => {
  await withSmtp([], async (server) => {
    const text = "From: fourouzan@localhost\r\nTo: andrew@localhost\r\nSubject: pieces\r\n\r\n" +
      ".\r\n..two\r\nbare lf\n.\r\nbare cr\r.\r\nend\r\n";
    // The message as sent: dot-stuffed where a line starts with "." after CRLF, then the end marker and a command.
    const wire = encode(text.replace(/(^|\r\n)\./g, "$1..") + ".\r\nNOOP\r\n");
    const sizes = [1, 2, 3, 5, 7, 64];
    const client = await SmtpClient.open(server.port);
    try {
      for (const size of sizes) {
        await client.command("MAIL FROM:<fourouzan@localhost>", 250);
        await client.command("RCPT TO:<andrew@localhost>", 250);
        await client.command("DATA", 354);
        await writeInPieces(client, wire, size);
        assert.match((await client.reply()).last, /^250 2\.0\.0 OK queued as /, `pieces of ${size}`);
        assert.equal((await client.reply()).last, "250 2.0.0 OK", `pieces of ${size}: the NOOP after the end`);
      }
      await client.quit();
    } finally {
      await client.close();
    }
    const { records, tail } = await readRecords(server.root, "Andrew");
    assert.equal(tail.length, 0);
    assert.equal(records.length, sizes.length);
    for (const [i, record] of records.entries()) {
      assertBytesEqual(delivered(record).message, encode(toCrlf(text)), `pieces of ${sizes[i]}`);
    }
  });
});
