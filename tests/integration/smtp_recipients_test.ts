/**
 * smtpmail's recipient rules over a socket: no relaying, unknown users
 * refused, postmaster delivered, local domains, and recipient names that
 * try to reach outside the data root.
 */

import assert from "node:assert/strict";
import { hostname } from "node:os";
import { assertBytesEqual, encode } from "../helpers/bytes.ts";
import { delivered, readMailbox, readRecords } from "../helpers/mailbox_file.ts";
import { listTree } from "../helpers/server_process.ts";
import { SmtpClient, stuff } from "../helpers/smtp_client.ts";
import { withSmtp } from "../helpers/smtp_server.ts";

/** Sends DATA and a small message after the RCPTs; expects 250. */
async function finish(client: SmtpClient, data: string): Promise<void> {
  await client.command("DATA", 354);
  await client.write(stuff(data));
  assert.match((await client.reply()).last, /^250 2\.0\.0 OK queued as /);
}

Deno.test("smtpmail refuses relaying and unknown users and delivers postmaster to the first user", async () => {
  await withSmtp([], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<someone@example.com>", 250);
      assert.match((await client.command("RCPT TO:<x@example.com>")).last, /^550 5\.7\.1 /);
      assert.match((await client.command("RCPT TO:<andrew@localhost.example.com>")).last, /^550 5\.7\.1 /);
      assert.match((await client.command("RCPT TO:<nobody@localhost>")).last, /^550 5\.1\.1 /);
      assert.match((await client.command("RCPT TO:<andrewx@localhost>")).last, /^550 5\.1\.1 /);
      await client.command("RCPT TO:<postmaster@localhost>", 250);
      await client.command("RCPT TO:<PostMaster>", 250);
      const data = "Subject: to postmaster\r\n\r\nhello\r\n";
      await finish(client, data);
      await client.quit();
    } finally {
      await client.close();
    }
    const { records } = await readRecords(server.root, "Stallings");
    assert.equal(records.length, 1, "postmaster twice still means one copy for Stallings");
    assertBytesEqual(delivered(records[0]).message, encode("Subject: to postmaster\r\n\r\nhello\r\n"), "message");
    for (const user of ["Andrew", "Fourouzan"]) assert.equal((await readMailbox(server.root, user)).length, 0, user);
    assert.deepEqual((await listTree(server.root)).filter((p) => p.endsWith("/")), [
      "Andrew/",
      "Fourouzan/",
      "Stallings/",
    ]);
  });
});

Deno.test("smtpmail accepts the host name and --domain as local and honours --postmaster", async () => {
  await withSmtp(["--domain", "mail.example.org", "--postmaster", "andrew"], async (server) => {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<>", 250);
      await client.command(`RCPT TO:<Fourouzan@${hostname()}>`, 250);
      await client.command("RCPT TO:<stallings@MAIL.example.ORG>", 250);
      assert.match((await client.command("RCPT TO:<stallings@example.org>")).last, /^550 5\.7\.1 /);
      await client.command("RCPT TO:<postmaster@mail.example.org>", 250);
      await finish(client, "Subject: local domains\r\n\r\nhi\r\n");
      await client.quit();
    } finally {
      await client.close();
    }
    for (const user of ["Andrew", "Fourouzan", "Stallings"]) {
      assert.equal((await readRecords(server.root, user)).records.length, 1, user);
    }
  });
});

/** Recipients that must never become a path, and must not be accepted. */
const PATH_TRICKS = [
  "../x@localhost",
  "a/b@localhost",
  "..@localhost",
  '"../../etc"@localhost',
  "Andrew/../Stallings@localhost",
  '"Andrew/../Stallings"@localhost',
  '"../Andrew"@localhost',
  "./andrew@localhost",
  '"andrew/."@localhost',
  '"andrew\\0"@localhost',
  "%2e%2e%2fx@localhost",
  "andrew/mymailbox@localhost",
  "userlogincred.txt@localhost",
];

Deno.test("smtpmail refuses recipients that look like paths and creates nothing outside the user dirs", async () => {
  await withSmtp(["--max-errors", "100"], async (server) => {
    const rootBefore = await listTree(server.root);
    const dirBefore = await listTree(server.dir);
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      for (const rcpt of PATH_TRICKS) {
        const r = await client.command(`RCPT TO:<${rcpt}>`);
        assert.match(r.last, /^5\d\d 5\.\d\.\d+ /, `${rcpt}: ${r.last}`);
      }
      assert.match((await client.command("DATA")).last, /^503 /, "no recipient was accepted");
      assert.deepEqual(await listTree(server.root), rootBefore);
      // A real delivery afterwards adds files under Andrew/ only.
      await client.command("RSET", 250);
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      await client.command("RCPT TO:<andrew@localhost>", 250);
      await finish(client, "Subject: after the tricks\r\n\r\nok\r\n");
      await client.quit();
    } finally {
      await client.close();
    }
    const added = (await listTree(server.root)).filter((p) => !rootBefore.includes(p));
    assert.ok(added.length > 0 && added.every((p) => p.startsWith("Andrew/")), JSON.stringify(added));
    assert.ok(added.includes("Andrew/mymailbox"));
    const outside = (await listTree(server.dir)).filter((p) => !p.startsWith("root/"));
    assert.deepEqual(outside, dirBefore.filter((p) => !p.startsWith("root/")), "nothing new beside ROOT");
    for (const user of ["Stallings", "Fourouzan"]) assert.equal((await readMailbox(server.root, user)).length, 0, user);
  });
});
