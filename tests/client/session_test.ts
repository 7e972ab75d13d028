/**
 * Whole sessions of `deno run mailclient.ts 127.0.0.1 SMTP POP3` with piped
 * standard input against our servers: the assignment's example mail sent,
 * listed, read, deleted and gone; Incorrect format; a wrong password; an
 * unreachable server; a refused recipient; the end of input at each prompt;
 * bad arguments.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ANDREW, EXAMPLE, runClientPiped, serverArgs, STALLINGS } from "../helpers/client_process.ts";
import { waitFor } from "../helpers/server_process.ts";
import { type MailServers, withMailServers } from "../helpers/mail_servers.ts";
import { SEED_MAIL, SmtpClient } from "../helpers/smtp_client.ts";

function session(servers: MailServers, lines: readonly string[]) {
  return runClientPiped(serverArgs(servers.smtp.port, servers.pop3.port), lines.map((l) => `${l}\n`).join(""));
}

function mailbox(servers: MailServers, user: string): Promise<string> {
  return Deno.readTextFile(join(servers.root, user, "mymailbox")).catch(() => "");
}

/** Asserts a clean exit: status 0, nothing on stderr. */
function assertClean(run: { status: Deno.CommandStatus; stderr: string }): void {
  assert.equal(run.stderr, "");
  assert.equal(run.status.code, 0);
}

Deno.test("mailclient sends the assignment's example mail, then lists, reads and deletes it", async () => {
  await withMailServers(async (servers) => {
    const sent = await session(servers, [...STALLINGS, "2", ...EXAMPLE, "3"]);
    assertClean(sent);
    assert.match(sent.stdout, /\nMail sent successfully\n/);
    assert.match(
      await mailbox(servers, "Andrew"),
      /^From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: Network Lab Experiment 7\r\nReceived: .+\r\nDate: .+\r\nMessage-ID: <.+@localhost>\r\n\r\nYou have learned SMTP very well\. Keep It Up!!!\r\n\.\r\n$/,
    );

    const read = await session(servers, [...ANDREW, "1", "1", "d", "q", "3"]);
    assertClean(read);
    assert.match(
      read.stdout,
      /Sl\. No\. +Sender +Received +Subject\n1 +stallings@localhost +\d\d \w{3} \d{4} \d\d:\d\d +Network Lab Experiment 7\n/,
    );
    assert.match(
      read.stdout,
      /From: {5}stallings@localhost\nTo: {7}andrew@localhost\nSubject: {2}Network Lab Experiment 7\nReceived: \d\d \w{3} \d{4} \d\d:\d\d\n\nYou have learned SMTP very well\. Keep It Up!!!\n/,
    );
    assert.match(read.stdout, /Mail 1 deleted/);
    assert.match(read.stdout, /Your mailbox is empty\.\n\+OK .*\(0 messages left\)\n/);
    assert.equal(await mailbox(servers, "Andrew"), "");

    const again = await session(servers, [...ANDREW, "1", "3"]);
    assert.match(again.stdout, /Your mailbox is empty\./);
  });
});

Deno.test("mailclient prints Incorrect format for each kind of bad mail and sends nothing", async () => {
  const bad = [
    ["To: andrew@localhost", "Subject: s", "."],
    ["From: stallings@localhost", "Subject: s", "."],
    ["From: stallings@localhost", "To: andrew@localhost", "body", "."],
    ["To: andrew@localhost", "From: stallings@localhost", "Subject: s", "."],
    ["From: stallings", "To: andrew@localhost", "Subject: s", "."],
    ["From: stallings@localhost", "To: andrew", "Subject: s", "."],
    ["From: stallings@localhost", "To: andrew@localhost, fourouzan@localhost", "Subject: s", "."],
    ["From: stallings@localhost", "To: andrew@localhost", `Subject: ${"x".repeat(51)}`, "."],
  ];
  await withMailServers(async (servers) => {
    const run = await session(servers, [...STALLINGS, ...bad.flatMap((mail) => ["2", ...mail]), "3"]);
    assertClean(run);
    assert.equal(run.stdout.match(/^Incorrect format$/gm)?.length, bad.length);
    assert.equal(
      run.stdout.match(/Incorrect format\n\nOptions:\n1\. Manage Mail\n2\. Send Mail\n3\. Quit\n/g)?.length,
      bad.length,
    );
    assert.doesNotMatch(run.stdout, /Mail sent successfully/);
    assert.equal(await mailbox(servers, "Andrew"), "");
  });
});

Deno.test("mailclient shows the server's reply when it refuses the recipient", async () => {
  await withMailServers(async (servers) => {
    const mail = ["From: stallings@localhost", "To: nobody@localhost", "Subject: s", "hello", "."];
    const run = await session(servers, [...STALLINGS, "2", ...mail, "3"]);
    assertClean(run);
    assert.match(run.stdout, /Mail not sent\. The SMTP server replied:\n550 5\.1\.1 No such user here\n/);
    assert.doesNotMatch(run.stdout, /Mail sent successfully/);
  });
});

Deno.test("mailclient shows the server's reply when the message is too big", async () => {
  await withMailServers(async (servers) => {
    const run = await session(servers, [...STALLINGS, "2", ...EXAMPLE.slice(0, 3), "x".repeat(900), "."]);
    assert.match(run.stdout, /Mail not sent\. The SMTP server replied:\n552 5\.3\.4 .+\n/);
    assert.doesNotMatch(run.stdout, /Mail sent successfully/);
  }, { smtp: ["--max-message-size", "500"] });
});

Deno.test("mailclient says clearly that a password is wrong", async () => {
  await withMailServers(async (servers) => {
    const run = await session(servers, ["Andrew", "network$security"]);
    assertClean(run);
    assert.match(run.stdout, /Login failed: wrong user name or password\. The POP3 server said: -ERR \[AUTH\] .+\n/);
    assert.doesNotMatch(run.stdout, /Options:/);
  });
});

Deno.test("mailclient reports an unreachable server in one line, without a stack trace", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const pop3Down = await runClientPiped(serverArgs(port, port), "Andrew\n@dministr@tor\n");
  assert.equal(pop3Down.status.code, 1);
  assert.match(
    pop3Down.stdout,
    new RegExp(`Cannot connect to the POP3 server at 127\\.0\\.0\\.1:${port}: Connection refused\\n$`),
  );
  assert.equal(pop3Down.stderr, "");

  await withMailServers(async (servers) => {
    const run = await runClientPiped(
      serverArgs(port, servers.pop3.port),
      [...STALLINGS, "2", ...EXAMPLE, "3"].join("\n"),
    );
    assert.equal(run.status.code, 0);
    assert.match(
      run.stdout,
      new RegExp(`Cannot connect to the SMTP server at 127\\.0\\.0\\.1:${port}: Connection refused\\n\\nOptions:`),
    );
    assert.equal(run.stderr, "");
  });
});

Deno.test("mailclient exits 2 with a one-line usage for bad arguments", async () => {
  for (const args of [["host", "smtp"], ["h", "1", "2", "3"], ["--nope"], ["h", "99999"]]) {
    const run = await runClientPiped(args, "");
    assert.equal(run.status.code, 2, args.join(" "));
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^[^\n]+\. Usage: mailclient\.ts \[--ca-file FILE\] \[--trace\[=FILE\] \[--trace-format FORMAT\]\] \[server_host\] \[smtp_port\] \[pop3_port\].*\n$/,
    );
  }
});

/** Input that stops (the pipe closes) right at one prompt, and what must show that the session ended cleanly. */
const END_AT: { prompt: string; lines: readonly string[]; shows: RegExp; mailboxAfter?: RegExp }[] = [
  { prompt: "user name", lines: [], shows: /^Username: \nEnd of input: goodbye\.\n$/ },
  { prompt: "password", lines: ["Andrew"], shows: /^Username: Password: \nEnd of input: goodbye\.\n$/ },
  { prompt: "options", lines: ANDREW, shows: /Enter your choice \(1-3\): \nEnd of input: goodbye\.\n$/ },
  { prompt: "mail text, nothing typed", lines: [...ANDREW, "2"], shows: /end it\.\n\nEnd of input: goodbye\.\n$/ },
  {
    prompt: "mail text, no final full stop",
    lines: [...ANDREW, "2", "From: andrew@localhost", "To: andrew@localhost", "Subject: s", "body"],
    shows: /end it\.\nIncorrect format\n\nEnd of input: goodbye\.\n$/,
  },
  {
    prompt: "mail list",
    lines: [...ANDREW, "1"],
    shows: /or q to quit: \n\+OK .* signing off \(1 message left\)\n\nEnd of input: goodbye\.\n$/,
  },
  {
    prompt: "key after reading",
    lines: [...ANDREW, "1", "1"],
    shows:
      /any other key to see the list again: \n\+OK .* signing off \(1 message left\)\n\nEnd of input: goodbye\.\n$/,
  },
  {
    prompt: "list after deleting (QUIT commits)",
    lines: [...ANDREW, "1", "1", "d"],
    shows: /Your mailbox is empty\.\n\+OK .* signing off \(0 messages left\)\n\nOptions:[^]*End of input: goodbye\.\n$/,
    mailboxAfter: /^$/,
  },
];

Deno.test("mailclient exits cleanly with status 0 when input ends at any prompt", async (t) => {
  await withMailServers(async (servers) => {
    for (const end of END_AT) {
      await t.step(end.prompt, async () => {
        if ((await mailbox(servers, "Andrew")) === "") await deliverSeed(servers);
        const run = await session(servers, end.lines);
        assertClean(run);
        assert.match(run.stdout, end.shows);
        if (end.mailboxAfter) assert.match(await mailbox(servers, "Andrew"), end.mailboxAfter);
      });
    }
    // The server logs a session after closing it, so the line may come a moment after the client has ended.
    await waitFor(
      "the log line of the deleting session",
      () => /user=Andrew .*outcome=quit, deleted 1\n/.test(servers.pop3.stderrText()),
    );
    assert.doesNotMatch(servers.pop3.stderrText(), /user=Andrew .*outcome=disconnected/);
  });
});

async function deliverSeed(servers: MailServers): Promise<void> {
  const smtp = await SmtpClient.open(servers.smtp.port);
  try {
    await smtp.send({ from: "stallings@localhost", to: ["andrew@localhost"], data: SEED_MAIL });
    await smtp.quit();
  } finally {
    await smtp.close();
  }
}
