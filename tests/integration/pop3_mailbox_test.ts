/**
 * popserver over mailbox files it did not write itself: a torn last record
 * left by a crashed delivery, and records in the seed's layout without our
 * trace id (a hand-made or imported mailbox).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual, concat, decode, encode } from "../helpers/bytes.ts";
import { readMailbox, splitMailbox, unstuff } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, withMailServers } from "../helpers/pop3_server.ts";
import { stuff } from "../helpers/smtp_client.ts";

/** A message in the seed's layout: its Received line holds only the time, no id. */
function seedMessage(subject: string, body: string): string {
  return `From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: ${subject}\r\n` +
    `Received: 27 Nov 2026 09:45\r\n\r\n${body}\r\n`;
}

/** Runs one logged-in session as Andrew. */
async function session<T>(port: number, fn: (client: Pop3Client) => Promise<T>): Promise<T> {
  const client = await Pop3Client.login(port, "Andrew");
  try {
    const result = await fn(client);
    await client.quit();
    return result;
  } finally {
    await client.close();
  }
}

Deno.test("popserver ignores a torn last record left by a crashed delivery and drops it at QUIT", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, ["Subject: one\r\n\r\n.\r\nbody\r\n", "Subject: two\r\n\r\nbody\r\n"]);
    const path = join(temp.root, "Andrew", "mymailbox");
    const complete = await Deno.readFile(path);
    await Deno.writeFile(path, concat([complete, encode("Subject: torn\r\n\r\nhalf a li")]));
    const records = splitMailbox(complete).records;
    await session(pop3.port, async (client) => {
      assert.equal(await client.command("STAT"), `+OK 2 ${unstuff(records[0]).length + unstuff(records[1]).length}`);
      assertBytesEqual((await client.retr(2)).message, unstuff(records[1]), "the last complete message");
      await client.command("RETR 3", "-ERR");
      await client.command("DELE 1", "+OK");
    });
    assertBytesEqual(await readMailbox(temp.root, "Andrew"), records[1], "the mailbox after QUIT");
    await sendMessages(smtp.port, ["Subject: three\r\n\r\nbody\r\n"]);
    assert.equal(
      await session(pop3.port, (client) => client.command("STAT")),
      `+OK 2 ${
        unstuff(records[1]).length + unstuff(splitMailbox(await readMailbox(temp.root, "Andrew")).records[1]).length
      }`,
    );
  });
});

Deno.test("popserver serves records without a trace id byte for byte, with a UIDL stable across sessions", async () => {
  await withMailServers([], async ({ pop3, temp }) => {
    const messages = [seedMessage("first", "hello\r\n.\r\nbye"), seedMessage("second", "again")];
    await Deno.writeFile(join(temp.root, "Andrew", "mymailbox"), concat(messages.map(stuff)));
    const read = async (client: Pop3Client) =>
      [await client.listing("UIDL"), await client.retr(1), await client.retr(2)] as const;
    const [uids, one, two] = await session(pop3.port, read);
    assertBytesEqual(one.message, encode(messages[0]), "message 1");
    assertBytesEqual(two.message, encode(messages[1]), "message 2");
    assert.equal(new Set(uids.values()).size, 2, `distinct UIDLs: ${[...uids.values()]}`);
    assert.deepEqual((await session(pop3.port, read))[0], uids, "the same UIDLs in the next session");
  });
});

Deno.test("popserver gives two identical records without a trace id distinct UIDLs, and DELE of one keeps the other", async () => {
  await withMailServers([], async ({ pop3, temp }) => {
    // Sent twice within the same minute by a seed-style server: the two records are byte for byte the same.
    const twin = seedMessage("Network Lab Experiment 7", "You have learned SMTP very well. Keep It Up!!!");
    const other = seedMessage("other", "text");
    await Deno.writeFile(join(temp.root, "Andrew", "mymailbox"), concat([twin, twin, other].map(stuff)));
    const uids = await session(pop3.port, async (client) => {
      const uids = await client.listing("UIDL");
      await client.command("DELE 1", "+OK");
      return uids;
    });
    const left = splitMailbox(await readMailbox(temp.root, "Andrew")).records.map((r) => decode(unstuff(r)));
    assert.deepEqual(left, [twin, other], "DELE 1 and QUIT must remove message 1 only");
    assert.equal(new Set(uids.values()).size, 3, `RFC 1939 §7: UIDLs unique within the maildrop: ${[...uids]}`);
  });
});
