/**
 * Records without our trace line (a mailbox written by hand or by another
 * program) get ids once, kept in the index: deleting one of two identical
 * records over POP3 changes no other record's UIDL, in later sessions and
 * after a restart.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { Pop3Client, uidlsOf } from "../helpers/pop3_client.ts";
import { startPop3 } from "../helpers/pop3_server.ts";
import { makeTempRoot } from "../helpers/server_process.ts";

const TWIN = "From: someone@example.org\r\nSubject: same\r\n\r\nthe same text\r\n.\r\n";
const OTHER = "From: someone@example.org\r\nSubject: other\r\n\r\nanother text\r\n.\r\n";

/** UIDL of Andrew's maildrop on a POP3 server. */
function uidls(port: number): Promise<string[]> {
  return uidlsOf(port, "Andrew");
}

Deno.test("popserver keeps the ids of hand-made records when another one is deleted, across restarts", async () => {
  const temp = await makeTempRoot();
  try {
    await Deno.mkdir(join(temp.root, "Andrew"), { recursive: true });
    await Deno.writeTextFile(join(temp.root, "Andrew", "mymailbox"), TWIN + TWIN + OTHER);
    let pop3 = await startPop3(temp);
    const ids = await uidls(pop3.port);
    assert.equal(new Set(ids).size, 3, `${ids}`);
    const client = await Pop3Client.login(pop3.port, "Andrew");
    await client.command("DELE 1", "+OK");
    await client.command("QUIT", "+OK");
    await client.close();
    assert.deepEqual(await uidls(pop3.port), ids.slice(1));
    await pop3.stop();
    pop3 = await startPop3(temp);
    try {
      assert.deepEqual(await uidls(pop3.port), ids.slice(1), "after a restart");
    } finally {
      await pop3.stop();
    }
  } finally {
    await temp.remove();
  }
});
