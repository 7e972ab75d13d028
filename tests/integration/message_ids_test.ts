/**
 * A message's id and received date belong to the server: whatever an
 * unauthenticated sender puts in DATA, the id in the `250` is the
 * message's UIDL, in every session, after deletions of other messages and
 * after the index is rebuilt from the mailbox alone, and the date the
 * client lists is the server's. Each vector of issue 18 over real sockets.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { summarize } from "../../lib/client/listing.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot } from "../helpers/server_process.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";

const FORGED_DATE = "Tue, 1 Jan 2030 00:00:00 +0000";
const HEAD = "From: stallings@localhost\r\nTo: andrew@localhost\r\n";

/** Messages that try to shape their id or date; `{COPY}` becomes the id of the first message. */
const VECTORS: { name: string; data: string }[] = [
  { name: "plain", data: `${HEAD}Subject: first\r\n\r\nbody\r\n` },
  { name: "space", data: ` id FORGEDID123; ${FORGED_DATE}\r\nSubject: s\r\n\r\nbody\r\n` },
  { name: "tab", data: `\tid FORGEDTAB; ${FORGED_DATE}\r\n\r\nbody\r\n` },
  { name: "semicolon", data: " ;\r\n\r\nbody\r\n" },
  { name: "copy of an existing id", data: ` id {COPY}; ${FORGED_DATE}\r\n\r\nbody\r\n` },
  {
    name: "1 MB folded Subject",
    data: `${HEAD}Subject: long\r\n${" folded subject text\r\n".repeat(50_000)}\r\nb\r\n`,
  },
];

/** Delivers `data` and returns the id its `250` names. */
async function deliver(client: SmtpClient, data: string): Promise<string> {
  const reply = await client.send({ from: "stallings@localhost", to: ["andrew@localhost"], data });
  const queued = /^250 2\.0\.0 OK queued as (\S+)$/.exec(reply.last);
  assert.ok(queued, `delivery refused: ${reply.last}`);
  return queued[1];
}

/** UIDL of every message, in order. */
async function uidls(pop3: Pop3Client): Promise<string[]> {
  await pop3.command("UIDL", "+OK");
  return (await pop3.bodyLines()).map((line) => line.split(" ")[1]);
}

Deno.test("No byte a sender sends changes its message's id or received date, or another's", async () => {
  const temp = await makeTempRoot();
  const smtp = await startSmtp({ root: temp });
  try {
    const client = await SmtpClient.open(smtp.port);
    const ids: string[] = [];
    for (const vector of VECTORS) ids.push(await deliver(client, vector.data.replace("{COPY}", ids[0])));
    await client.quit();
    await client.close();
    assert.equal(new Set(ids).size, ids.length, `ids repeat: ${ids}`);

    const pop3Server = await startPop3(temp);
    try {
      const pop3 = await Pop3Client.login(pop3Server.port, "Andrew");
      assert.deepEqual(await uidls(pop3), ids, "UIDL is the id of each 250");
      for (let n = 1; n <= ids.length; n++) {
        await pop3.command(`TOP ${n} 0`, "+OK");
        const header = new TextEncoder().encode((await pop3.bodyLines()).join("\r\n") + "\r\n\r\n");
        const received = (await summarize(header)).received;
        assert.ok(
          received && Math.abs(received.getTime() - Date.now()) < 3_600_000,
          `${VECTORS[n - 1].name}: ${received}`,
        );
      }
      await pop3.command("DELE 1", "+OK");
      await pop3.command("QUIT", "+OK");
      await pop3.close();

      const again = await Pop3Client.login(pop3Server.port, "Andrew");
      assert.deepEqual(await uidls(again), ids.slice(1), "after the first is deleted, the rest keep their ids");
      await again.command("QUIT", "+OK");
      await again.close();

      await Deno.remove(join(temp.root, "Andrew", "mymailbox.idx"));
      const rebuilt = await Pop3Client.login(pop3Server.port, "Andrew");
      assert.deepEqual(await uidls(rebuilt), ids.slice(1), "ids read from the mailbox alone");
      await rebuilt.command("QUIT", "+OK");
      await rebuilt.close();
    } finally {
      await pop3Server.stop();
    }
  } finally {
    await smtp.stop();
    await temp.remove();
  }
});
