/**
 * The client's interactive flow driven in-process with piped lines against
 * our real servers: login retries, the list and its serial numbers, reading,
 * deleting, quitting, and messages for wrong input.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runClient } from "../../lib/client/menu.ts";
import { ConsoleInput } from "../../lib/client/terminal.ts";
import { CapturedOutput, pipedText } from "../helpers/client_io.ts";
import { type MailServers, withMailServers } from "../helpers/mail_servers.ts";
import { LineClient } from "../helpers/line_client.ts";
import { SmtpClient } from "../helpers/smtp_client.ts";

const ANDREW = ["Andrew", "@dministr@tor"];
const TITLE = "Sl. No.  Sender               Received           Subject";

/** Runs the flow on `lines` as piped input. */
async function run(servers: MailServers, lines: string[]): Promise<{ status: number; text: string }> {
  const output = new CapturedOutput();
  const input = new ConsoleInput({ source: pipedText(lines.map((l) => `${l}\n`).join("")), screen: output });
  const status = await runClient({
    input,
    output,
    servers: { host: "127.0.0.1", smtpPort: servers.smtp.port, pop3Port: servers.pop3.port },
    timeZone: "UTC",
  });
  return { status, text: output.text };
}

/** Delivers one mail per subject to Andrew, from stallings@localhost. */
async function deliver(servers: MailServers, ...subjects: string[]): Promise<void> {
  const smtp = await SmtpClient.open(servers.smtp.port);
  try {
    for (const subject of subjects) {
      const data =
        `From: stallings@localhost\r\nTo: andrew@localhost\r\nSubject: ${subject}\r\n\r\nAbout ${subject}.\r\n`;
      await smtp.send({ from: "stallings@localhost", to: ["andrew@localhost"], data });
    }
    await smtp.quit();
  } finally {
    await smtp.close();
  }
}

/** The subjects in the last list shown. */
function lastListing(text: string): string[] {
  const block = text.slice(text.lastIndexOf(TITLE) + TITLE.length).split("\nEnter the serial number")[0];
  return block.trim().split("\n").map((line) => line.replace(/^(\d+) +\S+ +\d\d \w{3} \d{4} \d\d:\d\d {2}/, "$1 "));
}

Deno.test("runClient lists, reads, deletes with renumbering, and commits at q", async () => {
  await withMailServers(async (servers) => {
    await deliver(servers, "one", "two", "three");
    const { status, text } = await run(servers, [...ANDREW, "1", "2", "x", "2", "d", "2", "q", "3"]);
    assert.equal(status, 0);
    assert.match(
      text,
      /From: {5}stallings@localhost\nTo: {7}andrew@localhost\nSubject: {2}two\nReceived: .+\n\nAbout two\.\n/,
    );
    assert.match(text, /Mail 2 deleted \(the server removes it when the session ends\)\.\n/);
    assert.deepEqual(lastListing(text), ["1 one", "2 three"]);
    assert.match(text, /Subject: {2}three\n/, "serial 2 is now the third mail");
    assert.match(text, /\+OK \S+ POP3 server signing off \(2 messages left\)\n[\s\S]*Goodbye\.\n$/);
    const again = await run(servers, [...ANDREW, "1", "q", "3"]);
    assert.deepEqual(lastListing(again.text), ["1 one", "2 three"]);
    const mailbox = await Deno.readTextFile(join(servers.root, "Andrew", "mymailbox"));
    assert.ok(!mailbox.includes("Subject: two"));
  });
});

Deno.test("runClient answers a wrong serial or option with a message and shows the list or options again", async () => {
  await withMailServers(async (servers) => {
    await deliver(servers, "only");
    const { text } = await run(servers, [...ANDREW, "4", "1", "0", "2", "abc", "", "q", "3"]);
    assert.match(text, /Invalid choice "4": enter 1, 2 or 3\.\n\nOptions:/);
    for (const wrong of ["0", "2", "abc"]) {
      assert.ok(text.includes(`There is no mail with serial number "${wrong}".\n\n${TITLE}`), wrong);
    }
    assert.equal(text.split(TITLE).length - 1, 5, "the first list, three after wrong serials, one after Enter");
  });
});

Deno.test("runClient deletes the last mail, says the mailbox is empty and quits the session", async () => {
  await withMailServers(async (servers) => {
    await deliver(servers, "last");
    const { text } = await run(servers, [...ANDREW, "1", "1", "d", "1", "3"]);
    assert.match(text, /Mail 1 deleted.*\nYour mailbox is empty\.\n\+OK .*\(0 messages left\)\n\nOptions:/);
    assert.match(text, /Options:[^]*Your mailbox is empty\.\n\+OK .*\(0 messages left\)\n\nOptions:[^]*Goodbye/);
  });
});

Deno.test("runClient asks again after a wrong password and gives up after three", async () => {
  await withMailServers(async (servers) => {
    const retried = await run(servers, ["Andrew", "wrong", ...ANDREW, "3"]);
    assert.equal(retried.status, 0);
    assert.match(
      retried.text,
      /^Username: Password: Login failed: wrong user name or password\. The POP3 server said: -ERR .+\nUsername: Password: Logged in as Andrew\.\n/,
    );
    const refused = await run(servers, ["Andrew", "a", "Andrew", "b", "nobody", "c", "3"]);
    assert.equal(refused.status, 1);
    assert.equal(refused.text.match(/Login failed: wrong user name or password/g)?.length, 3);
    assert.match(refused.text, /Too many failed logins\.\n$/);
  });
});

Deno.test("runClient logs in while another session holds the maildrop: Send Mail works, Manage Mail says why not", async () => {
  await withMailServers(async (servers) => {
    const other = await LineClient.connect(servers.pop3.port);
    try {
      await other.readLine();
      await other.write("USER Andrew\r\nPASS @dministr@tor\r\n");
      await other.readLine();
      assert.match((await other.readLine()) ?? "", /^\+OK/);
      const mail = ["From: andrew@localhost", "To: stallings@localhost", "Subject: busy", "sent anyway", "."];
      const { status, text } = await run(servers, [...ANDREW, "1", "2", ...mail, "3"]);
      assert.equal(status, 0);
      assert.match(
        text,
        /^Username: Password: Logged in as Andrew\.\nYour mailbox is open in another POP3 session \(another mail program or terminal\)\. Send Mail works; Manage Mail works once that session ends\.\n\nOptions:/,
      );
      assert.match(
        text,
        /\(1-3\): Your mailbox is open in another POP3 session \(another mail program or terminal\)\. Close it, or wait for it to end, then choose 1 again\.\n\+OK \S+ POP3 server signing off\n\nOptions:/,
      );
      assert.match(text, /\nMail sent successfully\n/);
      assert.doesNotMatch(text, /Login failed|Username: .*Username:/);
    } finally {
      await other.close();
    }
  });
});
