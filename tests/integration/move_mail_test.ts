/**
 * `deno task move-mail` between the file store and PostgreSQL, both ways,
 * on a mailbox with hostile content and a hand-made record: every message
 * byte-exact with its id, nothing copied twice on a second run, and a
 * mailbox held by a POP3 session refused.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { FileMailStore } from "../../lib/mailbox/file/file_store.ts";
import { PostgresMailStore } from "../../lib/mailbox/postgres/postgres_store.ts";
import type { MailStore } from "../../lib/mailbox/store.ts";
import { concat, readAll } from "../mailbox/helpers.ts";
import { peer, peerTest } from "../helpers/peers.ts";
import { sendMessages } from "../helpers/pop3_server.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { makeTempRoot, runTask } from "../helpers/server_process.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const HOSTILE = [
  "From: a@example.org\r\nTo: andrew@localhost\r\nSubject: dots\r\n\r\n.\r\n..\r\n.x\r\nFrom the start\r\n",
  ` id FORGED; Tue, 1 Jan 2030 00:00:00 +0000\r\nSubject: folded\r\n\r\nbody\r\n`,
  new Uint8Array([
    ...new TextEncoder().encode("Subject: 8bit\r\n\r\n"),
    ...Array.from({ length: 200 }, (_, i) => 0x80 + (i % 120)),
    13,
    10,
  ]),
];
const HAND_MADE = "Subject: hand-made\r\n\r\nno trace line here\r\n.\r\n";

/** Runs the move-mail task; returns its exit code and output. */
function moveMail(from: string, to: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runTask("move-mail", ["--from", from, "--to", to]);
}

/** Each message of Andrew's mailbox as [id, bytes]. */
async function contents(store: MailStore): Promise<[string, Uint8Array][]> {
  const records = await store.list("Andrew");
  return await Promise.all(
    records.map(async (r) => [r.id, await readAll(store.read("Andrew", r))] as [string, Uint8Array]),
  );
}

peerTest(
  peer("postgresql"),
  "move-mail copies both ways with ids and bytes kept, once, and refuses a mailbox in use",
  async () => {
    const cluster = await startPostgres();
    const source = await makeTempRoot();
    const back = await makeTempRoot();
    try {
      const smtp = await startSmtp({ root: source });
      try {
        await sendMessages(smtp.port, HOSTILE);
      } finally {
        await smtp.stop();
      }
      await Deno.writeTextFile(join(source.root, "Andrew", "mymailbox"), HAND_MADE, { append: true });
      const original = await contents(new FileMailStore({ root: source.root }));
      assert.equal(original.length, 4);

      const first = await moveMail(`file:${source.root}`, cluster.url);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^Andrew: 4 copied, 0 already there$/m);
      const again = await moveMail(`file:${source.root}`, cluster.url);
      assert.match(again.stdout, /^Andrew: 0 copied, 4 already there$/m, "nothing twice");

      const database = await PostgresMailStore.open({ url: cluster.url, application: "test", log: () => {} });
      try {
        const stored = await contents(database);
        assert.deepEqual(stored.map(([id]) => id), original.map(([id]) => id));
        stored.forEach(([, bytes], i) => assert.deepEqual(bytes, original[i][1], `message ${i + 1}`));

        const lock = await database.lockSession("Andrew");
        const refused = await moveMail(cluster.url, `file:${back.root}`);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /Cannot move the mail of Andrew: a POP3 session holds the mailbox/);
        await lock?.release();
      } finally {
        await database.close();
      }

      const home = await moveMail(cluster.url, `file:${back.root}`);
      assert.equal(home.code, 0, home.stderr);
      const returned = await contents(new FileMailStore({ root: back.root }));
      assert.deepEqual(returned.map(([id]) => id), original.map(([id]) => id));
      assert.deepEqual(concat(returned.map(([, b]) => b)), concat(original.map(([, b]) => b)), "byte-exact both ways");
    } finally {
      await back.remove();
      await source.remove();
      await cluster.remove();
    }
  },
);
