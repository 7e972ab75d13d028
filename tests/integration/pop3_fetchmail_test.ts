/**
 * popserver with a real retriever: fetchmail downloads and deletes a whole
 * maildrop. `deno task test` installs fetchmail where it can; elsewhere the
 * test is ignored.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { assertBytesEqual, decode } from "../helpers/bytes.ts";
import { loadMessage, markerOf } from "../helpers/load.ts";
import { readRecords, unstuff } from "../helpers/mailbox_file.ts";
import { needing, peer } from "../helpers/peers.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, withMailServers } from "../helpers/pop3_server.ts";

const COUNT = 20;

Deno.test(needing(
  peer("fetchmail"),
  "popserver lets fetchmail download and delete a whole maildrop of 20 messages intact",
  downloadWholeMaildrop,
));

async function downloadWholeMaildrop(): Promise<void> {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, Array.from({ length: COUNT }, (_, m) => loadMessage(7, m, m === 3 ? 200_000 : 0)));
    const expected = new Map<string, Uint8Array>();
    for (const record of (await readRecords(temp.root, "Andrew")).records) {
      const message = unstuff(record);
      expected.set(markerOf(message), message);
    }
    assert.equal(expected.size, COUNT);

    const home = join(temp.dir, "fetchmail");
    const out = join(temp.dir, "delivered");
    await Deno.mkdir(home);
    await Deno.mkdir(out);
    const rc = join(home, "fetchmailrc");
    // "no stripcr" keeps the CRLF line ends, so what the MDA gets can be compared byte for byte.
    await Deno.writeTextFile(
      rc,
      `poll 127.0.0.1 with protocol POP3 port ${pop3.port} auth password\n` +
        `  user "Andrew" there with password "@dministr@tor" no stripcr\n`,
      { mode: 0o600 },
    );
    await Deno.chmod(rc, 0o600);
    const run = await new Deno.Command("fetchmail", {
      args: [
        "-f",
        rc,
        "--pidfile",
        join(home, "pid"),
        "-v",
        "--nosslcertck",
        "--fetchall",
        "--nokeep",
        "--invisible",
        "--norewrite",
        "--mda",
        `cat > $(mktemp ${out}/msg.XXXXXX)`,
      ],
      env: { HOME: home, FETCHMAILHOME: home },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = decode(run.stdout) + decode(run.stderr);
    assert.equal(run.code, 0, `fetchmail exit status; its log:\n${log}`);
    assert.doesNotMatch(log, /mismatch|not the expected|error/i, log);

    const got = new Map<string, Uint8Array>();
    for await (const entry of Deno.readDir(out)) {
      const message = await Deno.readFile(join(out, entry.name));
      const marker = markerOf(message);
      assert.ok(!got.has(marker), `${marker} delivered twice`);
      got.set(marker, message);
    }
    assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), "every message delivered once");
    for (const [marker, message] of got) assertBytesEqual(message, expected.get(marker)!, marker);

    const { records, tail } = await readRecords(temp.root, "Andrew");
    assert.equal(records.length + tail.length, 0, "the mailbox is empty afterwards");
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      assert.equal(await client.command("STAT"), "+OK 0 0");
      await client.quit();
    } finally {
      await client.close();
    }
  });
}
