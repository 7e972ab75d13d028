/**
 * Mail that arrives over SMTP while a POP3 session is open: the session
 * keeps the view it had at login, and its QUIT keeps the new messages,
 * exactly once each and intact.
 */

import assert from "node:assert/strict";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { loadMessage, markerOf } from "../helpers/load.ts";
import { delivered } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, storedMessages, withMailServers } from "../helpers/pop3_server.ts";
import { SmtpClient, stuff } from "../helpers/smtp_client.ts";

const QUEUED = /^250 2\.0\.0 OK queued as (\S+)$/;

Deno.test("popserver QUIT keeps the messages delivered during the session, exactly once each", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    const old = Array.from({ length: 5 }, (_, m) => loadMessage(1, m, m === 0 ? 300_000 : 0));
    const fresh = Array.from({ length: 10 }, (_, m) => loadMessage(2, m, m === 9 ? 300_000 : 0));
    await sendMessages(smtp.port, old);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const stat = await client.command("STAT");
      assert.match(stat, /^\+OK 5 \d+$/);
      const uids = await client.listing("UIDL");
      await sendMessages(smtp.port, fresh);
      assert.equal((await storedMessages(temp.root, "Andrew")).length, 15, "the new mail is in the file");
      assert.equal(await client.command("STAT"), stat, "STAT still shows the maildrop as it was at login");
      assert.deepEqual(await client.listing("UIDL"), uids);
      await client.command("RETR 6", "-ERR");
      for (let n = 1; n <= 5; n++) {
        assertBytesEqual(delivered(stuff((await client.retr(n)).message)).message, encode(old[n - 1]), `old ${n}`);
        await client.command(`DELE ${n}`, "+OK");
      }
      // One more arrives between the last DELE and QUIT.
      await sendMessages(smtp.port, [loadMessage(3, 0)]);
      await client.quit();
    } finally {
      await client.close();
    }
    const expected = [...fresh, loadMessage(3, 0)];
    const left = await storedMessages(temp.root, "Andrew");
    assert.deepEqual(left.map((m) => markerOf(m.message)), expected.map((m) => markerOf(encode(m))));
    left.forEach((m, i) => assertBytesEqual(m.message, encode(expected[i]), `new message ${i + 1}`));

    const next = await Pop3Client.login(pop3.port, "Andrew");
    try {
      assert.deepEqual([...(await next.listing("UIDL")).values()], left.map((m) => m.id));
      for (let n = 1; n <= expected.length; n++) {
        const { message } = await next.retr(n);
        assertBytesEqual(
          delivered(stuff(message)).message,
          encode(expected[n - 1]),
          `message ${n} of the next session`,
        );
      }
      await next.quit();
    } finally {
      await next.close();
    }
  });
});

Deno.test("popserver QUIT does not lose a delivery that runs while it rewrites the mailbox", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, Array.from({ length: 40 }, (_, m) => loadMessage(4, m, 20_000)));
    /** Trace id (from "250 ... queued as ID") to marker of each acknowledged message. */
    const acked = new Map<string, string>();
    let stop = false;
    const sender = (async () => {
      const client = await SmtpClient.open(smtp.port);
      try {
        for (let m = 0; !stop && m < 500; m++) {
          const r = await client.send({
            from: "stallings@localhost",
            to: ["andrew@localhost"],
            data: loadMessage(5, m),
          });
          acked.set(QUEUED.exec(r.last)?.[1] ?? assert.fail(r.last), `M-5-${m}`);
        }
        await client.quit();
      } finally {
        await client.close();
      }
    })();
    const deleted = new Set<string>();
    try {
      for (let round = 0; round < 5; round++) {
        const client = await Pop3Client.login(pop3.port, "Andrew");
        try {
          const uids = await client.listing("UIDL");
          await client.write([...uids.keys()].map((n) => `DELE ${n}\r\n`).join(""));
          for (const _ of uids) client.ok(await client.line());
          await client.quit();
          for (const id of uids.values()) deleted.add(id);
        } finally {
          await client.close();
        }
      }
    } finally {
      stop = true;
      await sender;
    }
    // Exactly the acknowledged messages no session listed are left, once each, intact, in delivery order.
    const left = await storedMessages(temp.root, "Andrew");
    const expected = [...acked.keys()].filter((id) => !deleted.has(id));
    assert.ok(expected.length < acked.size, "some messages that arrived during the sessions were deleted later");
    assert.deepEqual(left.map((m) => m.id), expected, "ids left in the mailbox");
    for (const { id, message } of left) {
      const marker = acked.get(id)!;
      assert.equal(markerOf(message), marker);
      assertBytesEqual(message, encode(loadMessage(5, Number(marker.slice(4)))), marker);
    }
  });
});
