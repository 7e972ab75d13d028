/**
 * popserver over a raw socket: what SMTP stored comes back from RETR byte
 * for byte (dot lines, 8-bit text, 5 MB), LIST/STAT sizes are the octets RETR
 * really sends, UIDL is the trace id, and TOP cuts at the right line.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, concat, decode, encode, indexOfBytes } from "../helpers/bytes.ts";
import { delivered, readRecords, unstuff } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, withMailServers } from "../helpers/pop3_server.ts";
import { stuff } from "../helpers/smtp_client.ts";

const HEAD = "From: fourouzan@localhost\r\nTo: andrew@localhost\r\n";

/** Messages a naive server mangles, each ending with CRLF. */
const TRICKY: string[] = [
  `${HEAD}Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n...\r\n. \r\nmiddle\r\n.\r\n`,
  "Date: Fri, 27 Nov 2026 09:45:57 +0000\r\nFrom: Jöran <joeran@example.org>\r\nTo: andrew@localhost\r\n" +
  "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
  "Content-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln – ünïcödé ✓ 日本語 🎉\r\n.Ünïcödé after a dot\r\n\r\n\r\n",
  `${HEAD}Subject: header only\r\n`,
  `${HEAD}Subject: empty body\r\n\r\n`,
  `${HEAD}Subject: blank lines\r\n\r\n\r\n \r\n\t\r\nFrom me\r\n>From you\r\n`,
];

/** A message of about `octets` bytes whose lines vary in length, many starting with one or two dots. */
function bigMessage(octets: number): string {
  const lines = [`${HEAD}Subject: big`, ""];
  let size = 0;
  for (let i = 0; size < octets; i++) {
    const dots = i % 7 === 0 ? "." : i % 11 === 0 ? ".." : "";
    const line = `${dots}${i} ${"0123456789abcdef".repeat((i * 37) % 60)}`;
    lines.push(line);
    size += line.length + 2;
  }
  return `${lines.join("\r\n")}\r\n`;
}

Deno.test("popserver returns messages sent over SMTP byte for byte, with exact LIST and STAT sizes", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    const sent = [...TRICKY, bigMessage(5 * 1024 * 1024)].map(encode);
    await sendMessages(smtp.port, sent);
    const stored = (await readRecords(temp.root, "Andrew")).records;
    assert.equal(stored.length, sent.length);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const sizes = await client.listing("LIST");
      const uids = await client.listing("UIDL");
      assert.deepEqual([...sizes.keys()], sent.map((_, i) => i + 1));
      let total = 0;
      for (let n = 1; n <= sent.length; n++) {
        const { status, message } = await client.retr(n);
        const what = `message ${n}`;
        assertBytesEqual(message, unstuff(stored[n - 1]), `${what} against the stored record`);
        const { trace, message: original } = delivered(stuff(message));
        assertBytesEqual(original, sent[n - 1], `${what} without its trace line`);
        assert.equal(uids.get(n), trace.id, `UIDL of ${what} is its trace id`);
        assert.equal(Number(sizes.get(n)), message.length, `LIST size of ${what}`);
        assert.equal(await client.command(`LIST ${n}`), `+OK ${n} ${message.length}`);
        assert.equal(await client.command(`UIDL ${n}`), `+OK ${n} ${trace.id}`);
        assert.match(status, new RegExp(`^\\+OK ${message.length} octets$`));
        total += message.length;
      }
      assert.equal(await client.command("STAT"), `+OK ${sent.length} ${total}`);
      await client.quit();
    } finally {
      await client.close();
    }
  });
});

/** What TOP n lines must send: the header, the blank line, and the first `lines` body lines. */
function expectedTop(message: Uint8Array, lines: number): Uint8Array {
  const blank = indexOfBytes(message, encode("\r\n\r\n"));
  if (blank < 0) return message;
  const bodyStart = blank + 4;
  let end = bodyStart;
  for (let i = 0; i < lines && end < message.length; i++) end = message.indexOf(0x0a, end) + 1;
  return message.subarray(0, end);
}

Deno.test("popserver TOP sends the header and n body lines, and the whole message for a count beyond the body", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, TRICKY);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      for (let n = 1; n <= TRICKY.length; n++) {
        const { message } = await client.retr(n);
        const bodyLines = decode(message).split("\r\n\r\n").slice(1).join("\r\n\r\n").split("\r\n").length - 1;
        for (const lines of [0, 1, 2, 3, bodyLines, bodyLines + 1, 999_999_999]) {
          assert.equal(await client.command(`TOP ${n} ${lines}`), "+OK Top of message follows");
          const top = await client.body();
          assertBytesEqual(top, expectedTop(message, lines), `TOP ${n} ${lines}`);
          if (lines >= bodyLines) assertBytesEqual(top, message, `TOP ${n} ${lines} is the whole message`);
        }
      }
      for (const bad of ["TOP 1", "TOP 0 1", "TOP 99 1", "TOP 1 -1", "TOP x 1", "TOP 1 x"]) {
        await client.command(bad, "-ERR");
      }
      await client.command("NOOP", "+OK");
      await client.quit();
    } finally {
      await client.close();
    }
  });
});

Deno.test("popserver serves the same bytes again to a second session and to another user's maildrop", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, TRICKY.slice(0, 2));
    await sendMessages(smtp.port, [TRICKY[4]], "fourouzan@localhost");
    const read = async (user: string) => {
      const client = await Pop3Client.login(pop3.port, user);
      try {
        const uids = await client.listing("UIDL");
        const messages: Uint8Array[] = [];
        for (const n of uids.keys()) messages.push((await client.retr(n)).message);
        await client.quit();
        return { uids: [...uids.values()], all: concat(messages) };
      } finally {
        await client.close();
      }
    };
    const first = await read("Andrew");
    const second = await read("andrew");
    assert.equal(first.uids.length, 2);
    assert.deepEqual(second.uids, first.uids);
    assertBytesEqual(second.all, first.all, "second session");
    const other = await read("FOUROUZAN");
    assert.equal(other.uids.length, 1);
    assertBytesEqual(delivered(stuff(other.all)).message, encode(TRICKY[4]), "Fourouzan's message");
  });
});

/** A message of `octets` header octets (trace-less "X-Pad" lines), a blank line and a short body with dot lines. */
function paddedHeader(octets: number, tag: number): string {
  const lines: string[] = [];
  for (let left = octets; left > 0;) {
    const take = left - 900 >= 20 ? 900 : left;
    lines.push(`X-Pad-${tag}: ${"a".repeat(take - `X-Pad-${tag}: \r\n`.length)}\r\n`);
    left -= take;
  }
  return `${lines.join("")}\r\n.\r\nline 2\r\n..line 3\r\nline 4\r\n`;
}

Deno.test("popserver TOP cuts right when the header's end falls on a 64 KiB read boundary, and in a 5 MB message", async () => {
  const CHUNK = 64 * 1024;
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    // The trace line goes on top of these messages; a probe tells its length.
    await sendMessages(smtp.port, [paddedHeader(100, 0)]);
    const probe = (await readRecords(temp.root, "Andrew")).records[0];
    const traceLength = indexOfBytes(probe, encode("\r\n")) + 2;
    const shifts = Array.from({ length: 13 }, (_, i) => i - 6);
    await sendMessages(smtp.port, [
      ...shifts.map((d) => paddedHeader(CHUNK - 1 + d - traceLength, d + 10)),
      bigMessage(5_000_000),
    ]);
    const records = (await readRecords(temp.root, "Andrew")).records;
    const blanks = records.map((r) => indexOfBytes(r, encode("\r\n\r\n")) + 2);
    for (const at of [CHUNK - 2, CHUNK - 1, CHUNK]) {
      assert.ok(blanks.includes(at), `a blank line starts at ${at}: ${blanks}`);
    }
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      for (let n = 2; n <= records.length; n++) {
        const { message } = await client.retr(n);
        const counts = n === records.length ? [0, 1, 60, 61, 62, 1000, 3000, 7000, 100_000] : [0, 1, 2, 3, 4, 5];
        for (const lines of counts) {
          await client.command(`TOP ${n} ${lines}`, "+OK");
          assertBytesEqual(await client.body(), expectedTop(message, lines), `TOP ${n} ${lines}`);
        }
      }
      await client.quit();
    } finally {
      await client.close();
    }
  });
});
