/**
 * popserver's UPDATE state (RFC 1939 §6): DELE only marks, RSET unmarks,
 * QUIT commits, a dropped connection commits nothing; message numbers and
 * UIDLs stay fixed.
 */

import assert from "node:assert/strict";
import { assertBytesEqual } from "../helpers/bytes.ts";
import { loadMessage } from "../helpers/load.ts";
import { readMailbox } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, storedMessages, waitForSessions, withMailServers } from "../helpers/pop3_server.ts";

const FIVE = Array.from({ length: 5 }, (_, m) => loadMessage(1, m));

Deno.test("popserver removes the messages marked by DELE at QUIT, and message numbers stay fixed meanwhile", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, FIVE);
    const before = await storedMessages(temp.root, "Andrew");
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const sizes = await client.listing("LIST");
      assert.equal(await client.command("DELE 2"), "+OK Message 2 deleted");
      await client.command("DELE 4", "+OK");
      for (const n of [2, 4]) {
        for (const verb of ["RETR", "DELE", "LIST", "UIDL", "TOP"]) {
          await client.command(`${verb} ${n}${verb === "TOP" ? " 0" : ""}`, "-ERR");
        }
      }
      const kept = [1, 3, 5];
      assert.equal(
        await client.command("STAT"),
        `+OK 3 ${kept.reduce((sum, n) => sum + Number(sizes.get(n)), 0)}`,
      );
      assert.deepEqual([...(await client.listing("LIST")).keys()], kept);
      assert.deepEqual(
        [...(await client.listing("UIDL")).entries()],
        kept.map((n) => [n, before[n - 1].id]),
        "UIDL keeps the numbers and ids of the messages not deleted",
      );
      for (const n of kept) {
        assert.equal(await client.command(`UIDL ${n}`), `+OK ${n} ${before[n - 1].id}`);
        assert.equal((await client.retr(n)).message.length, Number(sizes.get(n)), `message ${n} keeps its number`);
      }
      assert.match(await client.quit(), /^\+OK .*\(3 messages left\)$/);
    } finally {
      await client.close();
    }
    const after = await storedMessages(temp.root, "Andrew");
    assert.deepEqual(after.map((m) => m.id), [1, 3, 5].map((n) => before[n - 1].id));
    after.forEach((m, i) => assertBytesEqual(m.message, before[[0, 2, 4][i]].message, `kept message ${m.id}`));

    const next = await Pop3Client.login(pop3.port, "Andrew");
    try {
      assert.deepEqual([...(await next.listing("UIDL")).values()], after.map((m) => m.id));
      for (const n of [1, 2, 3]) await next.command(`DELE ${n}`, "+OK");
      await next.quit();
    } finally {
      await next.close();
    }
    assert.equal((await readMailbox(temp.root, "Andrew")).length, 0, "deleting everything leaves an empty mailbox");
  });
});

Deno.test("popserver deletes nothing when the client drops the connection without QUIT", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, FIVE);
    const bytes = await readMailbox(temp.root, "Andrew");
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      for (let n = 1; n <= 5; n++) await client.command(`DELE ${n}`, "+OK");
      assert.equal(await client.command("STAT"), "+OK 0 0");
    } finally {
      await client.close();
    }
    const [log] = await waitForSessions(pop3, 1);
    assert.match(log, /user=Andrew .*outcome=disconnected$/);
    assertBytesEqual(await readMailbox(temp.root, "Andrew"), bytes, "mailbox after the dropped session");
    const again = await Pop3Client.login(pop3.port, "Andrew");
    try {
      assert.match(await again.command("STAT"), /^\+OK 5 \d+$/);
      await again.quit();
    } finally {
      await again.close();
    }
    assertBytesEqual(await readMailbox(temp.root, "Andrew"), bytes, "mailbox after a QUIT with nothing deleted");
  });
});

Deno.test("popserver RSET unmarks every message marked by DELE", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, FIVE.slice(0, 3));
    const before = await storedMessages(temp.root, "Andrew");
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      const stat = await client.command("STAT", "+OK");
      await client.command("DELE 1", "+OK");
      await client.command("DELE 2", "+OK");
      assert.match(await client.command("RSET"), /^\+OK .*3 messages/);
      assert.equal(await client.command("STAT"), stat);
      assert.deepEqual([...(await client.listing("UIDL")).values()], before.map((m) => m.id));
      await client.retr(1);
      await client.command("DELE 3", "+OK");
      await client.quit();
    } finally {
      await client.close();
    }
    assert.deepEqual((await storedMessages(temp.root, "Andrew")).map((m) => m.id), before.slice(0, 2).map((m) => m.id));
  });
});

Deno.test("popserver keeps each UIDL across sessions and after another message is deleted, and never reuses one", async () => {
  await withMailServers([], async ({ smtp, pop3 }) => {
    await sendMessages(smtp.port, FIVE.slice(0, 3));
    const session = async (fn: (client: Pop3Client) => Promise<void> = async () => {}) => {
      const client = await Pop3Client.login(pop3.port, "Andrew");
      try {
        const uids = [...(await client.listing("UIDL")).values()];
        await fn(client);
        await client.quit();
        return uids;
      } finally {
        await client.close();
      }
    };
    const first = await session();
    assert.equal(new Set(first).size, 3, `unique ids: ${first}`);
    assert.deepEqual(await session((c) => c.command("DELE 2", "+OK").then(() => {})), first);
    assert.deepEqual(await session(), [first[0], first[2]]);
    await sendMessages(smtp.port, [FIVE[1]]);
    const last = await session();
    assert.deepEqual(last.slice(0, 2), [first[0], first[2]]);
    assert.ok(!first.includes(last[2]), `the same message sent again gets a new id, not ${last[2]}`);
  });
});
