/**
 * `deno task check-server` as a user runs it: exit status 0 with one line
 * per rule against our servers, 1 with a failure, 2 and one line for bad
 * arguments, usage on --help.
 */

import assert from "node:assert/strict";
import { withBrokenServer } from "../helpers/broken_server.ts";
import { withMailServers } from "../helpers/mail_servers.ts";
import { passwordOf } from "../helpers/pop3_client.ts";
import { runTask } from "../helpers/server_process.ts";

Deno.test("deno task check-server pop3://… exits 0 against an empty popserver maildrop, one line per rule", async () => {
  await withMailServers(async (servers) => {
    const args = [`pop3://127.0.0.1:${servers.pop3.port}`, "--user", "Andrew", "--pass", passwordOf("Andrew")];
    const run = await runTask("check-server", args);
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    const lines = run.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^check-server pop3:\/\/127\.0\.0\.1:\d+, run chk[a-z0-9]+$/);
    assert.equal(
      lines[1],
      "pass        RFC 1939 4          pop3.greeting                  the server speaks first, with +OK",
    );
    assert.equal(lines.at(-1), "20 rules: 11 pass, 0 fail (0 required), 0 not offered, 9 skipped");
    assert.ok(
      lines.includes(
        "skipped     RFC 1939 5          pop3.dele-rset                 DELE only marks a message: it is no longer " +
          "listed, and RSET unmarks it [needs --smtp to deliver messages of its own: it deletes no other]",
      ),
      run.stdout,
    );
  });
});

Deno.test("deno task check-server skips dot-stuffing without --pop3, and stops at a server it cannot reach", async () => {
  await withBrokenServer(async ({ smtpPort }) => {
    const run = await runTask("check-server", [`smtp://127.0.0.1:${smtpPort}`, "--rcpt", "andrew@localhost"]);
    assert.equal(run.code, 0, "without --pop3 the dot-stuffing rule is skipped: nothing else is broken over SMTP");
    assert.match(run.stdout, /^skipped +RFC 5321 4\.5\.2 +smtp\.dot-stuffing .* \[needs --pop3, --user and --pass/m);
    assert.match(run.stdout, /^Sent 7 messages to andrew@localhost, .*; they stay there \(give --pop3/m);
  });
  const run = await runTask("check-server", ["smtp://127.0.0.1:1", "--rcpt", "andrew@localhost"]);
  assert.equal(run.code, 1, "nothing listens on port 1");
  assert.match(
    run.stdout,
    /^FAIL +RFC 5321 3\.1 +smtp\.greeting .*\n {4}found: {4}Cannot connect to the SMTP server at 127\.0\.0\.1:1: /m,
  );
  assert.match(
    run.stdout,
    /^skipped +RFC 5321 4\.1\.1\.1 +smtp\.ehlo .* \[not run: Cannot connect to the SMTP server /m,
  );
  assert.match(run.stdout, /\n25 rules: 0 pass, 1 fail \(1 required\), 0 not offered, 24 skipped\n$/);
});

Deno.test("deno task check-server with bad arguments prints one line and exits 2", async () => {
  for (
    const args of [
      [],
      ["imap://127.0.0.1:143"],
      ["smtp://127.0.0.1:25"],
      ["pop3://127.0.0.1:110"],
      ["pop3://127.0.0.1:110", "--user", "a"],
      ["smtp://127.0.0.1:25", "--rcpt", "not-an-address"],
      ["smtp://127.0.0.1:99999", "--rcpt", "a@b"],
      ["smtp://127.0.0.1:25", "--rcpt", "a@b", "--tls", "--starttls"],
      ["smtp://127.0.0.1:25", "--rcpt", "a@b", "--no-such-flag"],
    ]
  ) {
    const run = await runTask("check-server", args);
    assert.equal(run.code, 2, args.join(" "));
    assert.equal(run.stdout, "");
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /Usage: check_server\.ts smtp:\/\/HOST\[:PORT\] /);
  }
  const help = await runTask("check-server", ["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: check_server\.ts /);
});

Deno.test("deno task check-server --timeout: a server that never greets is given up on after it, once", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn); // accepts and says nothing
  })();
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const run = await runTask("check-server", [
      `pop3://127.0.0.1:${port}`,
      "--user",
      "u",
      "--pass",
      "p",
      "--timeout",
      "1",
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /found: {4}Cannot connect to the server: no greeting came \(.*no reply within 1 seconds\)/,
    );
    assert.match(run.stdout, /\n20 rules: 0 pass, 1 fail \(1 required\), 0 not offered, 19 skipped\n$/);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting;
  }
});
