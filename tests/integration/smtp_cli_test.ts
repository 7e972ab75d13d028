/**
 * smtpmail's command line and signals: bad arguments and bad
 * userlogincred.txt give one line on stderr and exit status 2; SIGTERM
 * tells an idle client 421 and exits 0.
 */

import assert from "node:assert/strict";
import { SmtpClient } from "../helpers/smtp_client.ts";
import { startSmtp } from "../helpers/smtp_server.ts";
import { BAD_CREDENTIALS, BAD_PLACES, type BadStart, checkBadStarts } from "../helpers/bad_start.ts";

const BAD_STARTS: BadStart[] = [
  { name: "no port", args: (root) => ["--root", root], mentions: /port/i },
  { name: "port abc", args: (root) => ["abc", "--root", root], mentions: /abc/ },
  { name: "port 70000", args: (root) => ["70000", "--root", root], mentions: /70000/ },
  { name: "unknown flag --nope", args: (root) => ["0", "--root", root, "--nope"], mentions: /nope/ },
  { name: "two ports", args: (root) => ["0", "1", "--root", root], mentions: /port/i },
  {
    name: "--max-message-size x",
    args: (root) => ["0", "--root", root, "--max-message-size", "x"],
    mentions: /max-message-size/,
  },
  ...BAD_CREDENTIALS,
  ...BAD_PLACES,
  {
    name: "user name with a slash",
    args: (root) => ["0", "--root", root],
    mentions: /line 3\b/,
    credentials: "Stallings network$security\nFourouzan d@t@comm\n../Andrew @dministr@tor\n",
  },
  {
    name: "--postmaster naming no user",
    args: (root) => ["0", "--root", root, "--postmaster", "nobody"],
    mentions: /postmaster/,
  },
];

Deno.test("smtpmail exits 2 with one line on stderr for bad arguments and a bad userlogincred.txt", async (t) => {
  await checkBadStarts(t, "smtpmail.ts", BAD_STARTS);
});

Deno.test("smtpmail answers an idle session 421 on SIGTERM and exits 0", async () => {
  const server = await startSmtp();
  try {
    const client = await SmtpClient.open(server.port);
    try {
      await client.command("MAIL FROM:<stallings@localhost>", 250);
      server.process.kill("SIGTERM");
      const r = await client.reply(5000);
      assert.match(r.last, /^421 4\.3\.2 /);
      assert.equal(await client.conn.readToEnd(5000), "", "connection closed after the 421");
    } finally {
      await client.close();
    }
    const status = await server.stop();
    assert.equal(status.code, 0, server.stderrText());
    assert.equal(status.signal, null);
    // No new connections are accepted once it is gone.
    const late = await Deno.connect({ hostname: "127.0.0.1", port: server.port }).catch((error: Error) => error);
    if (!(late instanceof Error)) late.close();
    assert.ok(late instanceof Deno.errors.ConnectionRefused, `connect after exit: ${late}`);
  } finally {
    await server.stop();
    await server.temp.remove();
  }
});
