/**
 * popserver's command line, signals and timers: bad arguments give one
 * line on stderr and exit status 2; SIGTERM answers open sessions
 * `-ERR [SYS/TEMP]` and exits 0; an idle session is closed without a reply
 * and without deleting anything; connections over the cap are refused.
 */

import assert from "node:assert/strict";
import { assertBytesEqual } from "../helpers/bytes.ts";
import { loadMessage } from "../helpers/load.ts";
import { readMailbox } from "../helpers/mailbox_file.ts";
import { Pop3Client } from "../helpers/pop3_client.ts";
import { sendMessages, waitForSessions, withMailServers } from "../helpers/pop3_server.ts";
import { BAD_CREDENTIALS, BAD_PLACES, type BadStart, checkBadStarts } from "../helpers/bad_start.ts";

const BAD_STARTS: BadStart[] = [
  { name: "no port", args: (root) => ["--root", root], mentions: /port/i },
  { name: "port abc", args: (root) => ["abc", "--root", root], mentions: /abc/ },
  { name: "port 70000", args: (root) => ["70000", "--root", root], mentions: /70000/ },
  { name: "port -1", args: (root) => ["-1", "--root", root], mentions: /-1|port/ },
  { name: "two ports", args: (root) => ["0", "1", "--root", root], mentions: /port/i },
  { name: "unknown flag --nope", args: (root) => ["0", "--root", root, "--nope"], mentions: /nope/ },
  { name: "--idle-timeout 0", args: (root) => ["0", "--root", root, "--idle-timeout", "0"], mentions: /idle-timeout/ },
  {
    name: "--max-failed-logins x",
    args: (root) => ["0", "--root", root, "--max-failed-logins", "x"],
    mentions: /max-failed-logins/,
  },
  {
    name: "--failed-login-delay without a value",
    args: (root) => ["0", "--root", root, "--failed-login-delay"],
    mentions: /failed-login-delay/,
  },
  ...BAD_CREDENTIALS,
  ...BAD_PLACES,
];

Deno.test("popserver exits 2 with one line on stderr for bad arguments and a bad userlogincred.txt", async (t) => {
  await checkBadStarts(t, "popserver.ts", BAD_STARTS);
});

Deno.test("popserver answers open sessions -ERR [SYS/TEMP] on SIGTERM, deletes nothing and exits 0", async () => {
  await withMailServers([], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, [loadMessage(1, 0), loadMessage(1, 1)]);
    const bytes = await readMailbox(temp.root, "Andrew");
    const inTransaction = await Pop3Client.login(pop3.port, "Andrew");
    const inAuthorization = await Pop3Client.open(pop3.port);
    try {
      await inTransaction.command("DELE 1", "+OK");
      await inAuthorization.command("USER Stallings", "+OK");
      pop3.process.kill("SIGTERM");
      for (const client of [inTransaction, inAuthorization]) {
        assert.equal(await client.line(5000), "-ERR [SYS/TEMP] Server shutting down");
        assert.equal(await client.readToEnd(5000), "", "connection closed after the reply");
      }
    } finally {
      await inTransaction.close();
      await inAuthorization.close();
    }
    const status = await pop3.stop();
    assert.equal(status.code, 0, pop3.stderrText());
    assert.equal(status.signal, null);
    assertBytesEqual(await readMailbox(temp.root, "Andrew"), bytes, "mailbox after the shutdown");
    const late = await Deno.connect({ hostname: "127.0.0.1", port: pop3.port }).catch((error: Error) => error);
    if (!(late instanceof Error)) late.close();
    assert.ok(late instanceof Deno.errors.ConnectionRefused, `connect after exit: ${late}`);
  });
});

Deno.test("popserver --idle-timeout closes an idle session without a reply and without deleting", async () => {
  await withMailServers(["--idle-timeout", "1"], async ({ smtp, pop3, temp }) => {
    await sendMessages(smtp.port, [loadMessage(1, 0), loadMessage(1, 1)]);
    const bytes = await readMailbox(temp.root, "Andrew");
    const client = await Pop3Client.login(pop3.port, "Andrew");
    try {
      await client.command("DELE 1", "+OK");
      await client.command("DELE 2", "+OK");
      const started = Date.now();
      assert.equal(await client.readToEnd(5000), "", "closed without a reply");
      const waited = Date.now() - started;
      assert.ok(waited >= 900 && waited < 4000, `closed after ${waited} ms`);
    } finally {
      await client.close();
    }
    const [log] = await waitForSessions(pop3, 1);
    assert.match(log, /user=Andrew .*outcome=timeout$/);
    assertBytesEqual(await readMailbox(temp.root, "Andrew"), bytes, "mailbox after the timeout");
    const next = await Pop3Client.login(pop3.port, "Andrew");
    try {
      assert.match(await next.command("STAT"), /^\+OK 2 \d+$/, "the lock is free and nothing was deleted");
      await next.quit();
    } finally {
      await next.close();
    }
  });
});

Deno.test("popserver --max-connections refuses connections over the cap with -ERR [SYS/TEMP]", async () => {
  await withMailServers(["--max-connections", "2"], async ({ pop3 }) => {
    const first = await Pop3Client.open(pop3.port);
    const second = await Pop3Client.open(pop3.port);
    const third = await Pop3Client.connect(pop3.port);
    try {
      assert.match(await third.line(), /^-ERR \[SYS\/TEMP\] /);
      assert.equal(await third.readToEnd(), "");
      await first.quit();
      await waitForSessions(pop3, 1);
      const fourth = await Pop3Client.open(pop3.port);
      await fourth.quit();
    } finally {
      await first.close();
      await second.close();
      await third.close();
    }
  });
});
